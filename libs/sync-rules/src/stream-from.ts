// The FROM clause of a stream query or subquery: its tables (one result set each), its
// json_each(<array>) items, its derived tables (CTEs and subqueries), and the ON conditions of
// INNER JOINs, which are AND-ed into the WHERE. Other join kinds and table-valued functions are
// reported, as PowerSync refuses them.
import type { Expr, PGNode, SelectFromStatement } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import type { DerivedItem } from './stream-derived';
import type { ResultSet } from './stream-terms';
import { tablePattern } from './table-pattern';

/** `json_each(<json array>) [AS name]` in FROM: joining its `value` is an IN on the array. */
export interface TableFunction {
  qualifier: string;
  array: Expr;
  node: PGNode;
  /** The table whose row the array is read from (set by the query parser). */
  parent?: ResultSet;
}

export interface FromClause {
  sets: ResultSet[];
  functions: TableFunction[];
  /** Common table expressions and subqueries in FROM, parsed by the caller. */
  derived: DerivedItem[];
  /** ON conditions of the joins, in order. */
  on: Expr[];
  /** Names of FROM items already reported as unsupported: references to them are not reported again. */
  unusable: string[];
}

/**
 * Reports the clauses streams do not support (the query is still compiled for more errors).
 * DISTINCT is accepted and changes nothing, as in PowerSync: buckets hold each row once anyway.
 */
export function reportUnsupportedClauses(statement: SelectFromStatement, source: SqlSource): void {
  for (const [clause, node] of [
    ['GROUP BY', statement.groupBy?.[0]],
    ['GROUP BY', statement.having],
    ['LIMIT', statement.limit],
    ['ORDER BY', statement.orderBy?.[0]],
  ] as const) {
    if (node) source.report('query-shape', `${clause} is not supported`, node as PGNode);
  }
}

/** The tables of a FROM, numbered after `existing` result sets; undefined when none is usable. */
export function readFrom(
  statement: SelectFromStatement,
  source: SqlSource,
  defaultSchema: string,
  firstId: number,
  ctes: ReadonlyMap<string, unknown>,
): FromClause | undefined {
  const from = statement.from ?? [];
  if (from.length === 0) {
    source.report('query-shape', 'Must have a result column selecting from a table', statement);
    return undefined;
  }
  const clause: FromClause = { sets: [], functions: [], derived: [], on: [], unusable: [] };
  for (const item of from) {
    const join = item.join;
    if (join && join.type !== 'INNER JOIN') {
      source.report(
        'query-shape',
        `${join.type} is not supported; sync streams only support INNER JOIN`,
        item,
      );
    }
    if (join?.using) source.report('query-shape', 'USING is not supported; write the ON condition', item);
    if (join?.on) clause.on.push(join.on);
    const fn = item.type === 'call' ? jsonEach(item) : undefined;
    if (fn) {
      clause.functions.push(fn);
      continue;
    }
    if (item.type === 'statement') {
      const columnNames = item.columnNames?.map((c) => c.name);
      const select = item.statement.type === 'select' ? item.statement : undefined;
      if (!select) source.report('query-shape', 'Expected a SELECT statement', item.statement);
      else if (!taken(clause, item.alias, item, source)) {
        clause.derived.push({ qualifier: item.alias, node: item, select, columnNames });
      }
      if (!select) clause.unusable.push(item.alias);
      continue;
    }
    if (item.type !== 'table') {
      clause.unusable.push(item.alias?.name ?? item.function.name);
      // PowerSync only has json_each: another name fails when its sync config is loaded.
      const name = item.function.name;
      source.report(
        'query-shape',
        name.toLowerCase() === 'json_each' && !item.function.schema
          ? 'json_each expects 1 argument, a JSON array'
          : `Unknown table-valued function '${name}': sync streams only support json_each(<json array>)`,
        item,
      );
      continue;
    }
    const name = item.name;
    const qualifier = name.alias ?? name.name;
    if (taken(clause, qualifier, item, source)) continue;
    if (name.schema === undefined && ctes.has(name.name)) {
      clause.derived.push({ qualifier, node: item, cte: name.name });
      continue;
    }
    clause.sets.push({
      id: firstId + clause.sets.length,
      table: tablePattern(name.name, name.schema, defaultSchema),
      qualifier,
      alias: name.alias,
      node: item,
    });
  }
  const items = clause.sets.length + clause.functions.length + clause.derived.length;
  return items > 0 ? clause : undefined;
}

/** Reports a FROM name used twice. */
function taken(clause: FromClause, qualifier: string, item: PGNode, source: SqlSource): boolean {
  const names = [...clause.sets, ...clause.derived].map((s) => s.qualifier);
  if (!names.includes(qualifier)) return false;
  source.report(
    'query-shape',
    `The name '${qualifier}' is used for two tables here; give one an alias`,
    item,
  );
  return true;
}

/** `json_each(x)` with one argument; other table-valued functions are not supported yet. */
function jsonEach(call: Expr & { type: 'call'; alias?: { name: string } }): TableFunction | undefined {
  const [array] = call.args;
  if (
    call.function.schema ||
    call.function.name.toLowerCase() !== 'json_each' ||
    call.args.length !== 1 ||
    !array
  ) {
    return undefined;
  }
  return { qualifier: call.alias?.name ?? 'json_each', array, node: call };
}

/**
 * PowerSync warns when a joined query's synced table has an alias: rows sync under the alias,
 * which is rarely meant when the alias only shortens the ON clause. A quoted alias is deliberate.
 */
export function warnAliasedPrimary(primary: ResultSet, setCount: number, source: SqlSource): void {
  if (setCount < 2 || primary.alias === undefined) return;
  const loc = primary.node._location;
  if (loc && source.text.slice(loc.start, loc.end).includes('"')) return;
  source.report(
    'query-shape',
    `The source row is synced under its alias '${primary.alias}' instead of '${primary.table.name}'. Drop the alias on the synced table, or quote it (AS "${primary.alias}") to keep the rename`,
    primary.node,
    'warning',
  );
}

/** `X` of `SELECT value FROM json_each(X)` (no other clause): that subquery is the array `X`. */
export function jsonEachValues(select: SelectFromStatement): Expr | undefined {
  const [item, ...others] = select.from ?? [];
  const [column, ...more] = select.columns ?? [];
  if (!item || others.length || more.length || select.where || item.type !== 'call') return undefined;
  const valueColumn = column?.expr.type === 'ref' && column.expr.name === 'value';
  const single = item.function.name.toLowerCase() === 'json_each' && item.args.length === 1;
  return valueColumn && single ? item.args[0] : undefined;
}
