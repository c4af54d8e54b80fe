// Parses one sync-stream query into result sets (the synced table, joined tables, and the tables of
// `IN (SELECT ...)` subqueries and `IN cte` common table expressions) and its WHERE as OR-variants
// of terms, each tied to what it depends on: one result set, the request, or both sides of an `=` /
// `IN` that links them. No evaluation here.
import type {
  Expr,
  ExprBinary,
  PGNode,
  SelectedColumn,
  SelectFromStatement,
  Statement,
} from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import { toVariants, type BoolNode } from './stream-dnf';
import {
  NO_REQUEST,
  sameDependency,
  variantRules,
  type ResultSet,
  type Term,
  type TermSide,
} from './stream-terms';
import { STREAM_REQUEST_SOURCES, type StreamRequestSource } from './stream-request-functions';
import {
  readFrom,
  reportUnsupportedClauses,
  warnAliasedPrimary,
  type FromClause,
  type TableFunction,
} from './stream-from';

export interface ParsedStreamQuery {
  primary: ResultSet;
  sets: ResultSet[];
  columns: SelectedColumn[];
  /** The WHERE as OR-variants (each an AND of terms), in PowerSync's bucket order. */
  variants: Term[][];
  statement: SelectFromStatement;
}

/** What an expression was found to depend on while walking it. */
interface Found {
  set: ResultSet | undefined;
  request: Set<StreamRequestSource>;
  invalid: boolean;
}

/** The tables of one query level (the query, or a subquery) and the level around it. */
interface Scope {
  sets: ResultSet[];
  parent: Scope | undefined;
  /** FROM items reported as unsupported; references to them are not reported again. */
  unusable?: string[];
  /** `json_each(...)` items of this level. */
  functions?: TableFunction[];
}

/** A common table expression available to a stream's queries; its SQL is parsed once, when used. */
export interface CommonTableExpression {
  name: string;
  source: SqlSource;
  statement: () => Statement | undefined;
  used: boolean;
}

export function parseStreamQuery(
  source: SqlSource,
  defaultSchema: string,
  ctes: ReadonlyMap<string, CommonTableExpression> = new Map(),
): ParsedStreamQuery | undefined {
  const statement = source.parseStatement();
  if (!statement) return undefined;
  if (statement.type !== 'select') {
    source.report('query-shape', 'Expected a SELECT statement', statement);
    return undefined;
  }
  const parser = new StreamQueryParser(source, defaultSchema, ctes);
  reportUnsupportedClauses(statement, source);
  const from = parser.from(statement);
  if (!from) return undefined;
  const scope: Scope = {
    sets: from.sets,
    parent: undefined,
    unusable: from.unusable,
    functions: from.functions,
  };
  const primary = parser.primaryOf(statement, scope);
  if (!primary) return undefined;
  warnAliasedPrimary(primary, from.sets.length, source);
  const conditions = [...from.on, ...(statement.where ? [statement.where] : [])];
  const where: BoolNode<Term> = {
    type: 'and',
    inner: conditions.map((c) => parser.condition(c, scope, false)),
  };
  const variants = toVariants(where, variantRules(source));
  if (variants === undefined) {
    source.report(
      'query-shape',
      'For sync streams, inner OR operators need to be moved up to be top-level filters; this query results in more than 100 variants',
      statement.where ?? statement,
    );
    return undefined;
  }
  return { primary, sets: parser.sets, columns: statement.columns ?? [], variants, statement };
}

class StreamQueryParser {
  constructor(
    private readonly source: SqlSource,
    private readonly defaultSchema: string,
    private readonly ctes: ReadonlyMap<string, CommonTableExpression>,
    /** Shared with the parsers of common table expressions, so result set ids stay unique. */
    readonly sets: ResultSet[] = [],
  ) {}

  /** The CTE named by the right side of `x IN name` / `x NOT IN name`. */
  private cteOf(expr: ExprBinary): CommonTableExpression | undefined {
    if (expr.op !== 'IN' && expr.op !== 'NOT IN') return undefined;
    const right = expr.right;
    return right.type === 'ref' && right.table === undefined ? this.ctes.get(right.name) : undefined;
  }

  /** The tables of a FROM (several with INNER JOINs), registered as result sets of this query. */
  from(statement: SelectFromStatement): FromClause | undefined {
    const from = readFrom(statement, this.source, this.defaultSchema, this.sets.length, this.ctes);
    if (from) this.sets.push(...from.sets);
    return from;
  }

