// Parses one sync-stream query into result sets (the synced table, joined tables, and the tables of
// `IN (SELECT ...)` subqueries and `IN cte` common table expressions) and its WHERE as OR-variants
// of terms, each tied to what it depends on: one result set, the request, or both sides of an `=` /
// `IN` that links them. No evaluation here.
import type { Expr, ExprBinary, SelectedColumn, SelectFromStatement, Statement } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import { toVariants, type BoolNode } from './stream-dnf';
import { sameDependency, variantRules, type ResultSet, type Term, type TermSide } from './stream-terms';
import {
  readFrom,
  jsonEachValues,
  reportUnsupportedClauses,
  warnAliasedPrimary,
  type FromClause,
  type TableFunction,
} from './stream-from';
import { derivedColumns, type DerivedItem, type DerivedTable } from './stream-derived';
import {
  DependencyReader,
  findDerived,
  functionValue,
  scopeOf,
  underlying,
  type ParsedFrom,
  type Scope,
} from './stream-scope';

export interface ParsedStreamQuery {
  primary: ResultSet;
  sets: ResultSet[];
  /** The synced columns; read from a CTE's SQL when the synced table is one of its tables. */
  columns: SelectedColumn[];
  columnSource: SqlSource;
  /** The WHERE as OR-variants (each an AND of terms), in PowerSync's bucket order. */
  variants: Term[][];
  statement: SelectFromStatement;
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
  const scope = scopeOf(from, undefined);
  const primary = parser.primaryOf(statement, scope);
  if (!primary) return undefined;
  const output = parser.outputColumns(statement.columns ?? [], scope);
  if (!output) return undefined;
  if (output.columnSource === source) warnAliasedPrimary(primary, from.clause.sets.length, source);
  const conditions = [...from.clause.on, ...(statement.where ? [statement.where] : [])];
  const where: BoolNode<Term> = {
    type: 'and',
    inner: [...from.conditions, ...conditions.map((c) => parser.condition(c, scope, false))],
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
  return { primary, sets: parser.sets, ...output, variants, statement };
}

class StreamQueryParser {
  readonly deps: DependencyReader;

  constructor(
    private readonly source: SqlSource,
    private readonly defaultSchema: string,
    private readonly ctes: ReadonlyMap<string, CommonTableExpression>,
    /** Shared with the parsers of common table expressions, so result set ids stay unique. */
    readonly sets: ResultSet[] = [],
  ) {
    this.deps = new DependencyReader(source);
  }

  side(expr: Expr, scope: Scope): TermSide {
    return this.deps.side(expr, scope);
  }

  /** The CTE named by the right side of `x IN name` / `x NOT IN name`. */
  private cteOf(expr: ExprBinary): CommonTableExpression | undefined {
    if (expr.op !== 'IN' && expr.op !== 'NOT IN') return undefined;
    const right = expr.right;
    return right.type === 'ref' && right.table === undefined ? this.ctes.get(right.name) : undefined;
  }

  /** The tables of a FROM (several with INNER JOINs), registered as result sets of this query. */
  from(statement: SelectFromStatement): ParsedFrom | undefined {
    const clause = readFrom(statement, this.source, this.defaultSchema, this.sets.length, this.ctes);
    if (!clause) return undefined;
    this.sets.push(...clause.sets);
    this.requestArrays(clause);
    for (const fn of clause.functions) fn.parent = arrayParent(fn.array, clause.sets);
    const parsed: ParsedFrom = { clause, derived: [], conditions: [] };
    for (const item of clause.derived) {
      const derived = this.derivedTable(item);
      if (!derived) clause.unusable.push(item.qualifier);
      else {
        parsed.derived.push(derived.table);
        parsed.conditions.push(derived.condition);
      }
    }
    return parsed;
  }

  /**
   * `json_each(<request value>)` items become result sets of their own (rows = elements), so their
   * `value` can be filtered and used in expressions, as in PowerSync. Items over a row's array keep
   * the `x = j.value` form of `x IN array`.
   */
  private requestArrays(clause: FromClause): void {
    for (const fn of [...clause.functions]) {
      if (readsColumns(fn.array)) continue;
      clause.functions.splice(clause.functions.indexOf(fn), 1);
      const set: ResultSet = {
        id: this.sets.length,
        table: { schema: '', name: 'json_each', isWildcard: false },
        qualifier: fn.qualifier,
        alias: undefined,
        node: fn.node,
        requestArray: this.side(fn.array, { sets: [], parent: undefined }),
      };
      clause.sets.push(set);
      this.sets.push(set);
    }
  }

