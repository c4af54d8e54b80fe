// Parameter lookups of sync streams. Row side: a subquery table's rows indexed by their key values,
// storing the outputs later steps need. Request side: a lookup's keys come from the request or from
// an earlier lookup's outputs (a chain), read through the injected lookup source.
import type { EvalContext, Evaluator } from './expression';
import type { ParameterLookup, ParameterLookupEntry } from './parameter-query';
import type { RequestContext } from './request-context';
import { jsonArrayElements, jsonToSqlite, parseJsonValue } from './json-values';
import type { JsonValue } from '@syncline/lossless-json';
import { keyValues } from './stream-data-source';
import type { LookupPlan, ParameterValue } from './stream-plan';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonRow, SqliteJsonValue, SqliteRow } from '@syncline/sqlite-value';
import { compileTableMatcher, type SourceTableName } from './table-pattern';

const { isTruthy, normalizeNumber } = sqliteValues;

/** The `definition` of every stream lookup key: `lookup/<queryId>[<values>]`, as PowerSync names them. */
export const STREAM_LOOKUP_DEFINITION = 'lookup';

/** Row side of one canonical lookup, shared by every stream and variant that plans the same one. */
export interface StreamLookupCreator {
  queryId: string;
  matchesTable(table: SourceTableName): boolean;
  /** `table` is the row's source table as the caller names it (read by `t.schema()` and the like). */
  lookupEntries(row: SqliteRow, table?: string): ParameterLookupEntry[];
}

/** A lookup's identity: the table, its filters, its keys and its outputs (not how keys are instantiated). */
export function lookupSignature(plan: LookupPlan): string {
  const { schema, name } = plan.set.table;
  return JSON.stringify([
    schema,
    name,
    [...plan.filterSigs].sort(),
    plan.keys.map((k) => k.sig),
    plan.outputSigs,
  ]);
}

export function createLookupCreator(plan: LookupPlan, queryId: string): StreamLookupCreator {
  const { filters, keys, outputs, outputExpands, expand } = plan;
  const entriesOf = (ctx: EvalContext, queryId: string): ParameterLookupEntry[] => {
    for (const filter of filters) if (!isTruthy(filter(ctx))) return [];
    // An expanding output gives one stored row per element, as a join with json_each would.
    const outputValues = outputs.map((output, index) => {
      const value = output(ctx);
      if (outputExpands[index]) return keyValues(value, true);
      return [value instanceof Uint8Array ? null : normalizeNumber(value)];
    });
    const rows = product(outputValues).map((values) =>
      Object.fromEntries(values.map((v, index) => [String(index), v])),
    );
    return product(keys.map((k) => keyValues(k.evaluate(ctx), k.expands))).flatMap((values) =>
      rows.map((parameters) => ({
        lookup: { definition: STREAM_LOOKUP_DEFINITION, queryId, values },
        parameters,
      })),
    );
  };
  return {
    queryId,
    matchesTable: compileTableMatcher(plan.set.table),
    lookupEntries: (row, table) => {
      const ctx: EvalContext = { row, request: undefined, table };
      if (!expand) return entriesOf(ctx, queryId);
      // A row with json_each items over its arrays: its entries are those of each element's row.
      return expand(ctx).flatMap((r) => entriesOf({ row: r, request: undefined, table }, queryId));
    },
  };
}

export function product(sets: readonly SqliteJsonValue[][]): SqliteJsonValue[][] {
  let result: SqliteJsonValue[][] = [[]];
  for (const set of sets) result = result.flatMap((prefix) => set.map((value) => [...prefix, value]));
  return result;
}

/** Reads stored lookup rows (aligned with `lookups`); the sync-rules ParameterLookupSource. */
export type LookupReader = (lookups: readonly ParameterLookup[]) => Promise<SqliteJsonRow[][]>;

/** Request-time values of partition keys for one request (one subscription), reading each lookup once. */
export class StreamRequestEvaluation {
  private readonly rowsByLookup = new Map<LookupPlan, Promise<SqliteJsonRow[]>>();
  private readonly ctx: EvalContext;

  constructor(
    request: RequestContext,
    private readonly read: LookupReader,
    private readonly queryIds: ReadonlyMap<LookupPlan, string>,
  ) {
    this.ctx = { row: {}, request };
  }

  /** Whether a request-only filter holds. */
  holds(filter: Evaluator): boolean {
    return isTruthy(filter(this.ctx));
  }

  /** The distinct values a parameter takes for this request (none when NULL or nothing found). */
  async values(value: ParameterValue): Promise<SqliteJsonValue[]> {
    if (value.kind === 'request') {
      const evaluated = value.evaluate(this.ctx);
      // A request array that is not JSON at all is the subscription's error (PowerSync reports
      // JSON.parse's message), not an empty set of buckets.
      if (value.expands && typeof evaluated === 'string' && jsonArrayElements(evaluated) === undefined)
        JSON.parse(evaluated);
      return keyValues(evaluated, value.expands);
    }
    if (value.kind === 'lookup') {
      const rows = await this.rows(value.lookup);
      return distinct(rows.map((r) => storedValue(r, value.output)));
    }
    const sets = await Promise.all(value.values.map((v) => this.values(v)));
    return sets.reduce((a, b) => a.filter((v) => b.includes(v)));
  }