  /** The synced table: the one every output column reads (`*` needs a single table or `t.*`). */
  primaryOf(statement: SelectFromStatement, scope: Scope): ResultSet | undefined {
    let primary: ResultSet | undefined;
    for (const column of statement.columns ?? []) {
      const expr = column.expr;
      const isStar = expr.type === 'ref' && expr.name === '*';
      const set = isStar ? this.resolveQualifier(expr, scope) : this.side(expr, scope).set;
      if (set === undefined) continue;
      if (primary && primary !== set) {
        this.source.report(
          'query-shape',
          `Sync streams can only select from a single table, and this one already selects from table '${primary.qualifier}'`,
          expr,
        );
      } else primary = set;
    }
    if (!primary)
      this.source.report('query-shape', 'Must have a result column selecting from a table', statement);
    return primary;
  }

  /** The boolean structure of a condition; `negated` is true under an odd number of NOTs. */
  condition(expr: Expr, scope: Scope, negated: boolean): BoolNode<Term> {
    if (expr.type === 'binary' && (expr.op === 'AND' || expr.op === 'OR')) {
      return {
        type: expr.op === 'AND' ? 'and' : 'or',
        inner: [this.condition(expr.left, scope, negated), this.condition(expr.right, scope, negated)],
      };
    }
    if (expr.type === 'unary' && expr.op === 'NOT') {
      return { type: 'not', inner: this.condition(expr.operand, scope, !negated) };
    }
    const cte = expr.type === 'binary' ? this.cteOf(expr) : undefined;
    if (cte && expr.type === 'binary') {
      const expansion = this.commonTableExpression(expr, cte, scope, negated !== (expr.op === 'NOT IN'));
      return negated ? { type: 'not', inner: expansion } : expansion;
    }
    if (
      expr.type === 'binary' &&
      (expr.op === 'IN' || expr.op === 'NOT IN') &&
      expr.right.type === 'select'
    ) {
      const expansion = this.subquery(expr, scope, negated !== (expr.op === 'NOT IN'), expr.right);
      // Under an odd number of outer NOTs, `NOT IN` is a plain IN; the DNF will still apply those
      // NOTs to the expansion, so one more cancels them.
      return negated ? { type: 'not', inner: expansion } : expansion;
    }
    if (
      expr.type === 'binary' &&
      expr.op === '&&' &&
      [expr.left, expr.right].some((e) => e.type === 'select')
    ) {
      this.source.report('query-shape', "'&&' with a subquery is not supported in sync streams yet", expr);
      return { type: 'and', inner: [] };
    }
    return { type: 'base', term: this.term(expr, scope) };
  }

  /**
   * `value IN (SELECT column FROM table WHERE ...)`: `value = table.column AND ...`. `parser` reads
   * the SELECT: this one, or a common table expression's (whose SQL is another string).
   */
  private subquery(
    expr: ExprBinary,
    scope: Scope,
    negated: boolean,
    select: SelectFromStatement,
    parser: StreamQueryParser = this,
  ): BoolNode<Term> {
    const fallback: BoolNode<Term> = { type: 'and', inner: [] };
    if (negated) {
      this.source.report('query-shape', 'NOT IN (SELECT ...) and negated subqueries are not supported', expr);
      return fallback;
    }
    reportUnsupportedClauses(select, parser.source);
    const from = parser.from(select);
    if (!from) return fallback;
    const columns = select.columns ?? [];
    const column = columns[0];
    if (columns.length !== 1 || !column || (column.expr.type === 'ref' && column.expr.name === '*')) {
      parser.source.report('query-shape', 'Must return a single expression column', select);
      return fallback;
    }
    const inner: Scope = {
      sets: from.sets,
      parent: scope,
      unusable: from.unusable,
      functions: from.functions,
    };
    if (from.sets.length === 0) return parser.subqueryOverFunction(expr, column.expr, select, inner);
    // `value = column`, the condition a filter keeps when both sides depend on the same thing.
    const equals: Expr = {
      type: 'binary',
      op: '=',
      left: expr.left,
      right: column.expr,
      _location: expr._location,
    };
    const link = this.linkTerm(this.side(expr.left, scope), parser.side(column.expr, inner), equals);
    const parts: BoolNode<Term>[] = [{ type: 'base', term: link }];
    for (const condition of [...from.on, ...(select.where ? [select.where] : [])]) {
      parts.push(parser.condition(condition, inner, false));
    }
    return { type: 'and', inner: parts };
  }

