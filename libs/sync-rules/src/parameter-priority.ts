// The `_priority` output column of a parameter query, checked as PowerSync checks it: a bucket's
// priority may be set once, either by the definition's `priority` or by one `_priority` column.
import type { SelectedColumn } from 'pgsql-ast-parser';
import { columnName } from './sql-ast';
import type { SqlSource } from './sql-source';

export const PRIORITY_COLUMN = '_priority';

/**
 * Reports each `_priority` column of a static or table parameter query beyond the one priority
 * allowed: any of them when the definition has `priority`, else all after the first. (PowerSync
 * does not check json_each queries: there the column wins over the definition's priority.)
 */
export function checkPriorityColumns(
  columns: readonly SelectedColumn[],
  source: SqlSource,
  definitionSetsPriority: boolean,
): void {
  let set = definitionSetsPriority;
  for (const column of columns) {
    if (columnName(column) !== PRIORITY_COLUMN) continue;
    if (set) {
      const reason = definitionSetsPriority
        ? "the bucket definition already has 'priority'"
        : 'an earlier _priority column already sets it';
      source.report(
        'query-shape',
        `Cannot set priority multiple times: ${reason}`,
        column.alias ?? column.expr,
      );
    }
    set = true;
  }
}
