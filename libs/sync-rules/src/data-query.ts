// Compiles one data query (`SELECT ... FROM table WHERE ... bucket.<p> ...`) into a row matcher:
// which bucket parameter tuples (and bucket names) a row belongs to, from its WHERE. The output row
// it contributes is compiled by output-row.ts.
import type { Expr, ExprBinary } from 'pgsql-ast-parser';
import { ExpressionCompiler, type EvalContext, type Evaluator } from './expression';
import * as jsonValues from './json-values';
import { compileColumns, compileOutputRow } from './output-row';
import { bucketRefs, isBucketRef } from './sql-ast';
import type { SqlSource } from './sql-source';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonRow, SqliteJsonValue, SqliteValue } from '@syncline/sqlite-value';
import { compileTableMatcher, tablePattern, type SourceTableName, type TablePattern } from './table-pattern';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { jsonArrayElements } = jsonValues;
const { isTruthy, normalizeNumber } = sqliteValues;

/** Parameter values in definition order; `undefined` = not (yet) bound by this branch. */
export type ParameterTuple = (SqliteJsonValue | undefined)[];
type WhereMatcher = (ctx: EvalContext) => ParameterTuple[];

/**
 * One term of a WHERE that is a plain AND of terms. Most data queries are such a conjunction, with
 * at most one `bucket.p IN array`: those yield one tuple per IN element (or one tuple), which
 * evaluateRow computes in a reused scratch tuple instead of building and merging tuple lists.
 */
type Conjunct =
  | { kind: 'filter'; test: Evaluator }
  | { kind: 'equals'; index: number; value: Evaluator }
  | { kind: 'in'; index: number; array: Evaluator };

interface CompiledWhere {
  matcher: WhereMatcher;
  covered: Set<string>;
  /** The WHERE as a conjunction, or undefined when it has OR (then only `matcher` applies). */
  conjuncts: Conjunct[] | undefined;
}

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
  const where = statement.where
    ? new WhereCompiler(compiler, params, source).compile(statement.where)
    : {
        matcher: (): ParameterTuple[] => [new Array(params.length).fill(undefined)],
        covered: new Set<string>(),
        conjuncts: [],
      };
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

/** Parameter values for bucket names: JSON scalars only, whole numbers as integers. */
function parameterValue(value: SqliteValue): SqliteJsonValue | undefined {
  if (value === null || value instanceof Uint8Array) return undefined;
  return normalizeNumber(value);
}

/**
 * WHERE of a data query: `expr = bucket.p` / `bucket.p IN json_array_expr` bind parameters,
 * AND takes the product of its sides, OR the union; anything else is a row filter.
 */
class WhereCompiler {
  constructor(
    private readonly compiler: ExpressionCompiler,
    private readonly params: readonly string[],
    private readonly source: SqlSource,
  ) {}

  compile(expr: Expr): CompiledWhere {
    if (expr.type === 'binary' && (expr.op === 'AND' || expr.op === 'OR')) {
      const left = this.compile(expr.left);
      const right = this.compile(expr.right);
      return expr.op === 'OR' ? disjunction(left, right) : conjunction(left, right);
    }
    if (expr.type === 'binary' && expr.op === '=' && (isBucketRef(expr.left) || isBucketRef(expr.right))) {
      return this.compileEquals(expr);
    }
    if (expr.type === 'binary' && expr.op === 'IN' && isBucketRef(expr.left)) {
      return this.compileIn(expr);
    }
    return this.compileFilter(expr);
  }

  /** `<value> = bucket.p`, either way round: one tuple binding p, none when the value is NULL or a blob. */
  private compileEquals(expr: ExprBinary): CompiledWhere {
    const n = this.params.length;
    const [param, other] = (isBucketRef(expr.left) ? [expr.left, expr.right] : [expr.right, expr.left]) as [
      Expr & { type: 'ref'; name: string },
      Expr,
    ];
    if (bucketRefs(other).length > 0) {
      this.source.report(
        'bucket-parameter',
        'Cannot have bucket parameters on both sides of = operator',
        expr,
      );
    }
    const index = this.parameterIndex(param);
    const value = this.compiler.compile(other).evaluate;
    return {
      matcher: (ctx) => {
        const v = parameterValue(value(ctx));
        if (v === undefined) return NO_TUPLES;
        if (n === 1) return [[v]];
        const tuple: ParameterTuple = new Array(n).fill(undefined);
        tuple[index] = v;
        return [tuple];
      },
      covered: new Set(index >= 0 ? [param.name] : []),
      conjuncts: [{ kind: 'equals', index, value }],
    };
  }

