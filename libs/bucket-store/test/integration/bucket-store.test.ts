// The Redis layout against the real Redis: op bodies as stored, conditional sharded row state,
// counted-once processed events, fenced checkpoints and the lease. What readers see (idempotent
// adds, exact 64-bit order, checksums and lookups at a checkpoint) is the reader contract suite,
// run against this layout in redis-reader.test.ts. Both run on the stack's one Redis server and
// on a local three-master Redis Cluster.
import { Cluster, Redis } from 'ioredis';
import { MAX_OP_ID, type BucketOp } from '@syncline/protocol';
import { getTestStack, startRedisCluster, uniqueName, type LocalRedisCluster } from '@syncline/test-kit';
import {
  RedisBucketReader,
  RedisBucketWriter,
  RedisCoordination,
  ROW_SHARDS,
  rowShardOf,
  StoreKeys,
  type Checkpoint,
  type StoreConnection,
} from '../../src';

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

describe.each(targets)('the Redis bucket store on %s', (_name, connect) => {
  let redis: StoreConnection;
  let prefix: string;
  let writer: RedisBucketWriter;
  let coordination: RedisCoordination;
  let reader: RedisBucketReader;

  beforeAll(async () => {
    redis = await connect();
  });
  beforeEach(() => {
    prefix = `test:${uniqueName('store')}`;
    writer = new RedisBucketWriter(redis, prefix);
    coordination = new RedisCoordination(redis, prefix);
    reader = new RedisBucketReader(redis, prefix);
  });
  afterEach(async () => {
    await coordination.deleteAll();
    await reader.close();
  });
  afterAll(() => redis.disconnect());

  it('stores each op body as the JSON of the op (escaping included)', async () => {
    const odd: BucketOp = {
      bucket: 'b["x"]',
      op: 'PUT',
      opId: 2n ** 62n + 7n,
      objectType: 'ty"pe',
      objectId: 'id\\1\n',
      subkey: 'sü',
      data: '{"t":"a \\"q\\" \\u0001 ✓"}',
      checksum: -5,
    };
    await writer.addOps([odd, { ...odd, op: 'REMOVE', objectId: 'two', data: null, checksum: 9 }]);
    const ops = await reader.opsBetween('b["x"]', 0n, MAX_OP_ID, 100);
    const expected = (o: BucketOp) =>
      JSON.stringify({
        op: o.op,
        op_id: o.opId.toString(),
        object_type: o.objectType,
        object_id: o.objectId,
        subkey: o.subkey,
        data: o.data,
        checksum: o.checksum >>> 0,
      });
    const bodies = await redis.hvals(new StoreKeys(prefix).bucket('b["x"]').body);
    expect(bodies.sort()).toEqual(
      [expected(odd), expected({ ...odd, op: 'REMOVE', objectId: 'two', data: null, checksum: 9 })].sort(),
    );
    expect(ops.map((o) => ('objectId' in o ? o.objectId : o.op)).sort()).toEqual(['id\\1\n', 'two']);
  });

  it('never overwrites a row state written by a later op', async () => {
    await writer.putRows([{ table: 's.t', pk: '{"id":1}', opId: 50n, state: 'new' }]);
    expect((await writer.putRows([{ table: 's.t', pk: '{"id":1}', opId: 40n, state: 'old' }])).written).toBe(
      0,
    );
    expect((await writer.putRows([{ table: 's.t', pk: '{"id":1}', opId: 50n, state: 'same' }])).written).toBe(
      0,
    );
    const [row, missing] = await writer.getRows([
      { table: 's.t', pk: '{"id":1}' },
      { table: 's.t', pk: '{"id":2}' },
    ]);
    expect(row).toEqual({ opId: 50n, state: 'new' });
    expect(missing).toBeNull();
    expect(await writer.truncateRows('s.t', ['{"id":1}'], 45n, 'gone')).toEqual([]);
    expect(await writer.truncateRows('s.t', ['{"id":1}', '{"id":2}'], 60n, 'gone')).toEqual(['{"id":1}']);
    expect(await writer.getRows([{ table: 's.t', pk: '{"id":1}' }])).toEqual([{ opId: 60n, state: 'gone' }]);
  });

  it('refuses row states older than a truncate that already scanned the table, and reports them', async () => {
    await writer.markTruncate('s.t', 100n);
    await writer.markTruncate('s.t', 90n); // the marker only moves forward
    const outcome = await writer.putRows([
      { table: 's.t', pk: '{"id":1}', opId: 99n, state: 'before the truncate' },
      { table: 's.t', pk: '{"id":2}', opId: 101n, state: 'after the truncate' },
      { table: 's.other', pk: '{"id":1}', opId: 50n, state: 'other table' },
    ]);
    expect(outcome).toEqual({
      written: 2,
      truncated: [{ table: 's.t', pk: '{"id":1}', truncateOpId: 100n }],
    });
    expect(await writer.getRows([{ table: 's.t', pk: '{"id":1}' }])).toEqual([null]);
    // The tombstone as of the truncate itself is accepted.
    expect(
      (await writer.putRows([{ table: 's.t', pk: '{"id":1}', opId: 100n, state: 'gone' }])).written,
    ).toBe(1);
  });

  it('keeps row states in shards and scans every row of a table (and only that table)', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      table: 's.t',
      pk: `{"id":${i}}`,
      opId: BigInt(i + 1),
      state: `state ${i}`,
    }));
    const outcome = await writer.putRows([
      ...rows,
      { table: 's.other', pk: '{"id":1}', opId: 1n, state: 'x' },
    ]);
    expect(outcome).toEqual({ written: 301, truncated: [] });
    const shards = new Set(rows.map((r) => rowShardOf(r.pk)));
    expect(shards.size).toBe(ROW_SHARDS);
    const scanned: Array<{ pk: string; opId: bigint; state: string }> = [];
    for await (const chunk of writer.scanTableRows('s.t', 50)) scanned.push(...chunk);
    expect(scanned.sort((a, b) => Number(a.opId - b.opId))).toEqual(
      rows.map(({ pk, opId, state }) => ({ pk, opId, state })),
    );
    const got = await writer.getRows(rows.map(({ table, pk }) => ({ table, pk })));
    expect(got.map((r) => r?.state)).toEqual(rows.map((r) => r.state));
  });

  it('counts each distinct (transaction, total_order) once, however often it is delivered', async () => {
    const tx = (endOffset: bigint, ...totalOrders: number[]) => ({
      endOffset,
      checkpointOpId: endOffset * 100n,
      totalOrders,
    });
    expect(await coordination.partitionProgress('t/0')).toBeNull();
    expect(await coordination.countEvents('t/0', 10n, null, [tx(5n, 1, 2), tx(7n, 1)])).toEqual({
      counted: 3,
      previousProgress: null,
      refused: false,
    });
    // A replay, a re-delivery at new offsets, or a record stored twice: nothing counted again,
    // so a duplicate never stands in for the missing total_order 3 of transaction 5.
    expect(await coordination.countEvents('t/0', 12n, 7n, [tx(5n, 2, 1, 1), tx(7n, 1)])).toEqual({
      counted: 0,
      previousProgress: 10n,
      refused: false,
    });
    expect((await coordination.countEvents('t/1', 3n, null, [tx(7n, 2, 2), tx(5n, 1)])).counted).toBe(1);
    expect(await coordination.processedCounts([5n, 7n, 9n])).toEqual([2, 2, 0]);
    // Progress and the transaction reached only move forward (an older batch of another writer in
    // a rebalance overlap).
    expect(await coordination.countEvents('t/0', 11n, 5n, [])).toEqual({
      counted: 0,
      previousProgress: 12n,
      refused: false,
    });
    // A writer that wrote progress 14 finds 12 (Redis lost writes): nothing is written.
    expect(await coordination.countEvents('t/0', 20n, null, [tx(9n, 1)], 14n)).toEqual({
      counted: 0,
      previousProgress: 12n,
      refused: true,
    });
    expect(await coordination.processedCounts([9n])).toEqual([0]);
    expect(await coordination.partitionProgress('t/0')).toBe(12n);
    expect(await coordination.readPositions('streaming')).toEqual(new Map([['t/0', 7n]]));
    expect(await coordination.readPositions('progress')).toEqual(
      new Map([
        ['t/0', 12n],
        ['t/1', 3n],
      ]),
    );
    await coordination.forgetProcessed([5n]);
    expect(await coordination.processedCounts([5n, 7n])).toEqual([0, 2]);
    expect(await redis.exists(new StoreKeys(prefix).seen(5n))).toBe(0);
  });

  it('does not count events of a transaction the published checkpoint covers', async () => {
    const prefixed = new RedisCoordination(redis, `${prefix}:covered`);
    expect(await prefixed.holdLease('a', 5000)).toBe('acquired');
    const covered = {
      lastOpId: '700',
      endOffset: '7',
      lsn: null,
      commitTimeMs: null,
      publishedAtMs: 1,
      writeCheckpoints: [],
    };
    expect(await prefixed.publishCheckpoint('a', covered)).toBe('published');
    const tx = (endOffset: bigint, checkpointOpId: bigint) => ({
      endOffset,
      checkpointOpId,
      totalOrders: [1],
    });
    // A replayed event of transaction 7 after its counts were forgotten must not bring them back.
    expect((await prefixed.countEvents('t/0', 1n, null, [tx(7n, 700n), tx(9n, 900n)])).counted).toBe(1);
    expect(await prefixed.processedCounts([7n, 9n])).toEqual([0, 1]);
  });

  it("records several transactions' write checkpoints in one batch and reads them back", async () => {
    // Each transaction's key has a slot of its own on a cluster: the batch splits per slot.
    const wc = (userId: string, n: string) => ({ userId, clientId: 'c', n });
    await coordination.recordTransactionWriteCheckpoints(
      new Map([
        [5n, [wc('a', '1'), wc('b/x', '2')]],
        [7n, []],
        [9n, [wc('a', '3')]],
        [11n, [wc('c', '4')]],
      ]),
    );
    expect(await coordination.transactionWriteCheckpoints([5n, 7n, 9n])).toEqual([
      wc('a', '1'),
      wc('b/x', '2'),
      wc('a', '3'),
    ]);
    expect(await coordination.transactionWriteCheckpoints([11n])).toEqual([wc('c', '4')]);
    expect(await coordination.transactionWriteCheckpoints([])).toEqual([]);
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
    expect(await coordination.holdLease('a', 2000)).toBe('acquired');
    expect(await coordination.holdLease('a', 2000)).toBe('renewed');
    expect(await coordination.holdLease('b', 2000)).toBe('held-by-other');
    expect(await coordination.publishCheckpoint('b', cp('5'))).toBe('not-leader');
    expect(await coordination.publishCheckpoint('a', cp('5'))).toBe('published');
    expect(await coordination.publishCheckpoint('a', cp('4'))).toBe('stale');
    await coordination.releaseLease('a');
    expect(await coordination.holdLease('b', 2000)).toBe('acquired');
    expect((await coordination.getCheckpoint())?.lastOpId).toBe('5');
    expect(await coordination.publishCheckpoint('b', cp('6'), cp('5'))).toBe('published');
    // Redis went back (restored): the holder saw 6 stored, Redis now holds 5.
    await redis.hset(new StoreKeys(prefix).checkpoint, 'op', '0000000000000005');
    expect(await coordination.publishCheckpoint('b', cp('7'), cp('6'))).toBe('regressed');
    expect((await coordination.getCheckpoint())?.lastOpId).toBe('6');
  });
});
