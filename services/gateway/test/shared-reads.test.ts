// Work shared across connections: the same page is read and serialized once for every connection
// asking for it, checksums asked for in one turn go to the store in one call, and the page cache
// keeps to its byte budget.
import { MemoryBucketStore, type CompactableOp } from '@syncline/bucket-store';
import type { BucketOp } from '@syncline/protocol';
import { SharedReads } from '../src/shared-reads';
import { putOp } from './put-op';

const op = (bucket: string, opId: bigint, id: string): BucketOp => putOp(bucket, opId, id);

/** A store that counts the reads reaching it. */
class CountingStore extends MemoryBucketStore {
  opsReads = 0;
  checksumCalls: string[][] = [];
  override opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<CompactableOp[]> {
    this.opsReads++;
    return super.opsBetween(bucket, after, upTo, limit);
  }
  override checksumsAt(buckets: readonly string[], checkpoint: bigint) {
    this.checksumCalls.push([...buckets]);
    return super.checksumsAt(buckets, checkpoint);
  }
}

async function storeWith(ops: BucketOp[]): Promise<CountingStore> {
  const s = new CountingStore();
  await s.addOps(ops);
  return s;
}

describe('SharedReads', () => {
  it('reads and serializes a page once for every connection that needs it', async () => {
    const s = await storeWith([op('b[]', 1n, 'a'), op('b[]', 2n, 'b'), op('b[]', 3n, 'c')]);
    const reads = new SharedReads(s, { pageOps: 2, pageBytes: 1 << 20, pageCacheBytes: 1 << 20 });
    const [p1, p2] = await Promise.all([reads.dataPage('b[]', 0n, 3n), reads.dataPage('b[]', 0n, 3n)]);
    expect(p1).toBe(p2);
    expect(s.opsReads).toBe(1);
    expect(await reads.dataPage('b[]', 0n, 3n)).toBe(p1); // kept for a later connection
    expect(s.opsReads).toBe(1);
    const line = JSON.parse(p1!.text) as { data: Record<string, unknown> };
    expect(line.data).toMatchObject({ bucket: 'b[]', after: '0', next_after: '1', has_more: true });
    expect(line.data.data).toHaveLength(1);
    expect(p1!.text.endsWith('\n')).toBe(true);
    expect(p1).toMatchObject({ ops: 1, last: 1n, next: 1n, bytes: Buffer.byteLength(p1!.text) });
    const rest = await reads.dataPage('b[]', 2n, 3n);
    expect(JSON.parse(rest!.text).data).toMatchObject({ next_after: '3', has_more: false });
    expect(rest!.next).toBeNull();
    expect(await reads.dataPage('b[]', 3n, 3n)).toBeNull();
  });

  it('keeps no more serialized pages than its byte budget, and none with a budget of 0', async () => {
    const ops = Array.from({ length: 20 }, (_, i) => op('b[]', BigInt(i + 1), `row${i}`));
    const s = await storeWith(ops);
    const one = (await new SharedReads(s, {
      pageOps: 1,
      pageBytes: 1 << 20,
      pageCacheBytes: 1 << 20,
    }).dataPage('b[]', 0n, 20n))!;
    const reads = new SharedReads(s, { pageOps: 1, pageBytes: 1 << 20, pageCacheBytes: one.bytes * 3 });
    s.opsReads = 0;
    // With one op per page, readPage reads twice per page (the op id may go on past the limit).
    for (let after = 0n; after < 20n; after++) await reads.dataPage('b[]', after, 20n);
    expect(s.opsReads).toBe(40);
    await reads.dataPage('b[]', 18n, 20n); // among the last three: kept
    expect(s.opsReads).toBe(40);
    await reads.dataPage('b[]', 0n, 20n); // evicted: read again
    expect(s.opsReads).toBe(42);
    const none = new SharedReads(s, { pageOps: 1, pageBytes: 1 << 20, pageCacheBytes: 0 });
    await none.dataPage('b[]', 0n, 20n);
    await none.dataPage('b[]', 0n, 20n);
    expect(s.opsReads).toBe(46);
  });

  it('reads the checksums many connections ask for in one turn with one call', async () => {
    const s = await storeWith([op('u1[]', 1n, 'a'), op('u2[]', 2n, 'b'), op('shared[]', 3n, 'c')]);
    const reads = new SharedReads(s, { pageOps: 10, pageBytes: 1 << 20, pageCacheBytes: 1 << 20 });
    const [a, b] = await Promise.all([
      reads.checksumsAt(['shared[]', 'u1[]'], 3n),
      reads.checksumsAt(['shared[]', 'u2[]'], 3n),
    ]);
    expect(s.checksumCalls).toEqual([['shared[]', 'u1[]', 'u2[]']]);
    expect(a.map((c) => c.count)).toEqual([1, 1]);
    expect(b.map((c) => c.bucket)).toEqual(['shared[]', 'u2[]']);
    await reads.checksumsAt(['u1[]'], 3n); // cached
    expect(s.checksumCalls).toHaveLength(1);
  });
});