  /** `bucket.p IN <json array>`: one tuple binding p per scalar element. */
  private compileIn(expr: ExprBinary): CompiledWhere {
    const n = this.params.length;
    const param = expr.left as Expr & { type: 'ref'; name: string };
    if (bucketRefs(expr.right).length > 0) {
      this.source.report(
        'bucket-parameter',
        'Cannot have bucket parameters on both sides of IN operator',
        expr,
      );
    }
    const index = this.parameterIndex(param);
    const array = this.compiler.compile(expr.right).evaluate;
    return {
      matcher: (ctx) => {
        const out: ParameterTuple[] = [];
        for (const element of jsonArrayElements(array(ctx)) ?? []) {
          const v = parameterValue(element);
          if (v === undefined) continue;
          const tuple: ParameterTuple = new Array(n).fill(undefined);
          tuple[index] = v;
          out.push(tuple);
        }
        return out;
      },
      covered: new Set(index >= 0 ? [param.name] : []),
      conjuncts: [{ kind: 'in', index, array }],
    };
  }

  /** A row filter. Bucket references in other positions are reported by the expression compiler. */
  private compileFilter(expr: Expr): CompiledWhere {
    const filter = this.compiler.compile(expr).evaluate;
    const unbound: ParameterTuple[] = [new Array(this.params.length).fill(undefined)];
    return {
      // Tuples are never mutated after creation (merges copy), so the unbound one is shared.
      matcher: (ctx) => (isTruthy(filter(ctx)) ? unbound : NO_TUPLES),
      covered: new Set(),
      conjuncts: [{ kind: 'filter', test: filter }],
    };
  }

  private parameterIndex(ref: Expr & { type: 'ref'; name: string }): number {
    const index = this.params.indexOf(ref.name);
    if (index < 0) {
      this.source.report(
        'bucket-parameter',
        `Unknown bucket parameter bucket.${ref.name}; the parameter queries define ${JSON.stringify(this.params)}`,
        ref,
      );
    }
    return index;
  }
}

const NO_TUPLES: ParameterTuple[] = [];

/** OR: a row's tuples are those of both branches; a parameter is covered only if both bind it. */
function disjunction(left: CompiledWhere, right: CompiledWhere): CompiledWhere {
  const l = left.matcher;
  const r = right.matcher;
  const covered = new Set([...left.covered].filter((p) => right.covered.has(p)));
  return { matcher: (ctx) => [...l(ctx), ...r(ctx)], covered, conjuncts: undefined };
}

/** AND: each left tuple merged with each right one, except pairs binding a parameter to two values. */
function conjunction(left: CompiledWhere, right: CompiledWhere): CompiledWhere {
  const l = left.matcher;
  const r = right.matcher;
  const covered = new Set([...left.covered, ...right.covered]);
  const conjuncts = left.conjuncts && right.conjuncts ? [...left.conjuncts, ...right.conjuncts] : undefined;
  return {
    conjuncts,
    matcher: (ctx) => {
      const a = l(ctx);
      if (a.length === 0) return a;
      const b = r(ctx);
      if (b.length === 0) return b;
      if (a.length === 1 && b.length === 1) {
        const merged = mergeTuples(a[0]!, b[0]!);
        return merged ? [merged] : [];
      }
      const out: ParameterTuple[] = [];
      for (const x of a)
        for (const y of b) {
          const merged = mergeTuples(x, y);
          if (merged) out.push(merged);
        }
      return out;
    },
    covered,
  };
}

function mergeTuples(a: ParameterTuple, b: ParameterTuple): ParameterTuple | undefined {
  const out = a.slice();
  for (let i = 0; i < b.length; i++) {
    const v = b[i];
    if (v === undefined) continue;
    const existing = out[i];
    if (existing !== undefined && existing !== v) return undefined;
    out[i] = v;
  }
  return out;
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
