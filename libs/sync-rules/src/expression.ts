// Compiles one pgsql-ast-parser expression into a closure over an EvalContext, once, at rules
// compile time; evaluation never looks at the AST again. Reports unsupported SQL with positions.
import type { Expr } from 'pgsql-ast-parser';
import * as jsonValues from './json-values';
import type { RequestContext } from './request-context';
import { AGGREGATE_FUNCTIONS, SQL_FUNCTIONS } from './sql-functions';
import * as operators from './sql-operators';
import {
  castAsBlob,
  castAsInteger,
  castAsNumeric,
  castAsReal,
  castAsText,
  integerOrReal,
  isTruthy,
  type SqliteRow,
  type SqliteValue,
} from '@syncline/sqlite-value';
import type { DiagnosticReporter } from './sql-source';
import { compileRowMetadata, ROW_METADATA_FUNCTIONS } from './row-metadata';
import type { TablePattern } from './table-pattern';
import {
  compileStreamRequestCall,
  STREAM_REQUEST_SOURCES,
  type StreamRequestSource,
} from './stream-request-functions';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { memberPath, jsonArrow, jsonArrowText } = jsonValues;
const { BINARY_OPERATORS, inList, sqlNot, sqlAnd, sqlOr } = operators;

export interface EvalContext {
  row: SqliteRow;
  request: RequestContext | undefined;
  /** The `SELECT *` output of `row`, computed once per row and shared by all queries. */
  starData?: Record<string, SqliteValue> | undefined;
  /** The source table of `row` as the caller named it; read by row metadata functions. */
  table?: string;
}

export type Evaluator = (ctx: EvalContext) => SqliteValue;

export interface CompiledExpression {
  evaluate: Evaluator;
  usesRow: boolean;
  usesRequest: boolean;
  /** Reads `request.parameters()` / `user_parameters.*`, which the client controls. */
  usesClientParameters: boolean;
}

export interface ExpressionScope {
  /** Table names/aliases that qualify row columns; undefined when the query has no row. */
  rowQualifiers: readonly string[] | undefined;
  /** Whether request values (`request.*`, `token_parameters.*`, ...) are available. */
  allowRequest: boolean;
  fixedJsonExtract: boolean;
  /**
   * Which request functions the language has: bucket definitions' `request.*` / `token_parameters.*`
   * (default) or sync streams' `auth.*`, `connection.*`, `subscription.*`.
   */
  requestSyntax?: 'bucket-definitions' | 'streams';
  /** Streams: the table pattern of each row qualifier, for `t.schema()` and the like. */
  rowTables?: ReadonlyMap<string, TablePattern>;
}

const CAST_TYPES: Record<string, (v: SqliteValue) => SqliteValue> = {
  text: castAsText,
  numeric: castAsNumeric,
  integer: castAsInteger,
  real: castAsReal,
  blob: castAsBlob,
};

const REQUEST_FUNCTIONS = new Set(['user_id', 'jwt', 'parameters']);

function constant(value: SqliteValue): CompiledExpression {
  return { evaluate: () => value, usesRow: false, usesRequest: false, usesClientParameters: false };
}

function combine(parts: readonly CompiledExpression[], evaluate: Evaluator): CompiledExpression {
  return {
    evaluate,
    usesRow: parts.some((p) => p.usesRow),
    usesRequest: parts.some((p) => p.usesRequest),
    usesClientParameters: parts.some((p) => p.usesClientParameters),
  };
}

export class ExpressionCompiler {
  constructor(
    private readonly sql: string,
    private readonly scope: ExpressionScope,
    private readonly report: DiagnosticReporter,
  ) {}

