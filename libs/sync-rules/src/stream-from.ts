// The FROM clause of a stream query or subquery: its tables (one result set each), its
// json_each(<array>) items, and the ON conditions of INNER JOINs, which are AND-ed into the WHERE.
// Other join kinds, other table-valued functions and subqueries in FROM are reported.
import type { Expr, PGNode, SelectFromStatement } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import type { ResultSet } from './stream-terms';
import { tablePattern } from './table-pattern';

/** `json_each(<json array>) [AS name]` in FROM: joining its `value` is an IN on the array. */
export interface TableFunction {
  qualifier: string;
  array: Expr;
  node: PGNode;
}

export interface FromClause {
  sets: ResultSet[];
  functions: TableFunction[];
  /** ON conditions of the joins, in order. */
  on: Expr[];
  /** Names of FROM items already reported as unsupported: references to them are not reported again. */
  unusable: string[];
}

/** Reports the clauses streams do not support (the query is still compiled for more errors). */
export function reportUnsupportedClauses(statement: SelectFromStatement, source: SqlSource): void {
  for (const [clause, node] of [
    ['GROUP BY', statement.groupBy?.[0]],
    ['GROUP BY', statement.having],
    ['LIMIT', statement.limit],
    ['ORDER BY', statement.orderBy?.[0]],
    ['DISTINCT', statement.distinct ? statement : undefined],
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
  const clause: FromClause = { sets: [], functions: [], on: [], unusable: [] };
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
    if (item.type !== 'table') {
      const name = item.type === 'call' ? (item.alias?.name ?? item.function.name) : item.alias;
      clause.unusable.push(name);
      source.report(
        'query-shape',
        item.type === 'call'
          ? 'Only json_each(<json array>) is supported as a table-valued function in sync streams'
          : 'Subqueries in FROM are not supported in sync streams yet',
        item,
      );
      continue;
    }
    const name = item.name;
    const qualifier = name.alias ?? name.name;
    if (name.schema === undefined && ctes.has(name.name)) {
      clause.unusable.push(qualifier);
      source.report(
        'query-shape',
        `Common table expression '${name.name}' in FROM or JOIN is not supported yet; use IN ${name.name}`,
        item,
      );
      continue;
    }
    if (clause.sets.some((s) => s.qualifier === qualifier)) {
      source.report(
        'query-shape',
        `The name '${qualifier}' is used for two tables here; give one an alias`,
        item,
      );
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
  return clause.sets.length > 0 || clause.functions.length > 0 ? clause : undefined;
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
