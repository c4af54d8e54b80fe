// Plans one OR-variant of a stream query: how the synced table is partitioned into buckets, which
// parameter lookups (subquery tables, partitioned by their own keys) feed the partition values, and
// which filters only read the request. A subquery inside a subquery becomes a chain of lookups.
import type { Expr } from 'pgsql-ast-parser';
import { ExpressionCompiler, type CompiledExpression, type Evaluator } from './expression';
import { partitionHashText } from './partition-order';
import { compileRowExpander, type RowExpander } from './stream-attached';
import type { SqlSource } from './sql-source';
import type { ResultSet, Term, TermSide } from './stream-terms';

/** A value computed from a row of a table: a bucket parameter or a lookup key. */
export interface PartitionKey {
  evaluate: Evaluator;
  /** The value is a JSON array: the row is partitioned once per element (`request_value IN row_array`). */
  expands: boolean;
  sig: string;
  /** The text PowerSync orders bucket parameters by a hash of (partition-order.ts), when known. */
  hashText?: string;
}

/** Where the request-time value of a partition key comes from. */
export type ParameterValue =
  | { kind: 'request'; evaluate: Evaluator; expands: boolean; side: TermSide; sig: string }
  | { kind: 'lookup'; lookup: LookupPlan; output: number }
  | { kind: 'intersection'; values: ParameterValue[] };

/** A table read through a parameter lookup: rows indexed by `keys`, storing `outputs`. */
export interface LookupPlan {
  set: ResultSet;
  filters: Evaluator[];
  filterSigs: string[];
  keys: PartitionKey[];
  /** Request-time values of `keys`, in the same order. */
  values: ParameterValue[];
  outputs: Evaluator[];
  outputSigs: string[];
  /** Per output: it is a JSON array stored once per element (`column IN lookup_table.array`). */
  outputExpands: boolean[];
  /** `json_each(<request value>)`: the request value whose elements are the rows (no store read). */
  requestArray?: Evaluator;
  /** The row is evaluated once per element of its own arrays (stream-attached.ts). */
  expand?: RowExpander;
}

export interface RequestFilter {
  evaluate: Evaluator;
  side: TermSide;
  sig: string;
}

/** One variant: the bucket's data side and how a request instantiates it. */
export interface VariantPlan {
  filters: Evaluator[];
  filterSigs: string[];
  keys: PartitionKey[];
  values: ParameterValue[];
  requestFilters: RequestFilter[];
  /** Lookups that only have to find a row (`auth.user_id() IN (SELECT ...)`). */
  existence: LookupPlan[];
  /**
   * The joins reach a table through two paths: a request evaluates it over bindings of one row per
   * lookup (stream-bindings.ts) instead of value sets per lookup.
   */
  rowBound: boolean;
}

export interface PlanOptions {
  source: SqlSource;
  fixedJsonExtract: boolean;
  /** Compiled once per expression, shared by the variants that contain it. */
  compiled: Map<Expr, CompiledExpression>;
}

interface Resolved {
  filters: Evaluator[];
  filterSigs: string[];
  keys: PartitionKey[];
  values: ParameterValue[];
}

/** An expression's identity for merging buckets: its AST without positions and table qualifiers. */
export function exprSignature(expr: Expr): string {
  return JSON.stringify(expr, (key, value: unknown) => {
    if (key === '_location') return undefined;
    const node = value as { type?: string; name?: string } | null;
    return node && typeof node === 'object' && node.type === 'ref' ? { ref: node.name } : value;
  });
}

export function planVariant(primary: ResultSet, terms: readonly Term[], options: PlanOptions): VariantPlan {
  return new VariantPlanner(terms, options).plan(primary);
}

class VariantPlanner {
  private readonly pending: Term[];
  private readonly lookups = new Map<ResultSet, LookupPlan>();

  constructor(
    terms: readonly Term[],
    private readonly options: PlanOptions,
  ) {
    this.pending = [...terms];
  }

  plan(primary: ResultSet): VariantPlan {
    const resolved = inPowerSyncOrder(this.resolve(primary, []));
    const existence: LookupPlan[] = [];
    const requestFilters: RequestFilter[] = [];
    for (let progress = true; progress;) {
      progress = false;
      for (const term of [...this.pending]) {
        const set = unresolvedSet(term);
        if (term.kind === 'filter' && !term.side.set) {
          this.remove(term);
          requestFilters.push(this.requestFilter(term.side));
          progress = true;
        } else if (set && !this.lookups.has(set)) {
          existence.push(this.lookupFor(set, [primary]));
          progress = true;
        }
      }
    }
    for (const term of this.pending) {
      this.options.source.report(
        'query-shape',
        'Unable to associate this filter with the synced table or the request',
        term.node,
      );
    }
    const plan = { ...resolved, requestFilters, existence, rowBound: false };
    plan.rowBound = !isTreeShaped(plan);
    return plan;
  }