  compile(expr: Expr): CompiledExpression {
    switch (expr.type) {
      case 'null':
        return constant(null);
      case 'boolean':
        return constant(expr.value ? 1n : 0n);
      case 'string':
        return constant(expr.value);
      case 'integer':
        return constant(this.integerLiteral(expr));
      case 'numeric':
        return constant(expr.value);
      case 'ref':
        return this.compileRef(expr);
      case 'call':
        return this.compileCall(expr);
      case 'member': {
        const operand = this.compile(expr.operand);
        const steps = memberPath(expr.member, this.scope.fixedJsonExtract);
        const f = operand.evaluate;
        if (steps === undefined) this.report('expression', `Invalid JSON path '${expr.member}'`, expr);
        const evaluate: Evaluator =
          expr.op === '->' ? (ctx) => jsonArrow(f(ctx), steps) : (ctx) => jsonArrowText(f(ctx), steps);
        return combine([operand], evaluate);
      }
      case 'cast': {
        const operand = this.compile(expr.operand);
        const typeName = 'name' in expr.to ? expr.to.name.toLowerCase() : '';
        const cast = CAST_TYPES[typeName];
        if (!cast) {
          this.report(
            'expression',
            `CAST to '${typeName}' is not supported; use text, numeric, integer, real or blob`,
            expr,
          );
          return constant(null);
        }
        const f = operand.evaluate;
        return combine([operand], (ctx) => cast(f(ctx)));
      }
      case 'unary':
        return this.compileUnary(expr);
      case 'binary':
        return this.compileBinary(expr);
      case 'list':
        this.report('expression', 'A list is only allowed on the right side of IN', expr);
        return constant(null);
      case 'select':
      case 'union':
      case 'union all':
      case 'with':
      case 'with recursive':
      case 'values':
        this.report('query-shape', 'Subqueries are not supported', expr);
        return constant(null);
      case 'parameter':
        this.report('expression', 'Query parameters ($1) are not supported', expr);
        return constant(null);
      case 'keyword':
        this.report(
          'expression',
          `'${expr.keyword}' is not deterministic and cannot be used in sync rules`,
          expr,
        );
        return constant(null);
      case 'ternary':
        if (this.scope.requestSyntax === 'streams') return this.compileBetween(expr);
        this.report('expression', `Operator not supported: ${expr.op}`, expr);
        return constant(null);
      case 'case':
        if (this.scope.requestSyntax === 'streams') return this.compileCase(expr);
        // PowerSync's bucket definitions have no CASE; its sync streams compiler does.
        this.report('expression', 'CASE expressions are not supported; use iif()', expr);
        return constant(null);
      default:
        this.report('expression', `Operator not supported: ${expr.type}`, expr);
        return constant(null);
    }
  }

  /** pgsql-ast-parser stores integers as JS numbers; re-read large literals from the SQL text. */
  private integerLiteral(expr: Expr & { type: 'integer' }): bigint | number {
    if (Number.isSafeInteger(expr.value)) return BigInt(expr.value);
    const loc = expr._location;
    const text = loc ? this.sql.slice(loc.start, loc.end).replace(/\s+/g, '') : '';
    return /^-?\d+$/.test(text) ? integerOrReal(BigInt(text)) : expr.value;
  }

  private compileRef(expr: Expr & { type: 'ref' }): CompiledExpression {
    const table = expr.table?.name;
    const name = expr.name;
    if (name === '*') {
      this.report('expression', "'*' is only allowed as a whole output column", expr);
      return constant(null);
    }
    if (table === 'bucket') {
      this.report(
        'bucket-parameter',
        `bucket.${name} can only be used as 'column = bucket.${name}', 'bucket.${name} IN column' or a condition of its own ('WHERE bucket.${name}') in a data query's WHERE`,
        expr,
      );
      return constant(null);
    }
    const streams = this.scope.requestSyntax === 'streams';
    if (!streams && (table === 'token_parameters' || table === 'user_parameters')) {
      if (!this.scope.allowRequest) {
        this.report('expression', `${table}.${name} is only available in parameter queries`, expr);
        return constant(null);
      }
      const client = table === 'user_parameters';
      return {
        evaluate: client
          ? (ctx) => ctx.request?.userParameters[name] ?? null
          : (ctx) => ctx.request?.tokenParameters[name] ?? null,
        usesRow: false,
        usesRequest: true,
        usesClientParameters: client,
      };
    }
    const qualifiers = this.scope.rowQualifiers;
    if (qualifiers === undefined) {
      this.report(
        'expression',
        `Column '${table ? `${table}.` : ''}${name}' is not available: this query has no FROM table`,
        expr,
      );
      return constant(null);
    }
    if (table !== undefined && !qualifiers.includes(table)) {
      this.report('expression', `Unknown table '${table}'`, expr.table ?? expr);
      return constant(null);
    }
    return {
      evaluate: (ctx) => ctx.row[name] ?? null,
      usesRow: true,
      usesRequest: false,
      usesClientParameters: false,
    };
  }

