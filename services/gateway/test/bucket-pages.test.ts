// Pages of bucket ops end at op-id boundaries: several ops of one op id (a REMOVE and a PUT of one
// event; the rows of an incremental snapshot window) are never split across pages.
import { MemoryBucketStore } from '@syncline/bucket-store';
import type { BucketOp } from '@syncline/protocol';
import { cutAtBytes, readPage } from '../src/bucket-pages';
import { putOp } from './put-op';

const op = (opId: bigint, id: string, data?: string): BucketOp => putOp('b[]', opId, id, data);

async function store(ops: BucketOp[]): Promise<MemoryBucketStore> {
  const s = new MemoryBucketStore();
  await s.addOps(ops);
  return s;
}

async function allPages(s: MemoryBucketStore, pageOps: number, pageBytes: number, upTo = 100n) {
  const pages: bigint[][] = [];
  let after = 0n;
  for (;;) {
    const page = await readPage(s, 'b[]', after, upTo, pageOps, pageBytes);
    if (page.ops.length > 0) pages.push(page.ops.map((o) => o.opId));
    if (page.next === null) return pages;
    after = page.next;
  }
}

describe('readPage', () => {
  it('never ends a page inside an op id, and loses nothing', async () => {
    const s = await store([op(1n, 'a'), op(2n, 'b'), op(2n, 'c'), op(2n, 'd'), op(3n, 'e'), op(4n, 'f')]);
    const pages = await allPages(s, 2, 1 << 20);
    expect(pages).toEqual([[1n], [2n, 2n, 2n], [3n], [4n]]);
  });

  it('reads all of one op id even past the op limit (a snapshot window)', async () => {
    const window = Array.from({ length: 7 }, (_, i) => op(5n, `w${i}`));
    const s = await store([...window, op(6n, 'z')]);
    const pages = await allPages(s, 3, 1 << 20);
    expect(pages).toEqual([[5n, 5n, 5n, 5n, 5n, 5n, 5n], [6n]]);
  });

  it('stops at the checkpoint', async () => {
    const s = await store([op(1n, 'a'), op(2n, 'b'), op(9n, 'c')]);
    expect(await allPages(s, 10, 1 << 20, 5n)).toEqual([[1n, 2n]]);
  });
});

describe('cutAtBytes', () => {
  it('cuts at the last op-id boundary within the limit, keeping at least one op id', () => {
    const big = 'x'.repeat(400);
    const ops = [op(1n, 'a', big), op(2n, 'b', big), op(2n, 'c', big), op(3n, 'd', big)];
    expect(cutAtBytes(ops, 1200).map((o) => o.opId)).toEqual([1n]);
    expect(cutAtBytes(ops, 1700).map((o) => o.opId)).toEqual([1n, 2n, 2n]);
    expect(cutAtBytes(ops, 10).map((o) => o.opId)).toEqual([1n]);
    expect(cutAtBytes(ops.slice(1), 10).map((o) => o.opId)).toEqual([2n, 2n]);
  });
});
