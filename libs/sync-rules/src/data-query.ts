// Compiles one data query (`SELECT ... FROM table WHERE ... bucket.<p> ...`) into a row matcher:
// which bucket parameter tuples a row belongs to, and the output row it contributes.
import type { Expr, SelectedColumn } from 'pgsql-ast-parser';
import { ExpressionCompiler, type EvalContext, type Evaluator } from './expression';
import { jsonArrayElements } from './json-values';
import { bucketRefs, columnName, isBucketRef, isStar } from './sql-ast';
import type { SqlSource } from './sql-source';
import {
  castAsText,
  isTruthy,
  normalizeNumber,
  type SqliteJsonRow,
  type SqliteJsonValue,
  type SqliteRow,
  type SqliteValue,
} from './sqlite-value';
import { compileTableMatcher, tablePattern, type SourceTableName, type TablePattern } from './table-pattern';

/** Parameter values in definition order; `undefined` = not (yet) bound by this branch. */
export type ParameterTuple = (SqliteJsonValue | undefined)[];
type WhereMatcher = (ctx: EvalContext) => ParameterTuple[];

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
  /** The bucket parameter tuples (complete, deduplicated) a row belongs to. */
  bucketParameters(ctx: EvalContext): SqliteJsonValue[][];
  /** The synced row: id as text, blobs and `_`-prefixed `*` columns dropped. */
  outputRow(ctx: EvalContext): SqliteJsonRow;
}

interface OutputColumn {
  name: string;
  evaluate: Evaluator | undefined; // undefined = `*`
}

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
  return {
    table,
    matchesTable: compileTableMatcher(table),
    alias,
    bucketParameters: (ctx) => completeTuples(matcher(ctx)),
    outputRow: compileOutputRow(columns),
  };
}

function compileColumns(
  columns: SelectedColumn[],
  compiler: ExpressionCompiler,
  source: SqlSource,
): OutputColumn[] {
  const out: OutputColumn[] = [];
  for (const column of columns) {
    if (isStar(column)) {
      out.push({ name: '*', evaluate: undefined });
      continue;
    }
    const name = columnName(column);
    const compiled = compiler.compile(column.expr);
    if (name === undefined) {
      source.report(
        'expression',
        'An expression in SELECT needs an alias: <expression> AS <name>',
        column.expr,
      );
      continue;
    }
    out.push({ name, evaluate: compiled.evaluate });
  }
  return out;
}

function toJsonValue(value: SqliteValue): SqliteJsonValue | undefined {
  return value instanceof Uint8Array ? undefined : value;
}

function compileOutputRow(columns: readonly OutputColumn[]): (ctx: EvalContext) => SqliteJsonRow {
  const onlyStar = columns.length === 1 && columns[0]?.evaluate === undefined;
  if (onlyStar) return (ctx) => (ctx.starData ??= starRow(ctx.row)) as SqliteJsonRow;
  return (ctx) => {
    const data: SqliteJsonRow = {};
    for (const column of columns) {
      if (column.evaluate === undefined) {
        Object.assign(data, (ctx.starData ??= starRow(ctx.row)));
      } else {
        const value = toJsonValue(column.evaluate(ctx));
        if (value !== undefined) data[column.name] = value;
        else delete data[column.name];
      }
    }
    data['id'] = idText(data['id']);
    return data;
  };
}

/** `*`: every column except `_`-prefixed ones and blobs, with the id as text. */
function starRow(row: SqliteRow): SqliteJsonRow {
  const data: SqliteJsonRow = {};
  for (const key in row) {
    if (key.charCodeAt(0) === 95 /* _ */) continue;
    const value = row[key] ?? null;
    if (!(value instanceof Uint8Array)) data[key] = value;
  }
  data['id'] = idText(data['id']);
  return data;
}

function idText(id: SqliteJsonValue | undefined): string {
  return typeof id === 'string' ? id : id === undefined || id === null ? '' : (castAsText(id) ?? '');
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

  compile(expr: Expr): { matcher: WhereMatcher; covered: Set<string> } {
    const n = this.params.length;
    if (expr.type === 'binary' && (expr.op === 'AND' || expr.op === 'OR')) {
      const left = this.compile(expr.left);
      const right = this.compile(expr.right);
      const l = left.matcher;
      const r = right.matcher;
      if (expr.op === 'OR') {
        const covered = new Set([...left.covered].filter((p) => right.covered.has(p)));
        return { matcher: (ctx) => [...l(ctx), ...r(ctx)], covered };
      }
      const covered = new Set([...left.covered, ...right.covered]);
      return {
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
    if (expr.type === 'binary' && expr.op === '=' && (isBucketRef(expr.left) || isBucketRef(expr.right))) {
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
      };
    }
    if (expr.type === 'binary' && expr.op === 'IN' && isBucketRef(expr.left)) {
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
      };
    }
    // A row filter. Bucket references in other positions are reported by the expression compiler.
    const filter = this.compiler.compile(expr).evaluate;
    const unbound: ParameterTuple[] = [new Array(n).fill(undefined)];
    return {
      // Tuples are never mutated after creation (merges copy), so the unbound one is shared.
      matcher: (ctx) => (isTruthy(filter(ctx)) ? unbound : NO_TUPLES),
      covered: new Set(),
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