  private compileCall(expr: Expr & { type: 'call' }): CompiledExpression {
    const schema = expr.function.schema;
    const name = expr.function.name.toLowerCase();
    const streams = this.scope.requestSyntax === 'streams';
    if (streams && schema !== undefined && STREAM_REQUEST_SOURCES.has(schema)) {
      return this.compileStreamCall(expr, schema as StreamRequestSource);
    }
    if (schema === 'request' && streams) {
      this.report(
        'expression',
        `request.${name}() is not available in sync streams; use auth.user_id(), auth.parameter(), connection.parameter() or subscription.parameter()`,
        expr,
      );
      return constant(null);
    }
    if (schema === 'request') return this.compileRequestCall(expr, name);
    const table = schema === undefined ? undefined : this.scope.rowTables?.get(schema);
    if (table && ROW_METADATA_FUNCTIONS.has(name)) return compileRowMetadata(expr, table, this.report);
    if (schema !== undefined) {
      this.report('expression', `Function '${schema}.${name}' is not defined`, expr);
      return constant(null);
    }
    if (AGGREGATE_FUNCTIONS.has(name) || expr.over || expr.filter || expr.distinct || expr.orderBy) {
      this.report(
        'expression',
        `Aggregate functions are not supported: '${name}' (rules see one row at a time)`,
        expr,
      );
      return constant(null);
    }
    if (name === 'json_each') {
      this.report('query-shape', 'json_each() is only allowed as the FROM of a parameter query', expr);
      return constant(null);
    }
    const fn = SQL_FUNCTIONS[name];
    if (!fn) {
      this.report('expression', `Function '${name}' is not defined`, expr);
      return constant(null);
    }
    if (expr.args.length < fn.minArgs || expr.args.length > fn.maxArgs) {
      const expected = fn.minArgs === fn.maxArgs ? `${fn.minArgs}` : `${fn.minArgs} to ${fn.maxArgs}`;
      this.report(
        'expression',
        `Function '${name}' takes ${expected} argument(s), got ${expr.args.length}: ${fn.signature}`,
        expr,
      );
      return constant(null);
    }
    const args = expr.args.map((a) => this.compile(a));
    const call = fn.call;
    const [a0, a1, a2] = args.map((a) => a.evaluate);
    let evaluate: Evaluator;
    if (args.length === 1 && a0) evaluate = (ctx) => call([a0(ctx)]);
    else if (args.length === 2 && a0 && a1) evaluate = (ctx) => call([a0(ctx), a1(ctx)]);
    else if (args.length === 3 && a0 && a1 && a2) evaluate = (ctx) => call([a0(ctx), a1(ctx), a2(ctx)]);
    else evaluate = (ctx) => call(args.map((a) => a.evaluate(ctx)));
    return combine(args, evaluate);
  }

  private compileStreamCall(expr: Expr & { type: 'call' }, source: StreamRequestSource): CompiledExpression {
    if (!this.scope.allowRequest) {
      this.report(
        'expression',
        'This attempts to sync a connection parameter. Only values from the source database can be synced.',
        expr,
      );
      return constant(null);
    }
    return compileStreamRequestCall(expr, source, (arg) => this.compile(arg), this.report) ?? constant(null);
  }

  private compileRequestCall(expr: Expr & { type: 'call' }, name: string): CompiledExpression {
    if (!REQUEST_FUNCTIONS.has(name)) {
      this.report('expression', `Function 'request.${name}' is not defined`, expr);
      return constant(null);
    }
    if (!this.scope.allowRequest) {
      this.report('expression', `request.${name}() is only available in parameter queries`, expr);
      return constant(null);
    }
    if (expr.args.length > 0) {
      this.report('expression', `request.${name}() takes no arguments`, expr);
    }
    const evaluate: Evaluator =
      name === 'user_id'
        ? (ctx) => ctx.request?.userId ?? null
        : name === 'jwt'
          ? (ctx) => ctx.request?.jwtJson ?? null
          : (ctx) => ctx.request?.parametersJson ?? null;
    return { evaluate, usesRow: false, usesRequest: true, usesClientParameters: name === 'parameters' };
  }

