// What the expressions of a stream query depend on: the levels of a query (the query, a subquery,
// a derived table) and the tables, json_each items and derived tables of each, and for one
// expression the single table or request it reads (reporting expressions that read two).
import type { Expr, PGNode, SelectedColumn } from 'pgsql-ast-parser';
import type { SqlSource } from './sql-source';
import type { BoolNode } from './stream-dnf';
import type { DerivedColumn, DerivedTable } from './stream-derived';
import { derivedTableOf } from './stream-derived';
import type { FromClause, TableFunction } from './stream-from';
import { ROW_METADATA_FUNCTIONS } from './row-metadata';
import { STREAM_REQUEST_SOURCES, type StreamRequestSource } from './stream-request-functions';
import { NO_REQUEST, type ResultSet, type Term, type TermSide } from './stream-terms';

/** What an expression was found to depend on while walking it. */
interface Found {
  set: ResultSet | undefined;
  request: Set<StreamRequestSource>;
  invalid: boolean;
}

/** The tables of one query level (the query, or a subquery) and the level around it. */
export interface Scope {
  sets: ResultSet[];
  parent: Scope | undefined;
  /** FROM items reported as unsupported; references to them are not reported again. */
  unusable?: string[];
  /** `json_each(...)` items of this level. */
  functions?: TableFunction[];
  /** CTEs and subqueries in the FROM of this level. */
  derived?: DerivedTable[];
}

/** A FROM clause with its derived tables parsed, and their conditions. */
export interface ParsedFrom {
  clause: FromClause;
  derived: DerivedTable[];
  conditions: BoolNode<Term>[];
}

export function scopeOf(from: ParsedFrom, parent: Scope | undefined): Scope {
  const { sets, unusable, functions } = from.clause;
  return { sets, parent, unusable, functions, derived: from.derived };
}

/** The derived table a reference names, walking out from this level (correlated subqueries). */
export function findDerived(ref: Expr & { type: 'ref' }, scope: Scope): DerivedTable | undefined {
  const qualifier = ref.table?.name;
  for (let s: Scope | undefined = scope; s; s = qualifier === undefined ? undefined : s.parent) {
    const others = s.sets.length + (s.functions?.length ?? 0);
    const found = derivedTableOf(ref, s.derived ?? [], others);
    if (found || s.sets.some((set) => set.qualifier === qualifier)) return found;
  }
  return undefined;
}

/** Reads what expressions depend on, reporting in one SQL string. */
export class DependencyReader {
  /** References made by `inline`, with the table whose column they read. */
  private readonly inlined = new WeakMap<object, ResultSet>();

  constructor(private readonly source: SqlSource) {}

  /** What an expression depends on; reports reading two tables, or a table and the request. */
  side(expr: Expr, scope: Scope): TermSide {
    const table = expr.type === 'ref' && expr.name !== '*' ? findDerived(expr, scope) : undefined;
    if (table && expr.type === 'ref') {
      const column = table.columns.find((c) => c.name === expr.name);
      if (column) return (table.reader as DependencyReader).side(column.expr, table.scope as Scope);
      this.source.report('expression', `'${table.qualifier}' has no column named '${expr.name}'`, expr);
      return { expr, set: undefined, request: NO_REQUEST, invalid: true, source: this.source };
    }
    const inlined = hasDerivedRef(expr, scope) ? this.inline(expr, scope) : expr;
    const found: Found = { set: undefined, request: new Set(), invalid: false };
    this.collect(inlined, scope, found);
    const request = found.request.size > 0 ? found.request : NO_REQUEST;
    return {
      expr: inlined,
      set: found.set,
      request,
      ...(found.invalid ? { invalid: true } : {}),
      source: this.source,
    };
  }

  /**
   * `q.col` inside a larger expression (`upper(q.col)`): the column's expression, as PowerSync
   * inlines it, with each column it reads turned into a reference to that column's table.
   */
  private inline(expr: Expr, scope: Scope): Expr {
    return cloneWith(expr, (node) => {
      if (node.type !== 'ref' || node.name === '*') return undefined;
      const fn = attachedFunctionOf(node, scope);
      if (fn) return this.elementRef(node, fn);
      const table = findDerived(node, scope);
      const column = table?.columns.find((c) => c.name === node.name);
      return column ? this.inlineColumn(column, node) : undefined;
    }) as Expr;
  }

