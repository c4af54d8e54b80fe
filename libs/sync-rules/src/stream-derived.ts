// Derived tables of a stream query: a common table expression or a subquery used in FROM or JOIN
// (`FROM notes JOIN my_orgs ON my_orgs.id = notes.org_id`, `FROM (SELECT id FROM t WHERE ...) AS q`).
// Their tables join the query's, their conditions are AND-ed into its WHERE, and a reference to one
// of their columns stands for the column's expression (read where it was written).
import type { Expr, PGNode, SelectedColumn, SelectFromStatement } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import type { ResultSet } from './stream-terms';

/** One output column of a derived table: its name and the expression it stands for. */
export interface DerivedColumn {
  name: string;
  expr: Expr;
  table: DerivedTable;
}

/**
 * A derived table after parsing. `scope` is the scope its own SELECT was read in, `reader` the
 * parser of the SQL string it is written in (a CTE has its own), opaque here.
 */
export interface DerivedTable {
  qualifier: string;
  columns: DerivedColumn[];
  node: PGNode;
  source: SqlSource;
  scope: unknown;
  reader: unknown;
  /** The one table its columns read, if they all read one (it is then usable as the synced table). */
  primary: ResultSet | undefined;
}

/** A FROM item that is a derived table, before parsing. */
export interface DerivedItem {
  qualifier: string;
  node: PGNode;
  /** Set for a CTE; a subquery in FROM is read from the query's own SQL. */
  cte?: string;
  select?: SelectFromStatement;
  columnNames?: string[];
}

/**
 * The named output columns of a derived table's SELECT, as PowerSync names them: the names after
 * the alias (`AS q (a, b)`), else each column's alias, else a plain column's name, else the
 * expression's text (with a warning, as its name is not specified by SQL).
 */
export function derivedColumns(
  select: SelectFromStatement,
  columnNames: readonly string[] | undefined,
  source: SqlSource,
  table: DerivedTable,
): DerivedColumn[] {
  const out: DerivedColumn[] = [];
  for (const column of select.columns ?? []) {
    if (column.expr.type === 'ref' && column.expr.name === '*') {
      source.report(
        'query-shape',
        '* columns are not allowed in subqueries or common table expressions',
        column.expr,
      );
      continue;
    }
    const name = columnNames?.[out.length] ?? inferredName(column, source);
    if (out.some((c) => c.name === name)) {
      source.report('query-shape', `There is a column named '${name}' already`, column);
    }
    out.push({ name, expr: column.expr, table });
  }
  if (columnNames && columnNames.length !== out.length) {
    source.report(
      'query-shape',
      `Expected this subquery to have ${columnNames.length} columns, it actually has ${out.length}`,
      select,
    );
  }
  return out;
}

/** A column's alias, a plain column's name, or (with PowerSync's warning) the expression's text. */
export function inferredName(column: SelectedColumn, source: SqlSource): string {
  if (column.alias) return column.alias.name;
  if (column.expr.type === 'ref') return column.expr.name;
  source.report(
    'expression',
    'The name of this column is unspecified, consider adding an alias',
    column.expr,
    'warning',
  );
  const loc = column.expr._location;
  return loc ? source.text.slice(loc.start, loc.end) : '';
}

/** The derived table a reference's qualifier names, at this level of the query. */
export function derivedTableOf(
  ref: Expr & { type: 'ref' },
  tables: readonly DerivedTable[],
  otherItems: number,
): DerivedTable | undefined {
  const qualifier = ref.table?.name;
  if (qualifier !== undefined) return tables.find((t) => t.qualifier === qualifier);
  return otherItems === 0 && tables.length === 1 ? tables[0] : undefined;
}
