// Properties of the parameter-lookup trim (docs/consistency.md §2.6, "Bounded bookkeeping") over
// random version histories, random horizons and random chunk sizes: the chunked walk with the
// script's guards (a model of RedisBookkeepingTrimmer.trimLookups) ends where the one-go reference
// ends, every lookupAt(c), c >= horizon, is unchanged after every chunk, and a second trim
// deletes nothing.
import fc from 'fast-check';
import {
  lookupValuesAt,
  opMember,
  planLookupChunk,
  startLookupWalk,
  trimLookupVersions,
  type LookupVersion,
} from '../src';

const ROWS = ['t/1', 't/2', 't/3', 'u/"x"'];

/** Versions written at rising op ids; a value is parameters, 'null' (left the lookup) or absent. */
const historyArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 2 }),
      rows: fc.uniqueArray(fc.constantFrom(...ROWS), { minLength: 1, maxLength: 2 }),
      value: fc.oneof(
        { weight: 5, arbitrary: fc.integer({ min: 0, max: 9 }).map((n) => `[{"v":${n}}]`) },
        { weight: 3, arbitrary: fc.constant('null') },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
    }),
    { maxLength: 40 },
  )
  .map((events) => {
    let opId = 1n;
    const versions: LookupVersion[] = [];
    for (const e of events) {
      opId += BigInt(e.gap) + 1n;
      for (const row of e.rows) versions.push({ member: opMember(opId, row), value: e.value });
    }
    return { versions, top: opId };
  });

/** The store as Redis holds it: member -> value (null: the value is absent). */
type Store = Map<string, string | null>;

/**
 * trimLookups over a model store: the walk from the horizon down in chunks of `chunk` members,
 * TRIM_LOOKUP's guards (a drop only while its keeper is indexed, a null only while it says
 * null), the nulls at the walk's end. Calls `after` after every script call.
 */
function trimInModel(store: Store, horizon: bigint, chunk: number, after: () => void): number {
  const top = opMember(horizon + 1n, '');
  let walk = startLookupWalk();
  let deleted = 0;
  for (;;) {
    const below = walk.below ?? top;
    const members = [...store.keys()]
      .filter((m) => m < below)
      .sort()
      .reverse()
      .slice(0, chunk);
    const planned = planLookupChunk(
      walk,
      members.map((member) => ({ member, value: store.get(member) ?? null })),
    );
    walk = planned.walk;
    for (const d of planned.drops) if (store.has(d.keeper) && store.delete(d.member)) deleted++;
    after();
    if (members.length < chunk) {
      for (const m of walk.nulls) if (store.get(m) === 'null' && store.delete(m)) deleted++;
      after();
      return deleted;
    }
  }
}

const versionsOf = (store: Store): LookupVersion[] =>
  [...store].map(([member, value]) => ({ member, value })).sort((a, b) => (a.member < b.member ? -1 : 1));

describe('parameter-lookup trim', () => {
  it('keeps lookupAt at every checkpoint at or above the horizon after every chunk, and ends as the reference', () => {
    fc.assert(
      fc.property(
        historyArb,
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 1, max: 6 }),
        ({ versions, top }, percent, chunk) => {
          const horizon = (top * BigInt(percent)) / 100n;
          const before = (c: bigint) => lookupValuesAt(versions, c);
          const store: Store = new Map(versions.map((v) => [v.member, v.value]));
          const checkpoints = Array.from(
            { length: Number(top - horizon) + 2 },
            (_, i) => horizon + BigInt(i),
          );
          trimInModel(store, horizon, chunk, () => {
            for (const c of checkpoints) expect(lookupValuesAt(versionsOf(store), c)).toEqual(before(c));
          });
          expect(versionsOf(store)).toEqual(
            versionsOf(new Map(trimLookupVersions(versions, horizon).map((v) => [v.member, v.value]))),
          );
          expect(trimInModel(store, horizon, chunk, () => undefined)).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('leaves per row at most one version at or below the horizon, never one that says null', () => {
    fc.assert(
      fc.property(historyArb, fc.integer({ min: 0, max: 100 }), ({ versions, top }, percent) => {
        const horizon = (top * BigInt(percent)) / 100n;
        const left = trimLookupVersions(versions, horizon).filter(
          (v) => BigInt(`0x${v.member.slice(0, 16)}`) <= horizon,
        );
        const rows = left.map((v) => v.member.slice(17));
        expect(new Set(rows).size).toBe(rows.length);
        expect(left.some((v) => v.value === 'null')).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('drops a null newest version only with every older version of its row', () => {
    const v = (op: number, row: string, value: string | null): LookupVersion => ({
      member: opMember(BigInt(op), row),
      value,
    });
    const history = [
      v(1, 'a', '[1]'),
      v(2, 'b', '[2]'),
      v(3, 'a', 'null'),
      v(5, 'b', 'null'),
      v(6, 'a', '[3]'),
    ];
    expect(trimLookupVersions(history, 4n)).toEqual([v(2, 'b', '[2]'), v(5, 'b', 'null'), v(6, 'a', '[3]')]);
    expect(trimLookupVersions(history, 5n)).toEqual([v(6, 'a', '[3]')]);
    expect(trimLookupVersions(history, 0n)).toEqual(history);
  });

  it('plans the same drops when a chunk is planned again from an earlier walk (a retried call)', () => {
    const chunk = [
      { member: opMember(9n, 'a'), value: 'null' },
      { member: opMember(8n, 'b'), value: '[1]' },
      { member: opMember(7n, 'a'), value: '[2]' },
    ];
    const first = planLookupChunk(startLookupWalk(), chunk.slice(0, 2));
    const once = planLookupChunk(first.walk, chunk.slice(2));
    const again = planLookupChunk(first.walk, chunk.slice(2));
    expect(again.drops).toEqual(once.drops);
    const retried = planLookupChunk(startLookupWalk(), chunk);
    const fresh = planLookupChunk(startLookupWalk(), chunk);
    expect(planLookupChunk({ ...retried.walk, below: null }, chunk).drops).toEqual(fresh.drops);
  });

  it('refuses a chunk that does not continue below the last one', () => {
    const walk = planLookupChunk(startLookupWalk(), [{ member: opMember(5n, 'a'), value: '[1]' }]).walk;
    expect(() => planLookupChunk(walk, [{ member: opMember(6n, 'a'), value: '[1]' }])).toThrow(RangeError);
  });
});