  /**
   * A derived column's expression with its references resolved, located at `at` (the reference in
   * the outer query): the expression is written in another SELECT, possibly another SQL string.
   * Undefined when one of its references cannot be resolved (reported where it is used).
   */
  private inlineColumn(column: DerivedColumn, at: Expr): Expr | undefined {
    const scope = column.table.scope as Scope;
    const reader = column.table.reader as DependencyReader;
    let unresolved = false;
    const inlined = cloneWith(relocated(column.expr, at._location), (node) => {
      if (node.type !== 'ref' || node.name === '*') return undefined;
      const nested = findDerived(node, scope)?.columns.find((c) => c.name === node.name);
      const inner = nested ? this.inlineColumn(nested, at) : undefined;
      if (nested && !inner) unresolved = true;
      if (nested) return inner ?? node;
      const fn = attachedFunctionOf(node, scope);
      if (fn) {
        // The element columns are attached by the reader of the SQL that names the json_each.
        const element = reader.elementRef(node, fn);
        if (at._location) element._location = at._location;
        this.inlined.set(element, fn.parent);
        return element;
      }
      const set = reader.side(node, scope).set;
      if (!set) unresolved = true;
      const ref: Expr = { type: 'ref', table: { name: set?.qualifier ?? '' }, name: node.name };
      if (at._location) ref._location = at._location;
      if (set) this.inlined.set(ref, set);
      return ref;
    }) as Expr;
    return unresolved ? undefined : inlined;
  }

  /** `j.value` / `j.key` of a json_each over a row's array: a synthetic column of that row. */
  private elementRef(node: Expr & { type: 'ref' }, fn: TableFunction & { parent: ResultSet }): Expr {
    const parent = fn.parent;
    parent.attached ??= [];
    if (!parent.attached.some((a) => a.qualifier === fn.qualifier))
      parent.attached.push({ qualifier: fn.qualifier, array: fn.array, source: this.source });
    const ref: Expr = {
      type: 'ref',
      table: { name: parent.qualifier },
      name: elementColumn(fn.qualifier, node.name),
    };
    if (node._location) ref._location = node._location;
    this.inlined.set(ref, parent);
    return ref;
  }

