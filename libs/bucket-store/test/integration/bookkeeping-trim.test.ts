// The bookkeeping trim in the real Redis (docs/consistency.md §2.6, "Bounded bookkeeping"):
// lookups end as the pure reference and every lookupAt at or above the horizon is unchanged;
// tombstones at or below the horizon go and nothing else does; counts, seen bitmaps and
// write-checkpoint lists of covered transactions go; a second pass deletes nothing; a write
// made meanwhile is never deleted; write-checkpoint hashes expire. On the stack's one Redis server
// and on a local three-master Redis Cluster (the trim SCANs every master).
import { Cluster, Redis } from 'ioredis';
import { getTestStack, startRedisCluster, uniqueName, type LocalRedisCluster } from '@syncline/test-kit';
import { encodeOpIdMember } from '@syncline/protocol';
import {
  RedisBookkeepingTrimmer,
  RedisBucketReader,
  RedisBucketWriter,
  RedisCoordination,
  StoreKeys,
  opMember,
  rowShardOf,
  trimLookupVersions,
  type CheckpointedTrimCursor,
  type LookupTrimCursor,
  type LookupVersion,
  type TombstoneTrimCursor,
  type LookupWrite,
  type RowStateWrite,
  type StoreConnection,
  type TrimProgress,
} from '../../src';
import { withScripts } from '../../src/redis';

jest.setTimeout(120_000);

const DEAD = '{"raw":null,"memberships":[],"lookups":[]}';
const MOVED = '{"raw":null,"memberships":[],"lookups":[],"moved":"{\\"id\\":1}"}';
const LIVE = '{"raw":"{\\"id\\":1}","memberships":[],"lookups":[]}';

/** A deterministic generator (tests must be reproducible). */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
}

/** `events` lookup writes over `rows` source rows at rising op ids: parameters or null. */
function lookupHistory(lookupKey: string, events: number, rows: number, seed: number): LookupWrite[] {
  const next = random(seed);
  return Array.from({ length: events }, (_, e) => ({
    lookupKey,
    rowKey: `public.t/${next(rows)}`,
    opId: BigInt(e + 1),
    parameters: next(3) === 0 ? null : `[{"list":${next(1000)}}]`,
  }));
}

/** Every call of a trim until its pass is complete; returns the calls and what they deleted. */
async function untilDone<C>(
  step: (cursor: C | null) => Promise<TrimProgress<C>>,
): Promise<{ calls: number; deleted: number }> {
  let cursor: C | null = null;
  let calls = 0;
  let deleted = 0;
  do {
    const progress: TrimProgress<C> = await step(cursor);
    cursor = progress.cursor;
    deleted += progress.deleted;
    calls++;
  } while (cursor !== null);
  return { calls, deleted };
}

let cluster: LocalRedisCluster | null = null;
afterAll(async () => {
  await cluster?.stop();
});

const targets: Array<[string, () => Promise<StoreConnection>]> = [
  ['one server', async () => new Redis(getTestStack().endpoints.redisUrl)],
  [
    'a Redis Cluster',
    async () => {
      cluster = await startRedisCluster();
      return new Cluster(
        cluster.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) })),
      );
    },
  ],
];