  private resolve(set: ResultSet, stack: ResultSet[]): Resolved {
    const resolved: Resolved = { filters: [], filterSigs: [], keys: [], values: [] };
    const inner = [...stack, set];
    for (const term of [...this.pending]) {
      if (!this.pending.includes(term)) continue; // consumed while resolving a lookup
      if (term.kind === 'filter') {
        if (term.side.set !== set) continue;
        this.remove(term);
        resolved.filters.push(this.compile(term.side).evaluate);
        resolved.filterSigs.push(exprSignature(term.side.expr));
      } else if (term.kind === 'equals') {
        const [own, other] = term.left.set === set ? [term.left, term.right] : [term.right, term.left];
        if (own.set !== set || (other.set && inner.includes(other.set))) continue;
        this.remove(term);
        this.addKey(resolved, this.key(own, false), this.valueFrom(other, false, inner));
      } else {
        this.resolveMember(term, set, inner, resolved);
      }
    }
    return resolved;
  }

  /** `value IN array`: the row's value against a request array, or the request against a row array. */
  private resolveMember(
    term: Term & { kind: 'member' },
    set: ResultSet,
    inner: ResultSet[],
    resolved: Resolved,
  ): void {
    const { value, array } = term;
    if (value.set === set && array.set === undefined) {
      this.remove(term);
      this.addKey(resolved, this.key(value, false), this.valueFrom(array, true, inner));
    } else if (array.set === set && !(value.set && inner.includes(value.set))) {
      this.remove(term);
      this.addKey(resolved, this.key(array, true), this.valueFrom(value, false, inner));
    } else if (value.set === set && array.set && !inner.includes(array.set)) {
      // `column IN other_table.json_array`: the other table's lookup stores each element.
      this.remove(term);
      this.addKey(resolved, this.key(value, false), this.valueFrom(array, true, inner));
    }
  }

  private addKey(resolved: Resolved, key: PartitionKey, value: ParameterValue): void {
    const index = resolved.keys.findIndex((k) => k.sig === key.sig);
    if (index < 0) {
      resolved.keys.push(key);
      resolved.values.push(value);
      return;
    }
    const existing = resolved.values[index]!;
    const values = existing.kind === 'intersection' ? [...existing.values, value] : [existing, value];
    // The same value twice (`x = u.c AND x = u.c`, as a correlated subquery repeats its link).
    if (values.slice(0, -1).some((v) => sameValue(v, value))) return;
    resolved.values[index] = { kind: 'intersection', values };
  }

  private key(side: TermSide, expands: boolean): PartitionKey {
    const sig = exprSignature(side.expr) + (expands ? '[]' : '');
    const key: PartitionKey = { evaluate: this.compile(side).evaluate, expands, sig };
    const hashText = partitionHashText(side.expr, expands);
    if (hashText !== undefined) key.hashText = hashText;
    return key;
  }

  private valueFrom(side: TermSide, expands: boolean, stack: ResultSet[]): ParameterValue {
    if (!side.set) {
      const sig = exprSignature(side.expr) + (expands ? '[]' : '');
      return { kind: 'request', evaluate: this.compile(side).evaluate, expands, side, sig };
    }
    const lookup = this.lookupFor(side.set, stack);
    const sig = exprSignature(side.expr) + (expands ? '[]' : '');
    let output = lookup.outputSigs.indexOf(sig);
    if (output < 0) {
      output = lookup.outputs.push(this.compile(side).evaluate) - 1;
      lookup.outputSigs.push(sig);
      lookup.outputExpands.push(expands);
    }
    return { kind: 'lookup', lookup, output };
  }

  private lookupFor(set: ResultSet, stack: ResultSet[]): LookupPlan {
    let lookup = this.lookups.get(set);
    if (lookup === undefined) {
      const placeholder: LookupPlan = {
        set,
        filters: [],
        filterSigs: [],
        keys: [],
        values: [],
        outputs: [],
        outputSigs: [],
        outputExpands: [],
      };
      this.lookups.set(set, placeholder);
      Object.assign(placeholder, this.resolve(set, stack));
      if (set.requestArray) this.requestArrayLookup(placeholder, set.requestArray);
      const expand = compileRowExpander(set, this.options.fixedJsonExtract);
      if (expand) placeholder.expand = expand;
      lookup = placeholder;
    }
    return lookup;
  }

  /** The rows of `json_each(<request value>)` come from the request: nothing can partition them. */
  private requestArrayLookup(lookup: LookupPlan, array: TermSide): void {
    lookup.requestArray = this.compile(array).evaluate;
    lookup.filterSigs.push(`json_each(${exprSignature(array.expr)})`);
    if (lookup.keys.length > 0) {
      this.options.source.report(
        'query-shape',
        "This table-valued function depends on request data and can't be partitioned; rewrite the query without '=' between its value and several other tables",
        lookup.set.node,
      );
    }
  }

  private requestFilter(side: TermSide): RequestFilter {
    return { evaluate: this.compile(side).evaluate, side, sig: exprSignature(side.expr) };
  }