  /** `value IN cte`: the CTE's single-column SELECT as an IN subquery, read from its own SQL. */
  private commonTableExpression(
    expr: ExprBinary,
    cte: CommonTableExpression,
    scope: Scope,
    negated: boolean,
  ): BoolNode<Term> {
    cte.used = true;
    const statement = cte.statement();
    if (!statement) return { type: 'and', inner: [] };
    if (statement.type !== 'select') {
      cte.source.report('query-shape', 'Expected a SELECT statement', statement);
      return { type: 'and', inner: [] };
    }
    if ((statement.columns ?? []).length !== 1) {
      this.source.report(
        'query-shape',
        `Common table expression '${cte.name}' must return a single column to be used as IN ${cte.name}`,
        expr.right,
      );
      return { type: 'and', inner: [] };
    }
    const parser = new StreamQueryParser(cte.source, this.defaultSchema, new Map(), this.sets);
    return this.subquery(expr, scope, negated, statement, parser);
  }

  /** A base condition: `a = b` or `a IN b` across dependencies, or a single-dependency filter. */
  private term(expr: Expr, scope: Scope): Term {
    if (expr.type === 'binary' && expr.op === '=') {
      const fn = functionValue(expr.left, scope) ?? functionValue(expr.right, scope);
      const other = functionValue(expr.left, scope) ? expr.right : expr.left;
      if (fn) return this.membership(other, scope, fn, scope, expr);
    }
    if (expr.type === 'binary' && (expr.op === '=' || expr.op === 'IN')) {
      const left = this.side(expr.left, scope);
      const right = this.side(expr.right, scope);
      if (expr.op === 'IN' && !['list', 'array'].includes(expr.right.type) && !sameDependency(left, right)) {
        return { kind: 'member', value: left, array: right, node: expr };
      }
      return this.linkTerm(left, right, expr);
    }
    return { kind: 'filter', side: this.side(expr, scope), node: expr };
  }

  /** `value = fn.value` for `fn` = json_each(array): the same as `value IN array`. */
  private membership(value: Expr, scope: Scope, fn: TableFunction, fnScope: Scope, node: Expr): Term {
    const valueSide = this.side(value, scope);
    const arraySide = this.side(fn.array, fnScope);
    const inArray: Expr = {
      type: 'binary',
      op: 'IN',
      left: value,
      right: fn.array,
      _location: node._location,
    };
    if (sameDependency(valueSide, arraySide)) return this.linkTerm(valueSide, arraySide, inArray);
    return { kind: 'member', value: valueSide, array: arraySide, node: inArray };
  }

  /** `x IN (SELECT value FROM json_each(array))`: the same as `x IN array`. */
  private subqueryOverFunction(
    expr: ExprBinary,
    column: Expr,
    select: SelectFromStatement,
    inner: Scope,
  ): BoolNode<Term> {
    const fn = functionValue(column, inner);
    if (!fn || (inner.functions?.length ?? 0) !== 1 || select.where) {
      this.source.report(
        'query-shape',
        'A subquery over json_each() must be SELECT value FROM json_each(<json array>), without WHERE',
        select,
      );
      return { type: 'and', inner: [] };
    }
    return { type: 'base', term: this.membership(expr.left, inner.parent ?? inner, fn, inner, expr) };
  }

  private linkTerm(left: TermSide, right: TermSide, node: Expr): Term {
    if (sameDependency(left, right)) {
      const set = left.set ?? right.set;
      const request = new Set([...left.request, ...right.request]);
      const invalid = left.invalid === true || right.invalid === true;
      return { kind: 'filter', side: { expr: node, set, request, ...(invalid ? { invalid } : {}) }, node };
    }
    return { kind: 'equals', left, right, node };
  }

  /** What an expression depends on; reports reading two tables, or a table and the request. */
  side(expr: Expr, scope: Scope): TermSide {
    const found: Found = { set: undefined, request: new Set(), invalid: false };
    this.collect(expr, scope, found);
    const request = found.request.size > 0 ? found.request : NO_REQUEST;
    return {
      expr,
      set: found.set,
      request,
      ...(found.invalid ? { invalid: true } : {}),
      source: this.source,
    };
  }