  /** A CTE or subquery in FROM: its tables and conditions join this query's. */
  private derivedTable(item: DerivedItem): { table: DerivedTable; condition: BoolNode<Term> } | undefined {
    const cte = item.cte === undefined ? undefined : this.ctes.get(item.cte);
    // A CTE is read from its own SQL, and cannot use other CTEs (as in PowerSync).
    const reader = cte ? new StreamQueryParser(cte.source, this.defaultSchema, new Map(), this.sets) : this;
    const select = cte ? cteSelect(cte) : item.select;
    if (!select) return undefined;
    reportUnsupportedClauses(select, reader.source);
    const from = reader.from(select);
    if (!from) return undefined;
    // As in PowerSync, a derived table does not see the tables around it.
    const scope = scopeOf(from, undefined);
    const table: DerivedTable = {
      ...{ qualifier: item.qualifier, node: item.node, source: reader.source, scope },
      reader: reader.deps,
      columns: [],
      primary: undefined,
    };
    table.columns = derivedColumns(select, item.columnNames, reader.source, table);
    const sets = new Set(table.columns.map((c) => reader.side(c.expr, scope).set));
    table.primary = sets.size === 1 ? [...sets][0] : undefined;
    const conditions = [...from.clause.on, ...(select.where ? [select.where] : [])];
    const inner = [...from.conditions, ...conditions.map((c) => reader.condition(c, scope, false))];
    return { table, condition: { type: 'and', inner } };
  }

  /**
   * The synced columns with references to a derived table's columns replaced by their expressions
   * (`*` or `q.*` on a derived table: all of its columns, under their names).
   */
  outputColumns(
    columns: readonly SelectedColumn[],
    scope: Scope,
  ): { columns: SelectedColumn[]; columnSource: SqlSource } | undefined {
    const out: { column: SelectedColumn; source: SqlSource }[] = [];
    for (const column of columns) {
      const expr = column.expr;
      const table = expr.type === 'ref' ? findDerived(expr, scope) : undefined;
      if (table && expr.type === 'ref' && expr.name === '*') {
        for (const c of table.columns) out.push(underlying(c, c.name));
      } else if (table && expr.type === 'ref') {
        const c = table.columns.find((col) => col.name === expr.name);
        if (c) out.push(underlying(c, column.alias?.name ?? c.name));
      } else {
        // A star is the primary's; other columns may read a derived table's columns (inlined).
        const isStar = expr.type === 'ref' && expr.name === '*';
        const read = isStar ? expr : this.side(expr, scope).expr;
        out.push({ column: { ...column, expr: read }, source: this.source });
      }
    }
    const sources = new Set(out.map((o) => o.source));
    if (sources.size > 1) {
      this.source.report(
        'query-shape',
        'The synced columns must all come from the common table expression, or all from this query',
        columns[0]!.expr,
      );
      return undefined;
    }
    return { columns: out.map((o) => o.column), columnSource: [...sources][0] ?? this.source };
  }