  private remove(term: Term): void {
    const index = this.pending.indexOf(term);
    if (index >= 0) this.pending.splice(index, 1);
  }

  private compile(side: TermSide): CompiledExpression {
    let compiled = this.options.compiled.get(side.expr);
    if (compiled === undefined) {
      const { fixedJsonExtract } = this.options;
      const source = side.source ?? this.options.source;
      const scope = {
        rowQualifiers: side.set ? [side.set.qualifier] : undefined,
        rowTables: side.set ? new Map([[side.set.qualifier, side.set.table]]) : undefined,
        allowRequest: side.set === undefined,
        fixedJsonExtract,
        requestSyntax: 'streams' as const,
      };
      const compiler = new ExpressionCompiler(source.text, scope, source.report);
      // The side's dependencies were reported already; its other errors would repeat them.
      const silentCompiler = new ExpressionCompiler(source.text, scope, () => undefined);
      compiled = (side.invalid ? silentCompiler : compiler).compile(side.expr);
      this.options.compiled.set(side.expr, compiled);
    }
    return compiled;
  }
}

/**
 * Bucket parameters in the order PowerSync gives them, which decides bucket names: sorted by a
 * stable hash of each key's printed SQL (partition-order.ts), ties in the order found. A key that
 * cannot be printed (an expression a stream refuses anyway) leaves the order as written.
 */
function inPowerSyncOrder(resolved: Resolved): Resolved {
  if (resolved.keys.length < 2 || resolved.keys.some((k) => k.hashText === undefined)) return resolved;
  const order = resolved.keys
    .map((key, index) => ({ index, hash: stableHash(key.hashText!) }))
    .sort((a, b) => a.hash - b.hash);
  return {
    ...resolved,
    keys: order.map((o) => resolved.keys[o.index]!),
    values: order.map((o) => resolved.values[o.index]!),
  };
}

/** The Jenkins-style string hash PowerSync's stream compiler orders parameters by (seed included). */
export function stableHash(text: string): number {
  let hash = 614160925;
  for (let i = 0; i < text.length; i++) {
    hash = 0x1fffffff & (hash + text.charCodeAt(i));
    hash = 0x1fffffff & (hash + ((0x0007ffff & hash) << 10));
    hash ^= hash >> 6;
  }
  hash = 0x1fffffff & (hash + ((0x03ffffff & hash) << 3));
  hash ^= hash >> 11;
  return 0x1fffffff & (hash + ((0x00003fff & hash) << 15));
}

/**
 * Whether every lookup feeds one consumer (the synced table, or one other lookup), with its values
 * used directly or in a single intersection. Value-set evaluation keeps the values one consumer
 * takes from one lookup row together, but not across consumers or inside intersections; other
 * shapes are evaluated over row bindings (stream-bindings.ts) so values of different rows never
 * combine.
 */
function isTreeShaped(plan: VariantPlan): boolean {
  const uses = new Map<LookupPlan, { consumers: Set<object>; direct: number; intersected: number }>();
  const visit = (value: ParameterValue, consumer: object, intersected: boolean): void => {
    if (value.kind === 'request') return;
    if (value.kind === 'intersection') {
      value.values.forEach((v) => visit(v, consumer, true));
      return;
    }
    const use = uses.get(value.lookup) ?? { consumers: new Set<object>(), direct: 0, intersected: 0 };
    uses.set(value.lookup, use);
    use.consumers.add(consumer);
    if (intersected) use.intersected++;
    else use.direct++;
  };
  const lookups = new Set<LookupPlan>(plan.existence);
  plan.values.forEach((v) => visit(v, plan, false));
  for (const use of uses.keys()) lookups.add(use);
  // Lookups reached from lookups: visit each once (the map grows while iterating).
  const visited = new Set<LookupPlan>();
  for (let pending = [...lookups]; pending.length > 0;) {
    const lookup = pending.pop()!;
    if (visited.has(lookup)) continue;
    visited.add(lookup);
    lookup.values.forEach((v) => visit(v, lookup, false));
    pending = [...pending, ...uses.keys()].filter((l) => !visited.has(l));
  }
  for (const use of uses.values()) {
    if (use.consumers.size > 1) return false;
    if (use.intersected > 0 && use.direct + use.intersected > 1) return false;
  }
  return true;
}

function sameValue(a: ParameterValue, b: ParameterValue): boolean {
  if (a.kind === 'lookup' && b.kind === 'lookup') return a.lookup === b.lookup && a.output === b.output;
  if (a.kind === 'request' && b.kind === 'request') return a.sig === b.sig && a.expands === b.expands;
  return false;
}

/** The table a term still needs resolved as a lookup, if it reads exactly one table. */
function unresolvedSet(term: Term): ResultSet | undefined {
  if (term.kind === 'filter') return term.side.set;
  const sides = term.kind === 'equals' ? [term.left, term.right] : [term.value, term.array];
  const sets = sides.map((s) => s.set).filter((s): s is ResultSet => s !== undefined);
  return sets.length === 1 ? sets[0] : undefined;
}
