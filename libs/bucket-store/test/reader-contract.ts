// The bucket reader contract: one suite, run against every implementation (in memory as a unit
// test, Redis as an integration test), so a reader's logic tested on the in-memory store holds on
// Redis. A fixture writes through the implementation's own write path.
import { addChecksums, MAX_OP_ID, type BucketOp, type WriteCheckpoint } from '@syncline/protocol';
import {
  planCompaction,
  type BucketReader,
  type Checkpoint,
  type CompactableOp,
  type CompactionCursor,
  type CompactionPlan,
  type LookupWrite,
} from '../src';

export interface ReaderFixture {
  readonly reader: BucketReader;
  addOps(ops: readonly BucketOp[]): Promise<number>;
  writeLookups(writes: readonly LookupWrite[]): Promise<void>;
  saveWriteCheckpoints(wcs: readonly WriteCheckpoint[], opId: bigint): Promise<void>;
  /** Publishes as the coordinator does: only forward. */
  publish(checkpoint: Checkpoint): Promise<'published' | 'stale'>;
  /** Compacts a bucket completely up to `safeOpId`, in steps, as the store's compactor does. */
  compact(bucket: string, safeOpId: bigint): Promise<void>;
  close(): Promise<void>;
}

/** Compacts one bucket completely up to `safeOpId` in small steps, through a store's read and apply. */
export async function compactFully(
  read: (upTo: bigint) => Promise<CompactableOp[]>,
  apply: (plan: CompactionPlan) => Promise<unknown>,
  safeOpId: bigint,
): Promise<void> {
  let cursor: CompactionCursor | undefined;
  do {
    const plan = planCompaction(await read(safeOpId), { safeOpId, limit: 3 }, cursor);
    await apply(plan);
    cursor = plan.next ?? undefined;
  } while (cursor !== undefined);
}

const checkpoint = (lastOpId: bigint): Checkpoint => ({
  lastOpId: lastOpId.toString(),
  endOffset: '1',
  lsn: '1',
  commitTimeMs: 1,
  publishedAtMs: 1,
  writeCheckpoints: [],
});

const put = (opId: bigint, id: string, checksum: number, bucket = 'b["x"]'): BucketOp => ({
  bucket,
  op: 'PUT',
  opId,
  objectType: 't',
  objectId: id,
  subkey: `s${id}`,
  data: `{"id":"${id}"}`,
  checksum,
});

/** Takes the first `n` items of an async iterable, then stops it. */
async function take<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const out: T[] = [];
  if (n === 0) return out;
  for await (const item of iterable) if (out.push(item) >= n) break;
  return out;
}

