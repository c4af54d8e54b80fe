// The Redis layout against the real Redis: idempotent op adds, exact 64-bit order, checksum and
// count at a checkpoint, conditional sharded row state, counted-once processed events, fenced
// checkpoints and the lease.
import { Redis } from 'ioredis';
import { addChecksums, MAX_OP_ID } from '@syncline/protocol';
import { getTestStack, uniqueName } from '@syncline/test-kit';
import { BucketStore, ROW_SHARDS, rowShardOf, type BucketOpWrite, type Checkpoint } from '../../src';

describe('BucketStore', () => {
  let redis: Redis;
  let store: BucketStore;

  beforeAll(() => {
    redis = new Redis(getTestStack().endpoints.redisUrl);
  });
  beforeEach(() => {
    store = new BucketStore(redis, `test:${uniqueName('store')}`);
  });
  afterEach(async () => {
    await store.deleteAll();
  });
  afterAll(() => redis.disconnect());

  const put = (opId: bigint, id: string, checksum: number, bucket = 'b["x"]'): BucketOpWrite => ({
    bucket,
    op: 'PUT',
    opId,
    objectType: 't',
    objectId: id,
    subkey: `s${id}`,
    data: `{"id":"${id}"}`,
    checksum,
  });

  it('adds an op and its checksum exactly once when the same op is written again', async () => {
    expect(await store.addOps([put(10n, '1', 0xffffffff), put(20n, '2', 5)])).toBe(2);
    expect(await store.addOps([put(10n, '1', 0xffffffff), put(20n, '2', 5)])).toBe(0);
    const [c] = await store.checksumsAt(['b["x"]'], 100n);
    expect(c).toEqual({ bucket: 'b["x"]', checksum: addChecksums(0xffffffff, 5), count: 2 });
  });

  it('stores each op body as the JSON of the op (escaping included)', async () => {
    const odd: BucketOpWrite = {
      bucket: 'b["x"]',
      op: 'PUT',
      opId: 2n ** 62n + 7n,
      objectType: 'ty"pe',
      objectId: 'id\\1\n',
      subkey: 'sü',
      data: '{"t":"a \\"q\\" \\u0001 ✓"}',
      checksum: -5,
    };
    await store.addOps([odd, { ...odd, op: 'REMOVE', objectId: 'two', data: null, checksum: 9 }]);
    const ops = await store.opsBetween('b["x"]', 0n, MAX_OP_ID);
    const expected = (o: BucketOpWrite) =>
      JSON.stringify({
        op: o.op,
        op_id: o.opId.toString(),
        object_type: o.objectType,
        object_id: o.objectId,
        subkey: o.subkey,
        data: o.data,
        checksum: o.checksum >>> 0,
      });
    const bodies = await redis.hvals(store.keys.bucket('b["x"]').body);
    expect(bodies.sort()).toEqual(
      [expected(odd), expected({ ...odd, op: 'REMOVE', objectId: 'two', data: null, checksum: 9 })].sort(),
    );
    expect(ops.map((o) => o.object_id).sort()).toEqual(['id\\1\n', 'two']);
  });

  it('orders op ids near 2^63 exactly and returns the ops in (after, upTo]', async () => {
    const top = MAX_OP_ID;
    await store.addOps([put(top, 'c', 1), put(top - 1n, 'b', 1), put(2n ** 53n + 1n, 'a', 1)]);
    const ops = await store.opsBetween('b["x"]', 2n ** 53n, top);
    expect(ops.map((o) => o.op_id)).toEqual([String(2n ** 53n + 1n), String(top - 1n), String(top)]);
    expect((await store.opsBetween('b["x"]', 2n ** 53n + 1n, top - 1n)).map((o) => o.object_id)).toEqual([
      'b',
    ]);
  });

  it('gives the checksum and count at a checkpoint below in-flight ops', async () => {
    await store.addOps([put(10n, '1', 100), put(20n, '2', 200), put(30n, '3', 300)]);
    const [at20] = await store.checksumsAt(['b["x"]'], 20n);
    expect(at20).toMatchObject({ checksum: 300, count: 2 });
    const [at9] = await store.checksumsAt(['b["x"]'], 9n);
    expect(at9).toMatchObject({ checksum: 0, count: 0 });
  });

  it('never overwrites a row state written by a later op', async () => {
    await store.putRows([{ table: 's.t', pk: '{"id":1}', opId: 50n, state: 'new' }]);
    expect((await store.putRows([{ table: 's.t', pk: '{"id":1}', opId: 40n, state: 'old' }])).written).toBe(
      0,
    );
    expect((await store.putRows([{ table: 's.t', pk: '{"id":1}', opId: 50n, state: 'same' }])).written).toBe(
      0,
    );
    const [row, missing] = await store.getRows([
      { table: 's.t', pk: '{"id":1}' },
      { table: 's.t', pk: '{"id":2}' },
    ]);
    expect(row).toEqual({ opId: 50n, state: 'new' });
    expect(missing).toBeNull();
    expect(await store.truncateRows('s.t', ['{"id":1}'], 45n, 'gone')).toEqual([]);
    expect(await store.truncateRows('s.t', ['{"id":1}', '{"id":2}'], 60n, 'gone')).toEqual(['{"id":1}']);
    expect(await store.getRows([{ table: 's.t', pk: '{"id":1}' }])).toEqual([{ opId: 60n, state: 'gone' }]);
  });

  it('refuses row states older than a truncate that already scanned the table, and reports them', async () => {
    await store.markTruncate('s.t', 100n);
    await store.markTruncate('s.t', 90n); // the marker only moves forward
    const outcome = await store.putRows([
      { table: 's.t', pk: '{"id":1}', opId: 99n, state: 'before the truncate' },
      { table: 's.t', pk: '{"id":2}', opId: 101n, state: 'after the truncate' },
      { table: 's.other', pk: '{"id":1}', opId: 50n, state: 'other table' },
    ]);
    expect(outcome).toEqual({
      written: 2,
      truncated: [{ table: 's.t', pk: '{"id":1}', truncateOpId: 100n }],
    });
    expect(await store.getRows([{ table: 's.t', pk: '{"id":1}' }])).toEqual([null]);
    // The tombstone as of the truncate itself is accepted.
    expect((await store.putRows([{ table: 's.t', pk: '{"id":1}', opId: 100n, state: 'gone' }])).written).toBe(
      1,
    );
  });

  it('keeps row states in shards and scans every row of a table (and only that table)', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      table: 's.t',
      pk: `{"id":${i}}`,
      opId: BigInt(i + 1),
      state: `state ${i}`,
    }));
    const outcome = await store.putRows([
      ...rows,
      { table: 's.other', pk: '{"id":1}', opId: 1n, state: 'x' },
    ]);
    expect(outcome).toEqual({ written: 301, truncated: [] });
    const shards = new Set(rows.map((r) => rowShardOf(r.pk)));
    expect(shards.size).toBe(ROW_SHARDS);
    const scanned: Array<{ pk: string; opId: bigint; state: string }> = [];
    for await (const chunk of store.scanTableRows('s.t', 50)) scanned.push(...chunk);
    expect(scanned.sort((a, b) => Number(a.opId - b.opId))).toEqual(
      rows.map(({ pk, opId, state }) => ({ pk, opId, state })),
    );
    const got = await store.getRows(rows.map(({ table, pk }) => ({ table, pk })));
    expect(got.map((r) => r?.state)).toEqual(rows.map((r) => r.state));
  });

  it('counts processed events once per partition offset (compare-and-set of the progress)', async () => {
    const counts = (entries: Array<[bigint, number]>) => new Map(entries);
    expect(await store.partitionProgress('t/0')).toBeNull();
    expect(
      await store.countEvents(
        't/0',
        null,
        10n,
        false,
        counts([
          [5n, 2],
          [7n, 1],
        ]),
      ),
    ).toEqual({
      applied: true,
    });
    // A replay or a second writer that still expects the old progress is refused, nothing counted.
    expect(await store.countEvents('t/0', null, 12n, true, counts([[5n, 2]]))).toEqual({
      applied: false,
      progress: 10n,
    });
    expect(await store.countEvents('t/0', 10n, 12n, true, counts([[7n, 1]]))).toEqual({ applied: true });
    expect(await store.countEvents('t/1', null, 3n, false, counts([[7n, 1]]))).toEqual({ applied: true });
    expect(await store.processedCounts([5n, 7n, 9n])).toEqual([2, 3, 0]);
    expect(await store.partitionProgress('t/0')).toBe(12n);
    expect(await store.readPositions('streaming')).toEqual(new Map([['t/0', 1n]]));
    expect(await store.readPositions('progress')).toEqual(
      new Map([
        ['t/0', 12n],
        ['t/1', 3n],
      ]),
    );
    await store.forgetProcessed([5n]);
    expect(await store.processedCounts([5n, 7n])).toEqual([0, 3]);
  });

  it('publishes a checkpoint only from the lease holder and only forward', async () => {
    const cp = (lastOpId: string): Checkpoint => ({
      lastOpId,
      endOffset: '1',
      lsn: '1',
      commitTimeMs: 1,
      publishedAtMs: 1,
      writeCheckpoints: [],
    });
    expect(await store.holdLease('a', 2000)).toBe(true);
    expect(await store.holdLease('b', 2000)).toBe(false);
    expect(await store.publishCheckpoint('b', cp('5'))).toBe('not-leader');
    expect(await store.publishCheckpoint('a', cp('5'))).toBe('published');
    expect(await store.publishCheckpoint('a', cp('4'))).toBe('stale');
    await store.releaseLease('a');
    expect(await store.holdLease('b', 2000)).toBe(true);
    expect((await store.getCheckpoint())?.lastOpId).toBe('5');
  });

  it('resolves parameter lookups as of a checkpoint', async () => {
    await store.writeLookups([
      { lookupKey: 'L', rowKey: 'r1', opId: 10n, parameters: '[{"g":1}]' },
      { lookupKey: 'L', rowKey: 'r2', opId: 15n, parameters: '[{"g":2}]' },
      { lookupKey: 'L', rowKey: 'r1', opId: 20n, parameters: null },
    ]);
    expect(await store.lookupAt('L', 12n)).toEqual([{ g: 1 }]);
    expect(await store.lookupAt('L', 16n)).toEqual([{ g: 1 }, { g: 2 }]);
    expect(await store.lookupAt('L', 25n)).toEqual([{ g: 2 }]);
  });
});
