// Compiles one data query (`SELECT ... FROM table WHERE ... bucket.<p> ...`) into a row matcher:
// which bucket parameter tuples (and bucket names) a row belongs to, from its WHERE (data-where.ts),
// with a fast path for a plain AND. The output row it contributes is compiled by output-row.ts.
import type { Expr } from 'pgsql-ast-parser';
import { ExpressionCompiler, type EvalContext, type Evaluator } from './expression';
import * as jsonValues from './json-values';
import { compileColumns, compileOutputRow } from './output-row';
import type { SqlSource } from './sql-source';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonRow, SqliteJsonValue, SqliteValue } from '@syncline/sqlite-value';
import { compileTableMatcher, tablePattern, type SourceTableName, type TablePattern } from './table-pattern';
import { parameterValue, WhereCompiler, type Conjunct, type ParameterTuple } from './data-where';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { jsonArrayElements } = jsonValues;
const { isTruthy } = sqliteValues;

export interface DataQueryOptions {
  parameterNames: readonly string[];
  defaultSchema: string;
  fixedJsonExtract: boolean;
}

export interface CompiledDataQuery {
  table: TablePattern;
  matchesTable: (table: SourceTableName) => boolean;
  /** Alias of the FROM table, which names the output table; else the source table's name. */
  alias: string | undefined;
  /**
   * Editions 1-2 with a wildcard table: the row has an extra column `_table_suffix`, the part of
   * the table name the `%` matched (PowerSync's legacy engine adds it; `*` skips it like any `_`
   * column).
   */
  exposesTableSuffix: boolean;
  /** The bucket parameter tuples (complete, deduplicated) a row belongs to. */
  bucketParameters(ctx: EvalContext): SqliteJsonValue[][];
  /**
   * Specialises bucket naming for one definition: the returned function writes the names of the
   * buckets a row belongs to (same buckets and order as bucketParameters) without building tuples.
   */
  compileBucketNames(namer: BucketNamer): BucketNameCollector;
  /** The synced row: blobs and `_`-prefixed `*` columns dropped, the id value as it is. */
  outputRow(ctx: EvalContext): SqliteJsonRow;
}

/** Names buckets of one definition; memoised by the caller because owners and lists recur. */
export interface BucketNamer {
  forTuple(tuple: readonly SqliteJsonValue[]): string;
}

/**
 * Writes the names of the buckets the row in `ctx` belongs to into `out` from index 0 and returns
 * how many it wrote. `out` is a buffer reused across rows: entries past the count are stale.
 */
export type BucketNameCollector = (ctx: EvalContext, out: string[]) => number;

export function compileDataQuery(
  source: SqlSource,
  options: DataQueryOptions,
): CompiledDataQuery | undefined {
  const statement = source.parseStatement();
  if (!statement) return undefined;
  const report = source.report;
  if (statement.type !== 'select') {
    report('query-shape', 'A data query must be a SELECT statement', statement);
    return undefined;
  }
  const from = statement.from ?? [];
  const first = from[0];
  if (from.length !== 1 || !first || first.type !== 'table') {
    report('query-shape', 'Must SELECT from a single table', from[1] ?? first ?? statement);
    return undefined;
  }
  if (first.join) report('query-shape', 'Joins are not supported', first);
  for (const [clause, node] of [
    ['GROUP BY', statement.groupBy?.[0]],
    ['ORDER BY', statement.orderBy?.[0]],
    ['LIMIT', statement.limit],
    ['DISTINCT', statement.distinct ? statement : undefined],
    ['HAVING', statement.having],
  ] as const) {
    if (node) report('query-shape', `${clause} is not supported in data queries`, node as Expr);
  }
  const tableName = first.name;
  const table = tablePattern(tableName.name, tableName.schema, options.defaultSchema);
  const alias = tableName.alias;
  const qualifiers = [tableName.name, ...(alias ? [alias] : [])];
  const compiler = new ExpressionCompiler(
    source.text,
    { rowQualifiers: qualifiers, allowRequest: false, fixedJsonExtract: options.fixedJsonExtract },
    report,
  );

  const columns = compileColumns(statement.columns ?? [], compiler, source);
  // With `*` the id column is assumed to come from the table; rows without one get id ''.
  const hasStar = columns.some((c) => c.evaluate === undefined);
  if (!hasStar && !columns.some((c) => c.name === 'id')) {
    report('query-shape', 'Query must return an "id" column', statement);
  }

  const params = options.parameterNames;
  const where = new WhereCompiler(compiler, params, source).compileWhere(statement.where);
  const missing = params.filter((p) => !where.covered.has(p));
  if (missing.length > 0) {
    report(
      'bucket-parameter',
      `Query must cover all bucket parameters. Expected: ${JSON.stringify(params)} Got: ${JSON.stringify(params.filter((p) => where.covered.has(p)))}`,
      statement.where ?? statement,
    );
  }
  const matcher = where.matcher;
  const bucketParameters = (ctx: EvalContext): SqliteJsonValue[][] => completeTuples(matcher(ctx));
  const plan = conjunctionPlan(where.conjuncts, params.length);
  return {
    table,
    matchesTable: compileTableMatcher(table),
    alias,
    exposesTableSuffix: table.isWildcard,
    bucketParameters,
    compileBucketNames: (namer) =>
      plan ? conjunctionBucketNames(plan, namer) : generalBucketNames(bucketParameters, namer),
    outputRow: compileOutputRow(columns),
  };
}