describe.each(targets)('bookkeeping trim on %s', (_name, connect) => {
  let redis: StoreConnection;
  const prefixes: string[] = [];

  beforeAll(async () => {
    redis = await connect();
  });

  afterAll(async () => {
    for (const prefix of prefixes) await new RedisCoordination(redis, prefix).deleteAll();
    redis.disconnect();
  });

  function deployment(name: string) {
    const prefix = `test:${uniqueName(name)}`;
    prefixes.push(prefix);
    return {
      prefix,
      keys: new StoreKeys(prefix),
      writer: new RedisBucketWriter(redis, prefix),
      reader: new RedisBucketReader(redis, prefix),
      trimmer: new RedisBookkeepingTrimmer(redis, prefix),
      coordination: new RedisCoordination(redis, prefix),
    };
  }

  async function storedVersions(keys: StoreKeys, lookupKey: string): Promise<LookupVersion[]> {
    const k = keys.lookup(lookupKey);
    const members = await redis.zrange(k.index, 0, -1);
    const values = members.length === 0 ? [] : await redis.hmget(k.values, ...members);
    return members.map((member, i) => ({ member, value: values[i] ?? null }));
  }

  async function answers(reader: RedisBucketReader, lookupKey: string, from: bigint, to: bigint) {
    const out: string[] = [];
    for (let c = from; c <= to; c++)
      out.push(`${c}:${JSON.stringify((await reader.lookupAt(lookupKey, c)).map(String).sort())}`);
    return out;
  }

  const asVersions = (writes: readonly LookupWrite[]): LookupVersion[] =>
    writes.map((w) => ({ member: opMember(w.opId, w.rowKey), value: w.parameters ?? 'null' }));

  it('ends every lookup as the reference, with lookupAt unchanged at and above the horizon', async () => {
    const { keys, writer, reader, trimmer } = deployment('trim-lookups');
    const histories = [
      lookupHistory('["by_list",1]', 700, 40, 3),
      lookupHistory('["by_list",2]', 30, 4, 5),
      lookupHistory('["by_user","u\\"1"]', 12, 2, 9),
    ];
    for (const h of histories) await writer.writeLookups(h);
    const horizon = 520n;
    const before = await Promise.all(histories.map((h) => answers(reader, h[0]!.lookupKey, horizon, 701n)));
    const { calls, deleted } = await untilDone((c: LookupTrimCursor | null) =>
      trimmer.trimLookups(horizon, c, 37),
    );
    expect(calls).toBeGreaterThan(10);
    expect(deleted).toBeGreaterThan(400);
    for (const [i, h] of histories.entries()) {
      const key = h[0]!.lookupKey;
      expect(await answers(reader, key, horizon, 701n)).toEqual(before[i]);
      expect(await storedVersions(keys, key)).toEqual(
        trimLookupVersions(asVersions(h), horizon).sort((a, b) => (a.member < b.member ? -1 : 1)),
      );
    }
    expect(
      (await untilDone((c: LookupTrimCursor | null) => trimmer.trimLookups(horizon, c, 37))).deleted,
    ).toBe(0);
  });

  it('never deletes a lookup version written while the trim walks', async () => {
    const { keys, writer, reader, trimmer } = deployment('trim-lookups-concurrent');
    const key = '["by_list",7]';
    const history = lookupHistory(key, 400, 10, 17);
    await writer.writeLookups(history);
    const horizon = 300n;
    let progress = await trimmer.trimLookups(horizon, null, 50);
    expect(progress.cursor).not.toBeNull();
    // Newer versions of every row (above the horizon, as every write after it is), some null.
    const newer = Array.from({ length: 10 }, (_, r) => ({
      lookupKey: key,
      rowKey: `public.t/${r}`,
      opId: 401n + BigInt(r),
      parameters: r % 3 === 0 ? null : `[{"list":${r}}]`,
    }));
    await writer.writeLookups(newer);
    while (progress.cursor !== null) progress = await trimmer.trimLookups(horizon, progress.cursor, 50);
    const all = asVersions([...history, ...newer]);
    const stored = await storedVersions(keys, key);
    for (const v of asVersions(newer)) expect(stored).toContainEqual(v);
    expect(stored).toEqual(trimLookupVersions(all, horizon).sort((a, b) => (a.member < b.member ? -1 : 1)));
    expect(await answers(reader, key, 395n, 412n)).toEqual(
      await (async () => {
        const fresh = deployment('trim-lookups-untrimmed');
        await fresh.writer.writeLookups([...history, ...newer]);
        return answers(fresh.reader, key, 395n, 412n);
      })(),
    );
  });

  it('deletes a lookup version only while its keeper is indexed, and a null only while it says null', async () => {
    const { keys, writer } = deployment('trim-lookup-script');
    const key = '["k"]';
    const k = keys.lookup(key);
    await writer.writeLookups([
      { lookupKey: key, rowKey: 'r', opId: 1n, parameters: '[1]' },
      { lookupKey: key, rowKey: 'r', opId: 2n, parameters: '[2]' },
      { lookupKey: key, rowKey: 's', opId: 3n, parameters: '[3]' },
    ]);
    const scripts = withScripts(redis);
    // The keeper named is not indexed (another trimmer took it): keep.
    expect(await scripts.slTrimLookup(k.index, k.values, '1', opMember(1n, 'r'), opMember(9n, 'r'))).toBe(0);
    // A version is never its own keeper, nor hidden by an older one: keep.
    expect(await scripts.slTrimLookup(k.index, k.values, '1', opMember(2n, 'r'), opMember(2n, 'r'))).toBe(0);
    expect(await scripts.slTrimLookup(k.index, k.values, '1', opMember(2n, 'r'), opMember(1n, 'r'))).toBe(0);
    // Not null any more: keep.
    expect(await scripts.slTrimLookup(k.index, k.values, '0', opMember(3n, 's'))).toBe(0);
    expect(await scripts.slTrimLookup(k.index, k.values, '1', opMember(1n, 'r'), opMember(2n, 'r'))).toBe(1);
    expect(await scripts.slTrimLookup(k.index, k.values, '1', opMember(1n, 'r'), opMember(2n, 'r'))).toBe(0);
    expect(await storedVersions(keys, key)).toEqual([
      { member: opMember(2n, 'r'), value: '[2]' },
      { member: opMember(3n, 's'), value: '[3]' },
    ]);
  });

  it('deletes tombstones at or below the horizon, and nothing else', async () => {
    const { keys, writer, trimmer } = deployment('trim-tombstones');
    const rows: RowStateWrite[] = [];
    for (const table of ['public.a', 'public.b'])
      for (let i = 0; i < 120; i++) {
        const state = i % 3 === 0 ? LIVE : i % 3 === 1 ? DEAD : MOVED;
        rows.push({ table, pk: `[${i}]`, opId: BigInt(1 + i), state });
      }
    await writer.putRows(rows);
    await writer.markTruncate('public.a', 50n);
    const horizon = 80n;
    const { calls, deleted } = await untilDone((c: TombstoneTrimCursor | null) =>
      trimmer.trimTombstones(horizon, c, 7),
    );
    const expectedGone = rows.filter((r) => r.state !== LIVE && r.opId <= horizon);
    expect(calls).toBeGreaterThan(10);
    expect(deleted).toBe(expectedGone.length);
    const left = await writer.getRows(rows);
    rows.forEach((r, i) =>
      expect([r.pk, left[i]]).toEqual([
        r.pk,
        expectedGone.includes(r) ? null : { opId: r.opId, state: r.state },
      ]),
    );
    for (let shard = 0; shard < 16; shard++)
      expect(await redis.get(keys.rowShardMarker('public.a', shard))).toBe(encodeOpIdMember(50n));
    expect(
      (await untilDone((c: TombstoneTrimCursor | null) => trimmer.trimTombstones(horizon, c, 7))).deleted,
    ).toBe(0);
  });

  it('never deletes a row state written after the tombstone was read', async () => {
    const { keys, writer } = deployment('trim-tombstones-concurrent');
    await writer.putRows([{ table: 'public.a', pk: '[1]', opId: 5n, state: DEAD }]);
    const [read] = await writer.getRows([{ table: 'public.a', pk: '[1]' }]);
    const seen = encodeOpIdMember(read!.opId) + read!.state;
    await writer.putRows([{ table: 'public.a', pk: '[1]', opId: 9n, state: LIVE }]);
    const shard = keys.rowShard('public.a', rowShardOf('[1]'));
    expect(await withScripts(redis).slTrimTombstones(shard, '[1]', seen)).toBe(0);
    expect(await writer.getRows([{ table: 'public.a', pk: '[1]' }])).toEqual([{ opId: 9n, state: LIVE }]);
  });

  it('deletes the counts, seen bitmaps and write-checkpoint lists of covered transactions only', async () => {
    const { keys, coordination, trimmer } = deployment('trim-checkpointed');
    const tx = (endOffset: bigint) => ({ endOffset, checkpointOpId: endOffset * 10n, totalOrders: [1, 2] });
    await coordination.countEvents('t/0', 10n, null, [tx(5n), tx(7n), tx(9n)]);
    for (const o of [5n, 9n])
      await coordination.recordTransactionWriteCheckpoints(
        new Map([[o, [{ userId: 'u', clientId: 'c', n: String(o) }]]]),
      );
    const { deleted } = await untilDone((c: CheckpointedTrimCursor | null) =>
      trimmer.trimCheckpointed(7n, c, 1),
    );
    expect(deleted).toBe(2 + 2 + 1);
    expect(await redis.hkeys(keys.counts)).toEqual(['9']);
    const exists = async (...names: string[]) =>
      Promise.all(names.map(async (n) => (await redis.exists(n)) === 1));
    expect(await exists(keys.seen(5n), keys.seen(7n), keys.transactionWriteCheckpoints(5n))).toEqual([
      false,
      false,
      false,
    ]);
    expect(await exists(keys.seen(9n), keys.transactionWriteCheckpoints(9n))).toEqual([true, true]);
    expect(
      (await untilDone((c: CheckpointedTrimCursor | null) => trimmer.trimCheckpointed(7n, c, 1))).deleted,
    ).toBe(0);
  });

  it("sets a user's write checkpoints to expire after the retention on every write", async () => {
    const { prefix, keys } = deployment('wc-retention');
    const wc = (userId: string, n: string) => [{ userId, clientId: 'c', n }];
    await new RedisCoordination(redis, prefix).saveWriteCheckpoints(wc('a', '1'), 10n);
    const ttl = await redis.pttl(keys.writeCheckpoints('a'));
    expect(ttl).toBeGreaterThan(29 * 24 * 3600 * 1000);
    expect(ttl).toBeLessThanOrEqual(30 * 24 * 3600 * 1000);
    const short = new RedisCoordination(redis, prefix, { writeCheckpointRetentionMs: 60_000 });
    await short.saveWriteCheckpoints(wc('a', '2'), 11n);
    expect(await redis.pttl(keys.writeCheckpoints('a'))).toBeLessThanOrEqual(60_000);
    await new RedisCoordination(redis, prefix, { writeCheckpointRetentionMs: null }).saveWriteCheckpoints(
      wc('b', '1'),
      12n,
    );
    expect(await redis.pttl(keys.writeCheckpoints('b'))).toBe(-1);
    expect(() => new RedisCoordination(redis, prefix, { writeCheckpointRetentionMs: 0 })).toThrow(RangeError);
  });
});
