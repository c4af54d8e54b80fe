// The WHERE of a data query as bucket parameter bindings: which parameter tuples a row binds
// (`column = bucket.p`, `bucket.p IN array`, a bare `bucket.p`), combined by AND (product) and OR
// (union), with the other conditions as row filters. Reports PowerSync's WHERE validation errors.
import type { Expr, ExprBinary } from 'pgsql-ast-parser';
import type { EvalContext, Evaluator, ExpressionCompiler } from './expression';
import * as jsonValues from './json-values';
import { bucketRefs, isBucketRef } from './sql-ast';
import type { SqlSource } from './sql-source';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonValue, SqliteValue } from '@syncline/sqlite-value';

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
export type Conjunct =
  | { kind: 'filter'; test: Evaluator }
  | { kind: 'equals'; index: number; value: Evaluator }
  | { kind: 'in'; index: number; array: Evaluator };

export interface CompiledWhere {
  matcher: WhereMatcher;
  covered: Set<string>;
  /** The WHERE as a conjunction, or undefined when it has OR (then only `matcher` applies). */
  conjuncts: Conjunct[] | undefined;
  /** The first `bucket.p IN array` inside, which can give a row many buckets. */
  expanding: Expr | undefined;
}

/** Parameter values for bucket names: JSON scalars only, whole numbers as integers. */
export function parameterValue(value: SqliteValue): SqliteJsonValue | undefined {
  if (value === null || value instanceof Uint8Array) return undefined;
  return normalizeNumber(value);
}

/**
 * WHERE of a data query: `expr = bucket.p` / `bucket.p IN json_array_expr` / a bare `bucket.p`
 * (true: p = 1) bind parameters, AND takes the product of its sides, OR the union; anything else
 * is a row filter.
 */
export class WhereCompiler {
  constructor(
    private readonly compiler: ExpressionCompiler,
    private readonly params: readonly string[],
    private readonly source: SqlSource,
  ) {}

  /** The WHERE, or no WHERE: every row, binding nothing. */
  compileWhere(expr: Expr | null | undefined): CompiledWhere {
    if (expr) return this.compile(expr);
    const unbound: ParameterTuple[] = [new Array(this.params.length).fill(undefined)];
    return { matcher: () => unbound, covered: new Set(), conjuncts: [], expanding: undefined };
  }

  private compile(expr: Expr): CompiledWhere {
    if (isParameterOnly(expr)) return this.compileParameterOnly(expr);
    if (expr.type === 'binary' && (expr.op === 'AND' || expr.op === 'OR')) {
      const left = this.compile(expr.left);
      const right = this.compile(expr.right);
      if (expr.op === 'OR') return disjunction(left, right);
      if (left.expanding && right.expanding) {
        // PowerSync refuses this: the row's bucket count would be the product of two arrays.
        this.source.report(
          'bucket-parameter',
          'Cannot have multiple IN expressions on bucket parameters',
          right.expanding,
        );
      }
      return conjunction(left, right);
    }
    if (isBucketRef(expr)) return this.compileBoolean(expr);
    if (expr.type === 'binary' && expr.op === '=' && (isBucketRef(expr.left) || isBucketRef(expr.right))) {
      return this.compileEquals(expr);
    }
    if (expr.type === 'binary' && expr.op === 'IN' && isBucketRef(expr.left)) {
      return this.compileIn(expr);
    }
    return this.compileFilter(expr);
  }

  /**
   * `bucket.a AND bucket.b` (bucket parameters and literals only): PowerSync folds it into one
   * opaque parameter expression, which binds no parameter.
   */
  private compileParameterOnly(expr: Expr): CompiledWhere {
    this.source.report(
      'bucket-parameter',
      "Bucket parameters cannot be combined with each other by AND/OR; compare each with a value ('bucket.a = 1 AND bucket.b = 1') or with a column",
      expr,
    );
    return { matcher: () => NO_TUPLES, covered: new Set(), conjuncts: undefined, expanding: undefined };
  }

  /** A bare `bucket.p` as a condition: true, so the row belongs to the bucket where p = 1. */
  private compileBoolean(ref: Expr & { type: 'ref'; name: string }): CompiledWhere {
    const n = this.params.length;
    const index = this.parameterIndex(ref);
    const tuple: ParameterTuple = new Array(n).fill(undefined);
    if (index >= 0) tuple[index] = TRUE;
    const tuples = [tuple];
    return {
      matcher: () => tuples,
      covered: new Set(index >= 0 ? [ref.name] : []),
      conjuncts: [{ kind: 'equals', index, value: () => TRUE }],
      expanding: undefined,
    };
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
      expanding: undefined,
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
      expanding: expr,
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
      expanding: undefined,
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
/** The value a bare `bucket.p` condition binds: SQLite's true. */
const TRUE = 1n;

/** An AND/OR whose operands are only bare bucket parameters and literals, with at least one parameter. */
function isParameterOnly(expr: Expr): boolean {
  const leaf = (e: Expr): boolean => isBucketRef(e) || LITERAL_TYPES.has(e.type) || isParameterOnly(e);
  return (
    expr.type === 'binary' &&
    (expr.op === 'AND' || expr.op === 'OR') &&
    leaf(expr.left) &&
    leaf(expr.right) &&
    bucketRefs(expr).length > 0
  );
}

const LITERAL_TYPES = new Set(['integer', 'numeric', 'string', 'boolean', 'null']);

/** OR: a row's tuples are those of both branches; a parameter is covered only if both bind it. */
function disjunction(left: CompiledWhere, right: CompiledWhere): CompiledWhere {
  const l = left.matcher;
  const r = right.matcher;
  const covered = new Set([...left.covered].filter((p) => right.covered.has(p)));
  return {
    matcher: (ctx) => [...l(ctx), ...r(ctx)],
    covered,
    conjuncts: undefined,
    expanding: left.expanding ?? right.expanding,
  };
}

/** AND: each left tuple merged with each right one, except pairs binding a parameter to two values. */
function conjunction(left: CompiledWhere, right: CompiledWhere): CompiledWhere {
  const l = left.matcher;
  const r = right.matcher;
  const covered = new Set([...left.covered, ...right.covered]);
  const conjuncts = left.conjuncts && right.conjuncts ? [...left.conjuncts, ...right.conjuncts] : undefined;
  return {
    conjuncts,
    expanding: left.expanding ?? right.expanding,
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
