import type { TransactionBegin, TransactionEnd } from '@syncline/cdc';
import { TransactionTracker } from '../src/transaction-tracker';

const pos = (offset: number) => ({ topic: 'p.transaction', partition: 0, offset: BigInt(offset) });
const begin = (offset: number, xid: number, lsn: number): TransactionBegin => ({
  kind: 'begin',
  position: pos(offset),
  id: `${xid}:${lsn}`,
  xid: BigInt(xid),
  lsn: BigInt(lsn),
  tsMs: 1000 + offset,
});
const end = (
  offset: number,
  xid: number,
  lsn: number,
  counts: Record<string, number> = { 's.t': 1 },
): TransactionEnd => ({
  kind: 'end',
  position: pos(offset),
  id: `${xid}:${lsn}`,
  xid: BigInt(xid),
  lsn: BigInt(lsn),
  tsMs: 2000 + offset,
  eventCount: Object.values(counts).reduce((a, b) => a + b, 0),
  dataCollections: Object.entries(counts).map(([dataCollection, eventCount]) => ({
    dataCollection,
    eventCount,
  })),
});

describe('TransactionTracker', () => {
  it('finds the END offset of an event by xid and its LSN inside the BEGIN..END window', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 500, 100));
    expect(t.lookup(500n, 120n)).toEqual({ status: 'pending' });
    t.addEnd(end(1, 500, 200));
    const found = t.lookup(500n, 120n);
    expect(found.status).toBe('ended');
    expect(found.status === 'ended' && found.transaction.endOffset).toBe(1n);
    expect(t.lookup(501n, 120n)).toEqual({ status: 'unknown' });
  });

  it('tells apart two transactions with the same (wrapped) xid by their LSN windows', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 7, 100));
    t.addEnd(end(1, 7, 200));
    t.addBegin(begin(2, 7, 5000));
    t.addEnd(end(3, 7, 5100));
    const a = t.lookup(7n, 150n);
    const b = t.lookup(7n, 5050n);
    expect(a.status === 'ended' && a.transaction.endOffset).toBe(1n);
    expect(b.status === 'ended' && b.transaction.endOffset).toBe(3n);
  });

  it('says pending for an event of the newest xid use whose END is not read yet', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 7, 100));
    t.addEnd(end(1, 7, 200));
    t.addBegin(begin(2, 7, 5000));
    expect(t.lookup(7n, 5050n)).toEqual({ status: 'pending' });
  });

  it('matches events when reading started at the END (no BEGIN seen)', () => {
    const t = new TransactionTracker();
    t.addEnd(end(9, 42, 300));
    const found = t.lookup(42n, 250n);
    expect(found.status === 'ended' && found.transaction.endOffset).toBe(9n);
  });

  it('ignores a replayed BEGIN/END and keeps ENDs in offset order', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 1, 10));
    t.addEnd(end(1, 1, 20));
    t.addBegin(begin(0, 1, 10));
    t.addEnd(end(1, 1, 20));
    t.addBegin(begin(2, 2, 30));
    t.addEnd(end(3, 2, 40));
    expect(t.endsAfter(-1n, 10).map((x) => x.endOffset)).toEqual([1n, 3n]);
    expect(t.endsAfter(1n, 10).map((x) => x.endOffset)).toEqual([3n]);
    expect(t.previousEndOffset(3n)).toBe(1n);
    expect(t.previousEndOffset(1n)).toBeNull();
  });

  it('prunes transactions that ended before an offset', () => {
    const t = new TransactionTracker();
    for (let i = 0; i < 10; i++) {
      t.addBegin(begin(2 * i, 100 + i, 1000 * i + 1));
      t.addEnd(end(2 * i + 1, 100 + i, 1000 * i + 500));
    }
    t.prune(10n);
    expect(t.endCount).toBe(5);
    expect(t.lookup(101n, 1200n)).toEqual({ status: 'unknown' });
    const kept = t.lookup(105n, 5200n);
    expect(kept.status === 'ended' && kept.transaction.endOffset).toBe(11n);
  });
});