  /** The synced table: the one every output column reads (`*` needs a single table or `t.*`). */
  primaryOf(statement: SelectFromStatement, scope: Scope): ResultSet | undefined {
    let primary: ResultSet | undefined;
    for (const column of statement.columns ?? []) {
      const expr = column.expr;
      const isStar = expr.type === 'ref' && expr.name === '*';
      const set = isStar ? this.deps.starSet(expr, scope) : this.side(expr, scope).set;
      if (set?.requestArray) {
        this.source.report('query-shape', 'Sync streams can only select from actual tables', expr);
        continue;
      }
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
      (expr.left.type === 'select') !== (expr.right.type === 'select')
    ) {
      // `array && (SELECT c ...)`, either way round: some element of the array is a row's c.
      const [array, select] =
        expr.right.type === 'select' ? [expr.left, expr.right] : [expr.right, expr.left];
      const overlap: ExprBinary = { ...expr, left: array, right: select };
      const expansion = this.subquery(overlap, scope, negated, select as SelectFromStatement);
      return negated ? { type: 'not', inner: expansion } : expansion;
    }
    if (expr.type === 'binary' && expr.op === '&&' && expr.right.type === 'select') {
      const expansion = this.subqueryOverlap(expr, scope, negated);
      return negated ? { type: 'not', inner: expansion } : expansion;
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
    const inner = scopeOf(from, scope);
    if (from.clause.sets.length + from.derived.length === 0 && expr.op === '&&') {
      this.source.report('query-shape', "'&&' with a subquery over json_each() is not supported", expr);
      return fallback;
    }
    if (from.clause.sets.length + from.derived.length === 0)
      return parser.subqueryOverFunction(expr, column.expr, select, inner);
    if (expr.op === '&&') {
      const value = parser.side(column.expr, inner);
      const term: Term = { kind: 'member', value, array: this.side(expr.left, scope), node: expr };
      return {
        type: 'and',
        inner: [{ type: 'base', term }, ...this.subqueryConditions(from, select, inner, parser)],
      };
    }
    // `value = column`, the condition a filter keeps when both sides depend on the same thing.
    const equals: Expr = {
      type: 'binary',
      op: '=',
      left: expr.left,
      right: column.expr,
      _location: expr._location,
    };
    const link = this.linkTerm(this.side(expr.left, scope), parser.side(column.expr, inner), equals);
    const conditions = this.subqueryConditions(from, select, inner, parser);
    return { type: 'and', inner: [{ type: 'base', term: link }, ...conditions] };
  }

  /**
   * `(SELECT a FROM t1 ...) && (SELECT b FROM t2 ...)`: as in PowerSync, both subqueries' tables
   * join the query and `t1.a = t2.b` links them, so it is `a IN (SELECT b ...)` read inside the first.
   */
  private subqueryOverlap(expr: ExprBinary, scope: Scope, negated: boolean): BoolNode<Term> {
    const select = expr.left as SelectFromStatement;
    if (negated) return this.subquery(expr, scope, negated, select); // reports it
    const array = jsonEachValues(select);
    if (array) return this.condition({ ...expr, left: array }, scope, false);
    reportUnsupportedClauses(select, this.source);
    const from = this.from(select);
    const column = select.columns?.length === 1 ? select.columns[0] : undefined;
    if (!from) return { type: 'and', inner: [] };
    if (!column || (column.expr.type === 'ref' && column.expr.name === '*')) {
      this.source.report('query-shape', 'Must return a single expression column', select);
      return { type: 'and', inner: [] };
    }
    if (from.clause.sets.length + from.derived.length === 0) {
      this.source.report('query-shape', "'&&' with a subquery over json_each() is not supported", expr);
      return { type: 'and', inner: [] };
    }
    const inner = scopeOf(from, scope);
    const member: ExprBinary = { ...expr, op: 'IN', left: column.expr };
    const link = this.subquery(member, inner, false, expr.right as SelectFromStatement);
    return { type: 'and', inner: [link, ...this.subqueryConditions(from, select, inner, this)] };
  }

  /** A subquery's own conditions: its derived tables', its ON conditions and its WHERE. */
  private subqueryConditions(
    from: ParsedFrom,
    select: SelectFromStatement,
    inner: Scope,
    parser: StreamQueryParser,
  ): BoolNode<Term>[] {
    const own = [...from.clause.on, ...(select.where ? [select.where] : [])];
    return [...from.conditions, ...own.map((c) => parser.condition(c, inner, false))];
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
      // The sides may read inlined columns (of a derived table, or a json_each element).
      const inlined = node.type === 'binary' && (left.expr !== node.left || right.expr !== node.right);
      const expr: Expr = inlined ? { ...node, left: left.expr, right: right.expr } : node;
      return { kind: 'filter', side: { expr, set, request, ...(invalid ? { invalid } : {}) }, node };
    }
    return { kind: 'equals', left, right, node };
  }
}

function cteSelect(cte: CommonTableExpression): SelectFromStatement | undefined {
  cte.used = true;
  const statement = cte.statement();
  if (statement && statement.type !== 'select')
    cte.source.report('query-shape', 'Expected a SELECT statement', statement);
  return statement?.type === 'select' ? statement : undefined;
}

/** Whether an expression reads a column (of any table); request functions are calls, not columns. */
function readsColumns(node: unknown): boolean {
  if (node === null || typeof node !== 'object') return false;
  if ((node as Expr).type === 'ref') return true;
  return Object.entries(node).some(
    ([key, value]) =>
      key !== '_location' && (Array.isArray(value) ? value.some(readsColumns) : readsColumns(value)),
  );
}

/** The one table of this FROM whose columns an array expression reads, if it reads only one. */
function arrayParent(array: Expr, sets: readonly ResultSet[]): ResultSet | undefined {
  const qualifiers = new Set<string | undefined>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if ((node as Expr).type === 'ref') qualifiers.add((node as Expr & { type: 'ref' }).table?.name);
    else
      Object.entries(node).forEach(
        ([k, v]) => k !== '_location' && (Array.isArray(v) ? v.forEach(visit) : visit(v)),
      );
  };
  visit(array);
  if (qualifiers.size !== 1) return undefined;
  const [qualifier] = [...qualifiers];
  if (qualifier === undefined) return sets.length === 1 ? sets[0] : undefined;
  return sets.find((s) => s.qualifier === qualifier);
}
