// Shared test helpers: compile rules that must be valid, and evaluate one expression on a row.
import type { SqliteRow, SqliteValue } from '@syncline/sqlite-value';
import { compileSyncRules, type SyncRules } from '../src';

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
