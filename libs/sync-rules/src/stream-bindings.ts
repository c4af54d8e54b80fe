// Request-time parameters of a variant whose joins reach one table through two paths (a lookup
// feeding two consumers, or values of several lookups meeting in one parameter). They are
// evaluated over bindings, one stored row per lookup, so that every value taken from a lookup
// comes from the same row wherever it is used, as PowerSync tracks which row a value came from.
import { product, distinctTuples, storedValue, type StreamRequestEvaluation } from './stream-lookup';
import type { LookupPlan, ParameterValue, VariantPlan } from './stream-plan';
import type { SqliteJsonRow, SqliteJsonValue } from '@syncline/sqlite-value';

/** One stored row per lookup resolved so far. */
type Binding = ReadonlyMap<LookupPlan, SqliteJsonRow>;

/** The parameter tuples of a row-bound variant (empty when a lookup or an existence check finds nothing). */
export async function boundTuples(
  plan: VariantPlan,
  evaluation: StreamRequestEvaluation,
): Promise<SqliteJsonValue[][]> {
  let bindings: Binding[] = [new Map()];
  for (const lookup of lookupOrder(plan)) {
    bindings = await extend(bindings, lookup, evaluation);
    if (bindings.length === 0) return [];
  }
  const tuples: SqliteJsonValue[][] = [];
  for (const binding of bindings) {
    const sets = await Promise.all(plan.values.map((v) => valuesUnder(v, binding, evaluation)));
    tuples.push(...product(sets));
  }
  return distinctTuples(tuples);
}

/** Every binding extended with each row the lookup finds for that binding's keys (one read). */
async function extend(
  bindings: readonly Binding[],
  lookup: LookupPlan,
  evaluation: StreamRequestEvaluation,
): Promise<Binding[]> {
  const keysOf = await Promise.all(
    bindings.map(async (b) =>
      product(await Promise.all(lookup.values.map((v) => valuesUnder(v, b, evaluation)))),
    ),
  );
  const distinct = new Map<string, SqliteJsonValue[]>();
  for (const keys of keysOf) for (const key of keys) distinct.set(text(key), key);
  const found = await evaluation.rowsByKey(lookup, [...distinct.values()]);
  const rowsOf = new Map([...distinct.keys()].map((k, i) => [k, found[i] ?? []]));
  const next = new Map<string, Binding>();
  bindings.forEach((binding, index) => {
    for (const key of keysOf[index]!) {
      for (const row of rowsOf.get(text(key)) ?? []) {
        const extended = new Map(binding).set(lookup, row);
        // Rows with the same outputs bind the same values: keep one, so bindings stay few.
        next.set(text([...extended.values()]), extended);
      }
    }
  });
  return [...next.values()];
}

/** The values a parameter takes under one binding: a lookup's value is its bound row's. */
async function valuesUnder(
  value: ParameterValue,
  binding: Binding,
  evaluation: StreamRequestEvaluation,
): Promise<SqliteJsonValue[]> {
  if (value.kind === 'request') return evaluation.values(value);
  if (value.kind === 'lookup') {
    const row = binding.get(value.lookup);
    const v = row === undefined ? null : storedValue(row, value.output);
    return v === null ? [] : [v];
  }
  const sets = await Promise.all(value.values.map((v) => valuesUnder(v, binding, evaluation)));
  return sets.reduce((a, b) => a.filter((v) => b.includes(v)));
}

/** The plan's lookups, each after the lookups its keys read. */
function lookupOrder(plan: VariantPlan): LookupPlan[] {
  const order: LookupPlan[] = [];
  const visit = (lookup: LookupPlan): void => {
    if (order.includes(lookup)) return;
    lookup.values.forEach(visitValue);
    if (!order.includes(lookup)) order.push(lookup);
  };
  const visitValue = (value: ParameterValue): void => {
    if (value.kind === 'lookup') visit(value.lookup);
    else if (value.kind === 'intersection') value.values.forEach(visitValue);
  };
  plan.values.forEach(visitValue);
  plan.existence.forEach(visit);
  return order;
}

function text(values: readonly unknown[]): string {
  return JSON.stringify(values, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}