  /**
   * Every combination of values `values` take together. Values read from the same lookup come
   * from the same stored row (a joined row), so their combinations are the rows', not a product.
   */
  async tuples(values: readonly ParameterValue[]): Promise<SqliteJsonValue[][]> {
    const byLookup = new Map<LookupPlan, number[]>();
    values.forEach((value, index) => {
      if (value.kind === 'lookup') byLookup.set(value.lookup, [...(byLookup.get(value.lookup) ?? []), index]);
    });
    const parts: { indices: number[]; options: SqliteJsonValue[][] }[] = [];
    for (const [lookup, indices] of byLookup) {
      const rows = await this.rows(lookup);
      const outputs = indices.map((i) => String((values[i] as ParameterValue & { kind: 'lookup' }).output));
      parts.push({
        indices,
        options: distinctTuples(rows.map((row) => outputs.map((o) => storedValue(row, o)))),
      });
    }
    const others = values
      .map((value, index) => ({ value, index }))
      .filter(({ value }) => value.kind !== 'lookup');
    for (const { value, index } of others) {
      parts.push({ indices: [index], options: (await this.values(value)).map((v) => [v]) });
    }
    let tuples: SqliteJsonValue[][] = [new Array<SqliteJsonValue>(values.length).fill(null)];
    for (const { indices, options } of parts) {
      tuples = tuples.flatMap((tuple) =>
        options.map((option) => {
          const next = tuple.slice();
          indices.forEach((index, k) => (next[index] = option[k]!));
          return next;
        }),
      );
    }
    return tuples;
  }

  /** The stored rows of a lookup for this request, its keys instantiated first. */
  rows(lookup: LookupPlan): Promise<SqliteJsonRow[]> {
    let rows = this.rowsByLookup.get(lookup);
    if (rows === undefined) {
      rows = this.readRows(lookup);
      this.rowsByLookup.set(lookup, rows);
    }
    return rows;
  }

  private async readRows(lookup: LookupPlan): Promise<SqliteJsonRow[]> {
    const keys = await this.tuples(lookup.values);
    return (await this.rowsByKey(lookup, keys)).flat();
  }

  /** The stored rows of a lookup for each of `keys` (aligned), in one read. */
  async rowsByKey(lookup: LookupPlan, keys: readonly SqliteJsonValue[][]): Promise<SqliteJsonRow[][]> {
    if (lookup.requestArray) return keys.map(() => requestArrayRows(lookup, this.ctx));
    const queryId = this.queryIds.get(lookup);
    if (queryId === undefined) throw new Error('internal error: lookup without a query id');
    if (keys.length === 0) return [];
    return this.read(keys.map((values) => ({ definition: STREAM_LOOKUP_DEFINITION, queryId, values })));
  }
}

/**
 * The rows of `json_each(<request value>)` as a lookup's stored rows: one per element (`key`,
 * `value`) that passes the filters, with the outputs. A string that is not JSON is the
 * subscription's error (JSON.parse's message, as for request arrays).
 */
function requestArrayRows(lookup: LookupPlan, request: EvalContext): SqliteJsonRow[] {
  const value = lookup.requestArray!(request);
  if (value === null) return [];
  const parsed = parseJsonValue(value);
  if (parsed === undefined) {
    if (typeof value === 'string') JSON.parse(value);
    return [];
  }
  const rows: SqliteJsonRow[] = [];
  for (const element of jsonEachRows(parsed)) {
    const ctx: EvalContext = { row: element, request: request.request };
    if (!lookup.filters.every((f) => isTruthy(f(ctx)))) continue;
    const out: SqliteJsonRow = {};
    lookup.outputs.forEach((output, index) => {
      const v = output(ctx);
      out[String(index)] = v instanceof Uint8Array ? null : normalizeNumber(v);
    });
    rows.push(out);
  }
  return rows;
}

/** json_each's rows: an array's elements by index, an object's members by key, else the value itself. */
export function jsonEachRows(parsed: JsonValue): SqliteRow[] {
  if (Array.isArray(parsed)) return parsed.map((v, i) => ({ key: BigInt(i), value: jsonToSqlite(v) }));
  if (parsed !== null && typeof parsed === 'object')
    return Object.entries(parsed).map(([key, v]) => ({ key, value: jsonToSqlite(v) }));
  return [{ key: null, value: jsonToSqlite(parsed) }];
}

/**
 * A lookup output as stored rows give it. A store hands back JSON, where an integer is a number
 * (a bigint only beyond 2^53); request values and row values are bigints, and a number would
 * never equal them where a parameter is bound twice (`x = subscription.parameter('p') AND
 * x IN (SELECT ...)`).
 */
export function storedValue(row: SqliteJsonRow, output: number | string): SqliteJsonValue {
  return normalizeNumber(row[String(output)] ?? null);
}

/** Rows of lookup outputs as parameter tuples: rows with a NULL dropped, duplicates once. */
export function distinctTuples(rows: readonly SqliteJsonValue[][]): SqliteJsonValue[][] {
  const out: SqliteJsonValue[][] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.some((v) => v === null)) continue;
    const key = JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    if (!seen.has(key)) out.push(row);
    seen.add(key);
  }
  return out;
}

/** Lookup outputs as parameter values: NULL dropped, duplicates once. */
function distinct(values: readonly SqliteJsonValue[]): SqliteJsonValue[] {
  const out: SqliteJsonValue[] = [];
  for (const value of values) if (value !== null && !out.includes(value)) out.push(value);
  return out;
}