function completeTuples(tuples: ParameterTuple[]): SqliteJsonValue[][] {
  if (tuples.length === 1 && !tuples[0]!.includes(undefined)) return tuples as SqliteJsonValue[][];
  const complete: SqliteJsonValue[][] = [];
  for (const tuple of tuples) {
    if (tuple.some((v) => v === undefined)) continue;
    if (complete.length > 0 && complete.some((c) => sameTuple(c, tuple))) continue;
    complete.push(tuple as SqliteJsonValue[]);
  }
  return complete;
}

function sameTuple(
  a: readonly (SqliteJsonValue | undefined)[],
  b: readonly (SqliteJsonValue | undefined)[],
): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Marks a conjunction term that filters rows instead of binding a parameter. */
const FILTER = -1;

/** A filter (`index` FILTER, the row passes when truthy) or a `<value> = bucket.p` binding. */
interface Term {
  index: number;
  evaluate: Evaluator;
}

interface ConjunctionPlan {
  /** Filters and `=` bindings in WHERE order, so evaluation stops where the tuple lists would. */
  terms: Term[];
  /** The one `bucket.p IN array` term, which yields a tuple per distinct element. */
  expand: { index: number; array: Evaluator } | undefined;
  parameterCount: number;
}

function conjunctionPlan(
  conjuncts: readonly Conjunct[] | undefined,
  parameterCount: number,
): ConjunctionPlan | undefined {
  if (conjuncts === undefined) return undefined;
  const terms: Term[] = [];
  let expand: ConjunctionPlan['expand'];
  for (const c of conjuncts) {
    // Unknown parameters are compile errors; leave those rules to the general path.
    if (c.kind !== 'filter' && c.index < 0) return undefined;
    if (c.kind === 'filter') terms.push({ index: FILTER, evaluate: c.test });
    else if (c.kind === 'equals') terms.push({ index: c.index, evaluate: c.value });
    else if (expand === undefined) expand = { index: c.index, array: c.array };
    else return undefined; // two IN terms: a product of lists, left to the general path
  }
  return { terms, expand, parameterCount };
}

/** Evaluates the terms into `scratch` (cleared first); false when a filter or a binding fails. */
function bindTerms(terms: readonly Term[], ctx: EvalContext, scratch: ParameterTuple): boolean {
  for (let i = 0; i < scratch.length; i++) scratch[i] = undefined;
  for (let i = 0; i < terms.length; i++) {
    const term = terms[i]!;
    const value = term.evaluate(ctx);
    if (term.index === FILTER) {
      if (!isTruthy(value)) return false;
      continue;
    }
    const v = parameterValue(value);
    if (v === undefined) return false;
    const bound = scratch[term.index];
    if (bound !== undefined && bound !== v) return false; // `a = bucket.p AND b = bucket.p`, a != b
    scratch[term.index] = v;
  }
  return true;
}

function isComplete(tuple: ParameterTuple): tuple is SqliteJsonValue[] {
  for (let i = 0; i < tuple.length; i++) if (tuple[i] === undefined) return false;
  return true;
}

function conjunctionBucketNames(plan: ConjunctionPlan, namer: BucketNamer): BucketNameCollector {
  const { terms, expand } = plan;
  const scratch: ParameterTuple = new Array(plan.parameterCount).fill(undefined);
  if (expand === undefined) {
    return (ctx, out) => {
      if (!bindTerms(terms, ctx, scratch) || !isComplete(scratch)) return 0;
      out[0] = namer.forTuple(scratch);
      return 1;
    };
  }
  const { index, array } = expand;
  return (ctx, out) => {
    if (!bindTerms(terms, ctx, scratch)) return 0;
    const elements = jsonArrayElements(array(ctx));
    if (elements === undefined) return 0;
    const bound = scratch[index];
    let count = 0;
    for (let i = 0; i < elements.length; i++) {
      const v = parameterValue(elements[i]!);
      if (v === undefined || (bound !== undefined && bound !== v) || occursBefore(elements, i, v)) continue;
      scratch[index] = v;
      if (isComplete(scratch)) out[count++] = namer.forTuple(scratch);
    }
    return count;
  };
}

/** Whether an element before `end` has parameter value `v` (tuples are deduplicated like that). */
function occursBefore(elements: readonly SqliteValue[], end: number, v: SqliteJsonValue): boolean {
  for (let j = 0; j < end; j++) if (parameterValue(elements[j]!) === v) return true;
  return false;
}

function generalBucketNames(
  bucketParameters: (ctx: EvalContext) => SqliteJsonValue[][],
  namer: BucketNamer,
): BucketNameCollector {
  return (ctx, out) => {
    const tuples = bucketParameters(ctx);
    for (let i = 0; i < tuples.length; i++) out[i] = namer.forTuple(tuples[i]!);
    return tuples.length;
  };
}
