// Small helpers over pgsql-ast-parser nodes shared by the query compilers.
import type { Expr, SelectedColumn } from 'pgsql-ast-parser';

/** Every `bucket.<name>` reference inside an expression. */
export function bucketRefs(node: unknown, found: Expr[] = []): Expr[] {
  if (node === null || typeof node !== 'object') return found;
  const n = node as { type?: string; table?: { name?: string } };
  if (n.type === 'ref' && n.table?.name === 'bucket') {
    found.push(node as Expr);
    return found;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === '_location') continue;
    if (Array.isArray(value)) value.forEach((v) => bucketRefs(v, found));
    else if (value && typeof value === 'object') bucketRefs(value, found);
  }
  return found;
}

export function isBucketRef(expr: Expr): expr is Expr & { type: 'ref'; name: string } {
  return expr.type === 'ref' && expr.table?.name === 'bucket';
}

export function isStar(column: SelectedColumn): boolean {
  return column.expr.type === 'ref' && column.expr.name === '*';
}

/** The output name of a column: its alias, else the column name of a plain reference. */
export function columnName(column: SelectedColumn): string | undefined {
  if (column.alias) return column.alias.name;
  if (column.expr.type === 'ref') return column.expr.name;
  return undefined;
}
