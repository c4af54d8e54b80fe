// Diagnostics for sync rules: one class per category, each carrying a severity and the 1-based
// line/column in the YAML file (inside the SQL string when the problem is in SQL).

export type Severity = 'error' | 'warning';

export interface SourcePosition {
  /** 1-based line in the YAML file. */
  line: number;
  /** 1-based column in the YAML file. */
  column: number;
}

export abstract class SyncRulesDiagnostic extends Error {
  abstract readonly category: string;
  constructor(
    message: string,
    readonly severity: Severity,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
  get line(): number {
    return this.position.line;
  }
  get column(): number {
    return this.position.column;
  }
}

/** The file is not valid YAML. */
export class YamlSyntaxError extends SyncRulesDiagnostic {
  override readonly name = 'YamlSyntaxError';
  readonly category = 'yaml';
}

/** Valid YAML with the wrong shape: unknown keys, wrong value types, missing sections. */
export class ConfigStructureError extends SyncRulesDiagnostic {
  override readonly name = 'ConfigStructureError';
  readonly category = 'config';
}

/** A feature of the PowerSync language that Syncline does not implement yet (e.g. `streams`). */
export class UnsupportedFeatureError extends SyncRulesDiagnostic {
  override readonly name = 'UnsupportedFeatureError';
  readonly category = 'unsupported';
}

/** The SQL text does not parse. */
export class SqlSyntaxError extends SyncRulesDiagnostic {
  override readonly name = 'SqlSyntaxError';
  readonly category = 'sql-syntax';
}

/** A query whose shape the rules language does not allow: joins, GROUP BY, missing `id`, ... */
export class QueryShapeError extends SyncRulesDiagnostic {
  override readonly name = 'QueryShapeError';
  readonly category = 'query-shape';
}

/** An expression problem: unknown function, unsupported operator, aggregate, wrong arguments. */
export class ExpressionError extends SyncRulesDiagnostic {
  override readonly name = 'ExpressionError';
  readonly category = 'expression';
}

/** Bucket parameters used wrongly: not covered, unknown, on both sides of `=`, inconsistent. */
export class BucketParameterError extends SyncRulesDiagnostic {
  override readonly name = 'BucketParameterError';
  readonly category = 'bucket-parameter';
}

/** Parameter queries that depend on client-controlled values without explicit acceptance. */
export class DangerousQueryWarning extends SyncRulesDiagnostic {
  override readonly name = 'DangerousQueryWarning';
  readonly category = 'dangerous-query';
}

/** Thrown by `compileSyncRules(..., { throwOnError })`-style callers when any error is present. */
export class SyncRulesCompileError extends Error {
  override readonly name = 'SyncRulesCompileError';
  constructor(readonly diagnostics: SyncRulesDiagnostic[]) {
    super(
      diagnostics
        .filter((d) => d.severity === 'error')
        .map((d) => `${d.line}:${d.column}: ${d.message}`)
        .join('\n'),
    );
  }
}

/** The one textual form of a diagnostic: `FILE:LINE:COL: severity: message` (editors jump to it). */
export function formatDiagnostic(file: string, d: SyncRulesDiagnostic): string {
  return `${file}:${d.line}:${d.column}: ${d.severity}: ${d.message}`;
}
