// One SQL string from the rules file: parses it with pgsql-ast-parser (location tracking on) and
// turns SQL offsets into YAML positions for every diagnostic raised while compiling it.
import { parse, type PGNode, type Statement } from 'pgsql-ast-parser';
import {
  BucketParameterError,
  DangerousQueryWarning,
  ExpressionError,
  QueryShapeError,
  SqlSyntaxError,
  type Severity,
  type SyncRulesDiagnostic,
} from './errors';
import type { LocatedString } from './yaml-source';

export type DiagnosticKind = 'expression' | 'query-shape' | 'bucket-parameter' | 'dangerous';

export type DiagnosticReporter = (
  kind: DiagnosticKind,
  message: string,
  at: PGNode | number | undefined,
  severity?: Severity,
) => void;

const KINDS = {
  expression: ExpressionError,
  'query-shape': QueryShapeError,
  'bucket-parameter': BucketParameterError,
  dangerous: DangerousQueryWarning,
} as const;

export class SqlSource {
  constructor(
    readonly located: LocatedString,
    private readonly diagnostics: SyncRulesDiagnostic[],
  ) {}

  get text(): string {
    return this.located.value;
  }

  readonly report: DiagnosticReporter = (
    kind,
    message,
    at,
    severity = kind === 'dangerous' ? 'warning' : 'error',
  ) => {
    const offset = typeof at === 'number' ? at : (at?._location?.start ?? 0);
    this.diagnostics.push(new KINDS[kind](message, severity, this.located.positionAt(offset)));
  };

  /** Parses exactly one statement; reports syntax errors at the offending token. */
  parseStatement(): Statement | undefined {
    let statements: Statement[];
    try {
      statements = parse(this.text, { locationTracking: true });
    } catch (err) {
      const e = err as { token?: { offset?: number }; message?: string };
      const offset = e.token?.offset ?? this.text.trimEnd().length;
      this.diagnostics.push(
        new SqlSyntaxError(syntaxMessage(e.message ?? String(err)), 'error', this.located.positionAt(offset)),
      );
      return undefined;
    }
    if (statements.length !== 1) {
      const second = statements[1];
      this.report('query-shape', 'Expected exactly one SQL statement', second ?? 0);
      return undefined;
    }
    return statements[0];
  }
}

/** pgsql-ast-parser's messages list every expected token; keep the first useful sentence. */
function syntaxMessage(message: string): string {
  const line =
    message.split('\n').find((l) => l.startsWith('Unexpected')) ?? message.split('\n')[0] ?? message;
  const token = /^Unexpected \S+ token: "[^"]*"/.exec(line);
  return `Syntax error: ${token ? token[0] : line.replace(/\..*$/, '').trim()}`;
}
