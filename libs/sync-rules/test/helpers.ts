// Shared test helpers: compile rules that must be valid, and evaluate one expression on a row.
import type { SqliteJsonRow, SqliteRow, SqliteValue } from '@syncline/sqlite-value';
import {
  compileSyncRules,
  serializeParameterLookup,
  type ParameterLookup,
  type ParameterLookupSource,
  type SyncRules,
} from '../src';

export function compileValid(yaml: string): SyncRules {
  const result = compileSyncRules(yaml);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.rules)
    throw new Error(
      `unexpected errors:\n${errors.map((e) => `${e.line}:${e.column} ${e.message}`).join('\n')}`,
    );
  return result.rules;
}

/** Evaluates `expr` as the output column `r` of a global data query over `row` (in table t). */
export function evalExpression(
  expr: string,
  row: SqliteRow = {},
  edition: 1 | 2 = 1,
): SqliteValue | undefined {
  const rules = compileValid(
    `config:\n  edition: ${edition}\nbucket_definitions:\n  b:\n    data:\n      - ${JSON.stringify(`SELECT id, ${expr} AS r FROM t`)}\n`,
  );
  const [op] = rules.evaluateRow('t', { id: 'x', ...row });
  return op?.data['r'];
}

/** An edition-3 file from the indented body of its `streams:` section. */
export function streamsFile(streams: string): string {
  return `config:\n  edition: 3\nstreams:\n${streams}`;
}

/**
 * A lookup reader over parameter rows indexed the way the evaluator indexes them (each row's
 * entries from evaluateParameterRow, keyed by serializeParameterLookup).
 */
export function lookupReader(
  rules: SyncRules,
  tables: Record<string, SqliteRow[]>,
): ParameterLookupSource & { reads: number } {
  const index = new Map<string, SqliteJsonRow[]>();
  for (const [table, rows] of Object.entries(tables)) {
    for (const row of rows) {
      for (const entry of rules.evaluateParameterRow(table, row)) {
        const key = serializeParameterLookup(entry.lookup);
        index.set(key, [...(index.get(key) ?? []), entry.parameters]);
      }
    }
  }
  const reader = async (lookups: readonly ParameterLookup[]) => {
    reader.reads++;
    return lookups.map((l) => index.get(serializeParameterLookup(l)) ?? []);
  };
  reader.reads = 0;
  return reader;
}
