// The `_priority` output column of a parameter query, checked as PowerSync checks it: a bucket's
// priority may be set once, either by the definition's `priority` or by one `_priority` column,
// and a literal priority must be 0 to 3.
import type { Expr, SelectedColumn } from 'pgsql-ast-parser';
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

/**
 * Reports a `_priority` column whose value is an integer literal outside 0..3, in every parameter
 * query form. (PowerSync only accepts integer literals; Syncline also evaluates other expressions
 * per row or request, and ignores values outside 0..3 there.)
 */
export function checkPriorityValues(columns: readonly SelectedColumn[], source: SqlSource): void {
  for (const column of columns) {
    if (columnName(column) !== PRIORITY_COLUMN) continue;
    const value = integerLiteral(column.expr);
    if (value !== undefined && (value < 0 || value > 3)) {
      source.report(
        'query-shape',
        'Invalid value for priority, must be between 0 and 3 (inclusive)',
        column.expr,
      );
    }
  }
}

/** The value of `5` or `-5`, else undefined. */
function integerLiteral(expr: Expr): number | undefined {
  if (expr.type === 'integer') return expr.value;
  if (expr.type === 'unary' && expr.op === '-' && expr.operand.type === 'integer') return -expr.operand.value;
  return undefined;
}