  private collect(node: unknown, scope: Scope, found: Found): void {
    if (node === null || typeof node !== 'object') return;
    const n = node as Expr;
    if (n.type === 'select') return; // reported by the expression compiler: subqueries only in IN
    const inlined = this.inlined.get(n);
    if (inlined) {
      this.depend(found, inlined, undefined, n);
      return;
    }
    if (n.type === 'ref' && findDerived(n, scope)) {
      this.source.report(
        'query-shape',
        'This column of a common table expression or subquery in FROM cannot be used inside another expression',
        n,
      );
      found.invalid = true;
      return;
    }
    if (n.type === 'ref') {
      const set = this.resolveRef(n, scope);
      if (set) this.depend(found, set, undefined, n);
      else found.invalid = true;
      return;
    }
    const fn = n.type === 'call' ? n.function : undefined;
    if (fn?.schema && ROW_METADATA_FUNCTIONS.has(fn.name.toLowerCase())) {
      if (!STREAM_REQUEST_SOURCES.has(fn.schema)) this.rowMetadata(n, fn.schema, scope, found);
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

  /** `t.schema()` and the like read the row of `t` (not of a derived table, as in PowerSync). */
  private rowMetadata(call: Expr, qualifier: string, scope: Scope, found: Found): void {
    const ref: Expr & { type: 'ref' } = {
      type: 'ref',
      table: { name: qualifier },
      name: '_',
      ...(call._location ? { _location: call._location } : {}),
    };
    if (findDerived(ref, scope)) {
      const name = (call as Expr & { type: 'call' }).function.name;
      this.source.report('query-shape', `${name}() is not supported on subqueries`, call);
      found.invalid = true;
      return;
    }
    const set = this.resolveQualifier(ref, scope);
    if (set) this.depend(found, set, undefined, call);
    else found.invalid = true;
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
  resolveQualifier(ref: Expr & { type: 'ref' }, scope: Scope): ResultSet | undefined {
    const qualifier = ref.table?.name;
    const functions = scope.functions ?? [];
    const items = scope.sets.length + functions.length + (scope.derived?.length ?? 0);
    if (qualifier === undefined && items > 1) {
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

  /** The table `*` or `t.*` reads: a table, or the one table a derived table's columns read. */
  starSet(ref: Expr & { type: 'ref' }, scope: Scope): ResultSet | undefined {
    const table = findDerived(ref, scope);
    if (!table) return this.resolveQualifier(ref, scope);
    if (!table.primary && table.columns.length > 0) {
      this.source.report(
        'query-shape',
        `The columns of '${table.qualifier}' read several tables; sync streams can only sync one`,
        ref,
      );
    }
    return table.primary;
  }
}

/** The json_each item whose `value` this expression is (`j.value`, or `value` when it is alone). */
export function functionValue(expr: Expr, scope: Scope): TableFunction | undefined {
  if (expr.type !== 'ref' || expr.name !== 'value') return undefined;
  const functions = scope.functions ?? [];
  const qualifier = expr.table?.name;
  if (qualifier === undefined)
    return scope.sets.length === 0 && functions.length === 1 ? functions[0] : undefined;
  return functions.find((f) => f.qualifier === qualifier);
}

/** A derived column's expression, through derived tables of derived tables, under `name`. */
export function underlying(
  column: DerivedColumn,
  name: string,
): { column: SelectedColumn; source: SqlSource } {
  const current = innermost(column);
  return { column: { expr: current.expr, alias: { name } }, source: current.table.source };
}

/** The column a derived column finally stands for, through derived tables of derived tables. */
function innermost(column: DerivedColumn): DerivedColumn {
  let current = column;
  for (;;) {
    const expr = current.expr;
    const table = expr.type === 'ref' ? findDerived(expr, current.table.scope as Scope) : undefined;
    const next = table?.columns.find((c) => expr.type === 'ref' && c.name === expr.name);
    if (!next) return current;
    current = next;
  }
}

/** Whether an expression refers to a column of a derived table (below its root). */
function hasDerivedRef(node: unknown, scope: Scope): boolean {
  if (node === null || typeof node !== 'object') return false;
  const n = node as Expr;
  if (n.type === 'select') return false;
  if (n.type === 'ref')
    return (
      n.name !== '*' && (findDerived(n, scope) !== undefined || attachedFunctionOf(n, scope) !== undefined)
    );
  return Object.entries(node).some(([key, value]) =>
    key === '_location'
      ? false
      : Array.isArray(value)
        ? value.some((v) => hasDerivedRef(v, scope))
        : hasDerivedRef(value, scope),
  );
}

/**
 * A copy of `node` with every position set to `location`: an inlined expression is reported at the
 * reference that inlined it, not at positions in the SQL it was written in.
 */
function relocated(node: unknown, location: Expr['_location']): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((v) => relocated(v, location));
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === '_location' ? location : relocated(v, location)]),
  );
}

/** A copy of `node` with `replace`'s result wherever it gives one. */
function cloneWith(node: unknown, replace: (n: Expr) => Expr | undefined): unknown {
  if (node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return node.map((v) => cloneWith(v, replace));
  const replaced = replace(node as Expr);
  if (replaced) return replaced;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [k, k === '_location' ? v : cloneWith(v, replace)]),
  );
}

/** The synthetic column an element's `value` or `key` is read from on its row. */
export function elementColumn(functionQualifier: string, name: string): string {
  return `\u0000${functionQualifier}.${name}`;
}

/** The json_each over a row's array that `j.value` / `j.key` names, at this level or around it. */
function attachedFunctionOf(
  ref: Expr & { type: 'ref' },
  scope: Scope,
): (TableFunction & { parent: ResultSet }) | undefined {
  const qualifier = ref.table?.name;
  if (qualifier === undefined || (ref.name !== 'value' && ref.name !== 'key')) return undefined;
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    const fn = s.functions?.find((f) => f.qualifier === qualifier);
    if (fn) return fn.parent ? (fn as TableFunction & { parent: ResultSet }) : undefined;
    if (s.sets.some((set) => set.qualifier === qualifier)) return undefined;
  }
  return undefined;
}
