// A sync-rules file as every service and the CLI load it: read, compiled, each diagnostic as
// `FILE:LINE:COL: severity: message`. Reading is here, not in the pure sync-rules package.
import { readFile } from 'node:fs/promises';
import { SynclineError } from '@syncline/errors';
import {
  compileSyncRules,
  formatDiagnostic,
  type CompileOptions,
  type SyncRules,
  type SyncRulesDiagnostic,
} from '@syncline/sync-rules';

/** The rules file cannot be read (SYNC_E201) or does not compile (SYNC_E202). */
export class RulesFileError extends SynclineError {
  override readonly name = 'RulesFileError';
  constructor(
    readonly code: 'SYNC_E201' | 'SYNC_E202',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface RulesFileDiagnostic {
  readonly diagnostic: SyncRulesDiagnostic;
  /** `FILE:LINE:COL: severity: message` */
  readonly text: string;
}

export interface CompiledRulesFile {
  /** Undefined when any diagnostic is an error. */
  readonly rules: SyncRules | undefined;
  /** Errors and warnings in file order. */
  readonly diagnostics: readonly RulesFileDiagnostic[];
}

/** Reads and compiles a rules file; a file that cannot be read is a RulesFileError (SYNC_E201). */
export async function compileSyncRulesFile(
  file: string,
  options: CompileOptions = {},
): Promise<CompiledRulesFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as Error).message;
    throw new RulesFileError('SYNC_E201', `cannot read sync rules ${file}: ${reason}`, { cause: error });
  }
  const { rules, diagnostics } = compileSyncRules(text, options);
  return { rules, diagnostics: diagnostics.map((d) => ({ diagnostic: d, text: formatDiagnostic(file, d) })) };
}

/**
 * The compiled rules of a file for a service to serve (editions 1-3), or a RulesFileError that
 * lists every error (SYNC_E201/E202).
 */
export async function loadSyncRulesFile(file: string, options: CompileOptions = {}): Promise<SyncRules> {
  const { rules, diagnostics } = await compileSyncRulesFile(file, options);
  if (rules !== undefined) return rules;
  const errors = diagnostics.filter((d) => d.diagnostic.severity === 'error');
  throw new RulesFileError(
    'SYNC_E202',
    `sync rules ${file} do not compile:\n${errors.map((d) => `  ${d.text}`).join('\n')}`,
  );
}