  private collect(node: unknown, scope: Scope, found: Found): void {
    if (node === null || typeof node !== 'object') return;
    const n = node as Expr;
    if (n.type === 'select') return; // reported by the expression compiler: subqueries only in IN
    if (n.type === 'ref') {
      const set = this.resolveRef(n, scope);
      if (set) this.depend(found, set, undefined, n);
      else found.invalid = true;
      return;
    }
    if (n.type === 'call' && n.function.schema && STREAM_REQUEST_SOURCES.has(n.function.schema)) {
      this.depend(found, undefined, n.function.schema as StreamRequestSource, n);
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === '_location') continue;
      if (Array.isArray(value)) value.forEach((v) => this.collect(v, scope, found));
      else this.collect(value, scope, found);
    }
  }

  private depend(
    found: Found,
    set: ResultSet | undefined,
    request: StreamRequestSource | undefined,
    node: PGNode,
  ): void {
    const wrong =
      (set && found.request.size > 0) || (set && found.set && found.set !== set) || (request && found.set);
    if (wrong) found.invalid = true;
    if (set && found.request.size > 0) {
      this.source.report(
        'expression',
        "This expression already references connection parameters, so it can't also reference row data unless the two are compared with an equals operator",
        node,
      );
    } else if (set && found.set && found.set !== set) {
      this.source.report(
        'expression',
        `This expression already references '${found.set.qualifier}', so it can't also reference data from this row unless the two are compared with an equals operator`,
        node,
      );
    } else if (request && found.set) {
      this.source.report(
        'expression',
        "This expression already references row data, so it can't also reference connection parameters unless the two are compared with an equals operator",
        node,
      );
    } else if (set) found.set = set;
    else if (request) found.request.add(request);
  }

  private resolveRef(ref: Expr & { type: 'ref' }, scope: Scope): ResultSet | undefined {
    if (ref.name === '*') {
      this.source.report('expression', '* columns are not supported here', ref);
      return undefined;
    }
    return this.resolveQualifier(ref, scope);
  }

  /** The table a column reference or `t.*` reads, in this query level; reports other cases. */
  private resolveQualifier(ref: Expr & { type: 'ref' }, scope: Scope): ResultSet | undefined {
    const qualifier = ref.table?.name;
    const functions = scope.functions ?? [];
    if (qualifier === undefined && functions.length > 0 && scope.sets.length + functions.length > 1) {
      this.source.report(
        'expression',
        'Invalid unqualified reference since multiple tables are in scope',
        ref,
      );
      return undefined;
    }
    if (
      functions.some((f) => f.qualifier === qualifier) ||
      (qualifier === undefined && scope.sets.length === 0)
    ) {
      this.source.report(
        'query-shape',
        ref.name === '*'
          ? 'Sync streams can only select from actual tables'
          : "json_each()'s value can only be compared with '=' to a column or a request value",
        ref,
      );
      return undefined;
    }
    if (qualifier === undefined) {
      if (scope.sets.length === 1) return scope.sets[0];
      this.source.report(
        'expression',
        'Invalid unqualified reference since multiple tables are in scope',
        ref,
      );
      return undefined;
    }
    const own = scope.sets.find((s) => s.qualifier === qualifier);
    if (own) return own;
    for (let s: Scope | undefined = scope; s; s = s.parent)
      if (s.unusable?.includes(qualifier)) return undefined;
    // A correlated subquery: a table of a query around this one. Its conditions link the two tables
    // like a join's (the planner rejects shapes whose values could come from different rows).
    for (let s = scope.parent; s; s = s.parent) {
      const outer = s.sets.find((set) => set.qualifier === qualifier);
      if (outer) return outer;
    }
    this.source.report('expression', `Table '${qualifier}' has not been added in a FROM clause here`, ref);
    return undefined;
  }
}

/** The json_each item whose `value` this expression is (`j.value`, or `value` when it is alone). */
function functionValue(expr: Expr, scope: Scope): TableFunction | undefined {
  if (expr.type !== 'ref' || expr.name !== 'value') return undefined;
  const functions = scope.functions ?? [];
  const qualifier = expr.table?.name;
  if (qualifier === undefined)
    return scope.sets.length === 0 && functions.length === 1 ? functions[0] : undefined;
  return functions.find((f) => f.qualifier === qualifier);
}