export function describeReaderContract(name: string, open: () => Promise<ReaderFixture>): void {
  describe(`the bucket reader contract: ${name}`, () => {
    let f: ReaderFixture;
    beforeEach(async () => {
      f = await open();
    });
    afterEach(async () => {
      await f.close();
    });

    it('adds an op and its checksum exactly once when the same op is written again', async () => {
      expect(await f.addOps([put(10n, '1', 0xffffffff), put(20n, '2', 5)])).toBe(2);
      expect(await f.addOps([put(10n, '1', 0xffffffff), put(20n, '2', 5)])).toBe(0);
      const [c] = await f.reader.checksumsAt(['b["x"]'], 100n);
      expect(c).toEqual({ bucket: 'b["x"]', checksum: addChecksums(0xffffffff, 5), count: 2 });
    });

    it('gives the checksum and count at a checkpoint below in-flight ops', async () => {
      await f.addOps([put(10n, '1', 100), put(20n, '2', 200), put(30n, '3', 300)]);
      const [at20, never] = await f.reader.checksumsAt(['b["x"]', 'never'], 20n);
      expect(at20).toEqual({ bucket: 'b["x"]', checksum: 300, count: 2 });
      expect(never).toEqual({ bucket: 'never', checksum: 0, count: 0 });
      const [at9] = await f.reader.checksumsAt(['b["x"]'], 9n);
      expect(at9).toMatchObject({ checksum: 0, count: 0 });
      expect(await f.reader.checksumsAt([], 20n)).toEqual([]);
    });

    it('serves a compacted bucket: MOVE and CLEAR with targets, the same checksums at and above the CLEAR', async () => {
      // Rows a, b, c; a and b updated twice, c never: ops 1..3 then 4 (a), 5 (b), 6 (a), 7 (b).
      await f.addOps([put(1n, 'a', 1), put(2n, 'b', 2), put(3n, 'c', 3), put(4n, 'a', 4)]);
      await f.addOps([put(5n, 'b', 5), put(6n, 'a', 6), put(7n, 'b', 7), put(9n, 'a', 9)]);
      const before = await f.reader.checksumsAt(['b["x"]'], 7n);
      await f.compact('b["x"]', 7n);
      const ops = await f.reader.opsBetween('b["x"]', 0n, 9n, 100);
      // 1 and 2 lead (superseded): one CLEAR at 2; c's PUT at 3 stays live and ends the run.
      expect(ops.map((o) => [o.op, o.opId, o.op === 'MOVE' || o.op === 'CLEAR' ? o.target : null])).toEqual([
        ['CLEAR', 2n, 7n],
        ['PUT', 3n, null],
        // 4 and 5 are packs of one MOVE each (a bucket this small): each keeps its own target.
        ['MOVE', 4n, 6n],
        ['MOVE', 5n, 7n],
        ['PUT', 6n, null],
        ['PUT', 7n, null],
        ['PUT', 9n, null],
      ]);
      expect(ops[0]).toMatchObject({ checksum: 3 });
      expect(await f.reader.checksumsAt(['b["x"]'], 7n)).toEqual(before);
      expect((await f.reader.checksumsAt(['b["x"]'], 9n))[0]).toMatchObject({ checksum: 37, count: 8 });
      // A range the CLEAR replaced yields the CLEAR (above it, so never completed there).
      expect((await f.reader.opsBetween('b["x"]', 0n, 1n, 100)).map((o) => [o.op, o.opId])).toEqual([
        ['CLEAR', 2n],
      ]);
      expect(await f.reader.opsBetween('b["x"]', 7n, 8n, 100)).toEqual([]);
    });

    it('serves a run of MOVEs stored as one pack op by op: any range, any limit, every checksum', async () => {
      // a, b live; x written at 2..5 and 7: 2..5 become MOVEs (one pack, target 7); 9 above the safe op id.
      const xs = [2n, 3n, 4n, 5n, 7n].map((n) => ({ ...put(n, 'x', Number(n) * 10) }));
      await f.addOps([put(1n, 'a', 1), ...xs.slice(0, 4), put(6n, 'b', 6), xs[4]!, put(9n, 'c', 9)]);
      const upTo = [...Array(11).keys()].map(BigInt);
      const before = await Promise.all(upTo.map((c) => f.reader.checksumsAt(['b["x"]'], c)));
      await f.compact('b["x"]', 7n);
      const show = (ops: CompactableOp[]): string[] =>
        ops.map((o) => `${o.op}${o.opId}${o.op === 'MOVE' ? `>${o.target}` : ''}`);
      expect(show(await f.reader.opsBetween('b["x"]', 0n, 9n, 100))).toEqual([
        'PUT1',
        'MOVE2>7',
        'MOVE3>7',
        'MOVE4>7',
        'MOVE5>7',
        'PUT6',
        'PUT7',
        'PUT9',
      ]);
      // Ranges that start or end inside the pack, and pages that end inside it.
      expect(show(await f.reader.opsBetween('b["x"]', 3n, 4n, 100))).toEqual(['MOVE4>7']);
      expect(show(await f.reader.opsBetween('b["x"]', 3n, 6n, 100))).toEqual(['MOVE4>7', 'MOVE5>7', 'PUT6']);
      expect(show(await f.reader.opsBetween('b["x"]', 2n, 9n, 2))).toEqual(['MOVE3>7', 'MOVE4>7']);
      expect(show(await f.reader.opsBetween('b["x"]', 0n, 3n, 100))).toEqual(['PUT1', 'MOVE2>7', 'MOVE3>7']);
      const after = await Promise.all(upTo.map((c) => f.reader.checksumsAt(['b["x"]'], c)));
      expect(after).toEqual(before);
      // Replaying an op the pack holds (a late writer) adds nothing; a new op is added.
      expect(await f.addOps([xs[1]!, put(6n, 'b', 6)])).toBe(0);
      expect(await f.addOps([put(10n, 'd', 10)])).toBe(1);
      expect((await f.reader.checksumsAt(['b["x"]'], 9n))[0]).toEqual(before[9]![0]);
    });

    it('orders op ids near 2^63 exactly and returns the ops in (after, upTo]', async () => {
      const top = MAX_OP_ID;
      await f.addOps([put(top, 'c', 1), put(top - 1n, 'b', 1), put(2n ** 53n + 1n, 'a', 1)]);
      const ops = await f.reader.opsBetween('b["x"]', 2n ** 53n, top, 100);
      expect(ops.map((o) => o.opId)).toEqual([2n ** 53n + 1n, top - 1n, top]);
      const middle = await f.reader.opsBetween('b["x"]', 2n ** 53n + 1n, top - 1n, 100);
      expect(middle.map((o) => ('objectId' in o ? o.objectId : o.op))).toEqual(['b']);
    });

    it('returns ops as written, in op-id order, at most `limit` of them', async () => {
      const remove: BucketOp = {
        bucket: 'b["x"]',
        op: 'REMOVE',
        opId: 7n,
        objectType: 'ty"pe',
        objectId: 'id\\1\n',
        subkey: 'sü',
        data: null,
        checksum: 9,
      };
      await f.addOps([put(8n, '2', 1), remove, put(9n, '3', 2)]);
      expect(await f.reader.opsBetween('b["x"]', 0n, 100n, 2)).toEqual([remove, put(8n, '2', 1)]);
      expect(await f.reader.opsBetween('b["x"]', 8n, 100n, 10)).toEqual([put(9n, '3', 2)]);
      expect(await f.reader.opsBetween('nothing', 0n, 100n, 10)).toEqual([]);
    });

    it('keeps two ops of one event in one bucket apart (same op id, other rows)', async () => {
      await f.addOps([
        { ...put(5n, 'a', 1), op: 'REMOVE', data: null },
        { ...put(5n, 'b', 2), subkey: 'sa' },
      ]);
      const ops = await f.reader.opsBetween('b["x"]', 4n, 5n, 10);
      expect(ops.map((o) => [o.op, 'objectId' in o ? o.objectId : null])).toEqual([
        ['REMOVE', 'a'],
        ['PUT', 'b'],
      ]);
      expect((await f.reader.checksumsAt(['b["x"]'], 5n))[0]).toMatchObject({ checksum: 3, count: 2 });
    });

    it('resolves parameter lookups as of a checkpoint', async () => {
      await f.writeLookups([
        { lookupKey: 'L', rowKey: 'r1', opId: 10n, parameters: '[{"g":1}]' },
        { lookupKey: 'L', rowKey: 'r2', opId: 15n, parameters: '[{"g":2}]' },
        { lookupKey: 'L', rowKey: 'r1', opId: 20n, parameters: null },
      ]);
      expect(await f.reader.lookupAt('L', 9n)).toEqual([]);
      expect(await f.reader.lookupAt('L', 12n)).toEqual([{ g: 1 }]);
      expect(await f.reader.lookupAt('L', 16n)).toEqual([{ g: 1 }, { g: 2 }]);
      expect(await f.reader.lookupAt('L', 25n)).toEqual([{ g: 2 }]);
      expect(await f.reader.lookupAt('other', 25n)).toEqual([]);
      // A 64-bit value (a bigint id) comes back exact: it names a bucket.
      await f.writeLookups([
        { lookupKey: 'B', rowKey: 'r3', opId: 30n, parameters: '[{"g":9007199254740993}]' },
      ]);
      expect(await f.reader.lookupAt('B', 30n)).toEqual([{ g: 9007199254740993n }]);
    });

    it('returns the write checkpoints of a user with the checkpoint that included them', async () => {
      expect(await f.reader.writeCheckpointsOf('u/1')).toEqual({});
      await f.saveWriteCheckpoints([{ userId: 'u/1', clientId: 'c1', n: '3' }], 40n);
      await f.saveWriteCheckpoints(
        [
          { userId: 'u/1', clientId: 'c1', n: '4' },
          { userId: 'u/1', clientId: 'c2', n: '1' },
          { userId: 'u2', clientId: 'c1', n: '9' },
        ],
        50n,
      );
      expect(await f.reader.writeCheckpointsOf('u/1')).toEqual({
        c1: { n: '4', opId: '50' },
        c2: { n: '1', opId: '50' },
      });
    });

    it("never moves a client's write checkpoint back (an older one covered again)", async () => {
      await f.saveWriteCheckpoints([{ userId: 'u', clientId: 'c', n: '9' }], 40n);
      await f.saveWriteCheckpoints([{ userId: 'u', clientId: 'c', n: '5' }], 50n);
      expect(await f.reader.writeCheckpointsOf('u')).toEqual({ c: { n: '9', opId: '40' } });
      await f.saveWriteCheckpoints([{ userId: 'u', clientId: 'c', n: '10' }], 60n);
      expect(await f.reader.writeCheckpointsOf('u')).toEqual({ c: { n: '10', opId: '60' } });
      await f.saveWriteCheckpoints([{ userId: 'u', clientId: 'c', n: '18446744073709551616' }], 70n);
      await f.saveWriteCheckpoints([{ userId: 'u', clientId: 'c', n: '99' }], 80n);
      expect((await f.reader.writeCheckpointsOf('u'))['c']).toEqual({
        n: '18446744073709551616',
        opId: '70',
      });
    });

    it('has no checkpoint before the first is published, then the newest', async () => {
      expect(await f.reader.currentCheckpoint()).toBeNull();
      expect(await f.publish(checkpoint(5n))).toBe('published');
      expect(await f.publish(checkpoint(4n))).toBe('stale');
      expect(await f.reader.currentCheckpoint()).toEqual(checkpoint(5n));
    });

    it('streams the current checkpoint, then each newer one as it is published', async () => {
      await f.publish(checkpoint(5n));
      const abort = new AbortController();
      const seen: bigint[] = [];
      const done = (async () => {
        for await (const c of f.reader.checkpoints(abort.signal)) {
          seen.push(BigInt(c.lastOpId));
          if (seen.length === 1) await f.publish(checkpoint(6n));
          if (seen.length === 2) abort.abort();
        }
      })();
      await done;
      expect(seen).toEqual([5n, 6n]);
    });

    it('waits for the first checkpoint when there is none yet', async () => {
      const abort = new AbortController();
      const first = take(f.reader.checkpoints(abort.signal), 1);
      await new Promise((r) => setTimeout(r, 50));
      await f.publish(checkpoint(7n));
      expect((await first).map((c) => c.lastOpId)).toEqual(['7']);
      abort.abort();
    });

    it('lets a slow subscriber skip to the newest checkpoint, never backwards', async () => {
      const abort = new AbortController();
      const iterator = f.reader.checkpoints(abort.signal)[Symbol.asyncIterator]();
      await f.publish(checkpoint(1n));
      expect((await iterator.next()).value).toEqual(checkpoint(1n));
      await f.publish(checkpoint(2n));
      await f.publish(checkpoint(3n));
      await new Promise((r) => setTimeout(r, 100)); // both reach the subscriber before it asks
      expect((await iterator.next()).value).toEqual(checkpoint(3n));
      abort.abort();
      expect((await iterator.next()).done).toBe(true);
    });

    it('ends a subscription when its signal aborts, with nothing published', async () => {
      const abort = new AbortController();
      const all = take(f.reader.checkpoints(abort.signal), 5);
      setTimeout(() => abort.abort(), 50);
      expect(await all).toEqual([]);
    });
  });
}