  /**
   * `CASE [x] WHEN w THEN v ... [ELSE e] END` with SQLite's rules: the first `w` that is true (or,
   * with `x`, for which `x = w` is true; NULL never matches) gives its `v`, else `e` or NULL.
   */
  private compileCase(expr: Expr & { type: 'case' }): CompiledExpression {
    const operand = expr.value ? this.compile(expr.value) : undefined;
    const whens = expr.whens.map((w) => ({ when: this.compile(w.when), then: this.compile(w.value) }));
    const otherwise = expr.else ? this.compile(expr.else) : constant(null);
    const parts = [...(operand ? [operand] : []), otherwise, ...whens.flatMap((w) => [w.when, w.then])];
    const equals = BINARY_OPERATORS['=']!;
    const branches = whens.map((w) => ({ when: w.when.evaluate, then: w.then.evaluate }));
    const subject = operand?.evaluate;
    const orElse = otherwise.evaluate;
    return combine(parts, (ctx) => {
      const x = subject?.(ctx);
      for (const branch of branches) {
        const w = branch.when(ctx);
        if (isTruthy(subject ? equals(x ?? null, w) : w)) return branch.then(ctx);
      }
      return orElse(ctx);
    });
  }

  /** `x [NOT] BETWEEN lo AND hi`: SQLite's `x >= lo AND x <= hi`, three-valued. */
  private compileBetween(expr: Expr & { type: 'ternary' }): CompiledExpression {
    const parts = [expr.value, expr.lo, expr.hi].map((e) => this.compile(e));
    const [x, lo, hi] = parts.map((p) => p.evaluate) as [Evaluator, Evaluator, Evaluator];
    const atLeast = BINARY_OPERATORS['>=']!;
    const atMost = BINARY_OPERATORS['<=']!;
    const between: Evaluator = (ctx) => {
      const v = x(ctx);
      return sqlAnd(atLeast(v, lo(ctx)), atMost(v, hi(ctx)));
    };
    return combine(parts, expr.op === 'NOT BETWEEN' ? (ctx) => sqlNot(between(ctx)) : between);
  }

  private compileUnary(expr: Expr & { type: 'unary' }): CompiledExpression {
    const operand = this.compile(expr.operand);
    const f = operand.evaluate;
    switch (expr.op) {
      case 'NOT':
        return combine([operand], (ctx) => sqlNot(f(ctx)));
      case 'IS NULL':
        return combine([operand], (ctx) => (f(ctx) === null ? 1n : 0n));
      case 'IS NOT NULL':
        return combine([operand], (ctx) => (f(ctx) === null ? 0n : 1n));
      case '-':
        return combine([operand], (ctx) => BINARY_OPERATORS['-']!(0n, f(ctx)));
      case '+':
        return operand;
      default:
        this.report('expression', `Operator not supported: ${expr.op}`, expr);
        return constant(null);
    }
  }

  private compileBinary(expr: Expr & { type: 'binary' }): CompiledExpression {
    const op = expr.op;
    // Sync streams also accept `x IN ARRAY[a, b]` for a literal list, as PowerSync does.
    const arrayList = this.scope.requestSyntax === 'streams' && expr.right.type === 'array';
    if ((op === 'IN' || op === 'NOT IN') && (expr.right.type === 'list' || arrayList)) {
      const left = this.compile(expr.left);
      const items = (expr.right as Expr & { expressions: Expr[] }).expressions.map((e) => this.compile(e));
      const l = left.evaluate;
      const evaluate: Evaluator =
        op === 'IN'
          ? (ctx) =>
              inList(
                l(ctx),
                items.map((i) => i.evaluate(ctx)),
              )
          : (ctx) =>
              sqlNot(
                inList(
                  l(ctx),
                  items.map((i) => i.evaluate(ctx)),
                ),
              );
      return combine([left, ...items], evaluate);
    }
    const operator = BINARY_OPERATORS[op];
    if (!operator) {
      this.report('expression', `Operator not supported: ${op}`, expr);
      return constant(null);
    }
    const left = this.compile(expr.left);
    const right = this.compile(expr.right);
    const l = left.evaluate;
    const r = right.evaluate;
    if (op === 'AND') return combine([left, right], (ctx) => sqlAnd(l(ctx), r(ctx)));
    if (op === 'OR') return combine([left, right], (ctx) => sqlOr(l(ctx), r(ctx)));
    return combine([left, right], (ctx) => operator(l(ctx), r(ctx)));
  }
}
