// The terms a stream query's WHERE is made of, each tied to what it depends on (one table, the
// request, or both sides of a link), and how OR-variants of them group, negate and merge.
import type { Expr, PGNode } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import type { VariantRules } from './stream-dnf';
import type { StreamRequestSource } from './stream-request-functions';
import type { TablePattern } from './table-pattern';

/** A table the query reads: the synced one, or a subquery's. */
export interface ResultSet {
  id: number;
  table: TablePattern;
  /** What qualifies its columns in SQL: the alias, else the table name. */
  qualifier: string;
  alias: string | undefined;
  node: PGNode;
  /**
   * Set for `json_each(<request array>)`: its rows are the elements (`key`, `value`) of a request
   * value, read at request time like a lookup's rows.
   */
  requestArray?: TermSide;
  /**
   * `json_each(<array of this row>)` items whose `value` / `key` are used in expressions: the row is
   * evaluated once per element, with the element as synthetic columns (stream-attached.ts).
   */
  attached?: AttachedFunction[];
}

/** A json_each over a column of one table's row. */
export interface AttachedFunction {
  qualifier: string;
  array: Expr;
  source: SqlSource;
}

/** One side of a term: the expression and the single thing it depends on. */
export interface TermSide {
  expr: Expr;
  /** The result set whose row it reads; undefined for request values and constants. */
  set: ResultSet | undefined;
  /** The request sources it reads (`auth`, `connection`, `subscription`). */
  request: ReadonlySet<StreamRequestSource>;
  /** Its dependencies were already reported as wrong: compile it without reporting again. */
  invalid?: boolean;
  /** The SQL string it is in, when not the query's own (a common table expression). */
  source?: SqlSource;
}

/**
 * A WHERE term after OR-splitting. `filter`: depends on one result set, or (set undefined) only on
 * the request. `equals`: `left = right` across two dependencies. `member`: `value IN array` where
 * the array is JSON text and the two sides depend on different things.
 */
export type Term =
  | { kind: 'filter'; side: TermSide; node: PGNode }
  | { kind: 'equals'; left: TermSide; right: TermSide; node: PGNode }
  | { kind: 'member'; value: TermSide; array: TermSide; node: PGNode };

export const NO_REQUEST: ReadonlySet<StreamRequestSource> = new Set();

/** How terms group, negate and merge when the WHERE becomes bucket variants. */
export function variantRules(source: SqlSource): VariantRules<Term> {
  return {
    group: (term) =>
      term.kind === 'filter' ? (term.side.set ? `set:${term.side.set.id}` : 'request') : undefined,
    negate: (term) => {
      if (term.kind === 'filter') {
        const expr: Expr = {
          type: 'unary',
          op: 'NOT',
          operand: term.side.expr,
          _location: term.side.expr._location,
        };
        return { kind: 'filter', side: { ...term.side, expr }, node: term.node };
      }
      source.report(
        'query-shape',
        'A condition linking the synced row to the request or to a subquery cannot be negated',
        term.node,
      );
      return constantFilter(false, term.node);
    },
    mergeOr: (variants) => {
      const sides = variants.flat().map((t) => (t as Term & { kind: 'filter' }).side);
      const ands = variants.map((v) =>
        v.length === 0
          ? TRUE
          : v.map((t) => (t as Term & { kind: 'filter' }).side.expr).reduce((a, b) => combine('AND', a, b)),
      );
      const expr = ands.reduce((a, b) => combine('OR', a, b));
      const set = sides.find((side) => side.set)?.set;
      const request = new Set(sides.flatMap((side) => [...side.request]));
      const invalid = sides.some((side) => side.invalid === true);
      return { kind: 'filter', side: { expr, set, request, ...(invalid ? { invalid } : {}) }, node: expr };
    },
  };
}

const TRUE: Expr = { type: 'boolean', value: true };

function combine(op: 'AND' | 'OR', left: Expr, right: Expr): Expr {
  return { type: 'binary', op, left, right, _location: left._location };
}

function constantFilter(value: boolean, node: PGNode): Term {
  return {
    kind: 'filter',
    side: { expr: { type: 'boolean', value }, set: undefined, request: NO_REQUEST },
    node,
  };
}

/** Both sides read the same row, or at most one side reads anything (a row or the request). */
export function sameDependency(a: TermSide, b: TermSide): boolean {
  if (a.set && b.set) return a.set === b.set;
  if (a.set) return b.request.size === 0;
  if (b.set) return a.request.size === 0;
  return true;
}
