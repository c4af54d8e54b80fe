import type { TransactionBegin, TransactionEnd } from '@syncline/cdc';
import { TransactionRewindError, TransactionTracker } from '../src/transaction-tracker';

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

  it('ignores records below its position, so a reader restarted at offset 0 cannot unsort its ENDs', () => {
    const t = new TransactionTracker();
    for (let i = 0; i < 6; i++) {
      t.addBegin(begin(2 * i, 100 + i, 1000 * i + 1));
      t.addEnd(end(2 * i + 1, 100 + i, 1000 * i + 500));
    }
    t.prune(6n);
    // A group rejoin restarts the never-committing consumer at the beginning of the topic.
    for (let i = 0; i < 6; i++) {
      expect(t.addBegin(begin(2 * i, 100 + i, 1000 * i + 1))).toBe('behind-position');
      expect(t.addEnd(end(2 * i + 1, 100 + i, 1000 * i + 500))).toBe('behind-position');
    }
    expect(t.endsAfter(-1n, 10).map((x) => x.endOffset)).toEqual([7n, 9n, 11n]);
    expect(t.lookup(101n, 1200n)).toEqual({ status: 'unknown' });
  });
});

describe('TransactionTracker: the first transaction after a full snapshot taken while streaming', () => {
  it('is the first END committed after the snapshot LSN, unknown before it is read, covered after', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 10, 100));
    t.addEnd(end(1, 10, 150));
    expect(t.firstEndAfter(200n)).toEqual({ status: 'unknown' });
    t.addBegin(begin(2, 11, 210));
    expect(t.firstEndAfter(200n)).toEqual({ status: 'unknown' }); // BEGIN only
    t.addEnd(end(3, 11, 250));
    t.addBegin(begin(4, 12, 260));
    t.addEnd(end(5, 12, 300));
    const found = t.firstEndAfter(200n);
    expect(found.status === 'ended' && found.transaction.endOffset).toBe(3n);
    const exact = t.firstEndAfter(250n); // committed AT the LSN: not after it
    expect(exact.status === 'ended' && exact.transaction.endOffset).toBe(5n);
    t.cover(250n);
    expect(t.firstEndAfter(200n)).toEqual({ status: 'covered' });
    expect(t.firstEndAfter(250n).status).toBe('ended');
  });
});

describe('TransactionTracker: what a truncate waits for', () => {
  it('is the END before it, or nothing once every earlier transaction is covered; a cut-off BEGIN is skipped', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 10, 100));
    t.addEnd(end(1, 10, 150));
    // The connector stopped inside transaction 11 (its BEGIN only), and its slot was lost.
    t.addBegin(begin(2, 11, 160));
    expect(t.lookup(11n, 170n)).toEqual({ status: 'pending' });
    t.addBegin(begin(3, 12, 900));
    t.addEnd(end(4, 12, 950));
    // A later transaction ended: 11's END never comes, its events are skipped.
    expect(t.lookup(11n, 170n)).toEqual({ status: 'covered' });
    expect(t.truncateBarrier(4n)).toBe(1n);
    // The checkpoint covers transaction 10 and the tracker forgot it: the truncate in 12 waits for
    // nothing. Its BEGIN offset minus one (2, the cut-off BEGIN) no checkpoint would ever reach.
    t.cover(150n);
    t.prune(2n);
    expect(t.truncateBarrier(4n)).toBe(-1n);
  });
});

describe('TransactionTracker with at-least-once delivery (identity is xid and commit LSN)', () => {
  it('maps a re-sent transaction (new BEGIN/END offsets) to its first END, which alone is checkpointed', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 500, 100));
    t.addEnd(end(1, 500, 200));
    t.addBegin(begin(2, 501, 300));
    t.addEnd(end(3, 501, 400));
    // Connect restarted from an older offset: both re-sent after newer records.
    expect(t.addBegin(begin(4, 500, 100))).toBe('duplicate');
    expect(t.addEnd(end(5, 500, 200))).toBe('duplicate');
    expect(t.addBegin(begin(6, 501, 300))).toBe('duplicate');
    expect(t.addEnd(end(7, 501, 400))).toBe('duplicate');
    t.addBegin(begin(8, 502, 500));
    t.addEnd(end(9, 502, 600));
    const first = t.lookup(500n, 150n);
    expect(first.status === 'ended' && first.transaction.endOffset).toBe(1n);
    const second = t.lookup(501n, 350n);
    expect(second.status === 'ended' && second.transaction.endOffset).toBe(3n);
    expect(t.endsAfter(-1n, 10).map((x) => x.endOffset)).toEqual([1n, 3n, 9n]);
    expect(t.previousEndOffset(9n)).toBe(3n);
    expect(t.redeliveries).toBe(4);
  });

  it('does not wait on a duplicated END (a producer retry stored it twice)', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 500, 100));
    t.addEnd(end(1, 500, 200));
    expect(t.addEnd(end(2, 500, 200))).toBe('duplicate');
    t.addBegin(begin(3, 501, 300));
    t.addEnd(end(4, 501, 400));
    expect(t.endsAfter(1n, 10).map((x) => x.endOffset)).toEqual([4n]);
  });

  it('marks a re-sent transaction the checkpoint already covers as covered, and never lists it', () => {
    const t = new TransactionTracker();
    t.cover(200n); // the checkpoint covers commit LSN 200; the reader starts after it
    t.addBegin(begin(10, 501, 300));
    t.addEnd(end(11, 501, 400));
    // Re-delivery of xid 500 (commit 200), read for the first time by this reader.
    t.addBegin(begin(12, 500, 100));
    expect(t.lookup(500n, 150n)).toEqual({ status: 'pending' });
    expect(t.addEnd(end(13, 500, 200))).toBe('covered');
    expect(t.lookup(500n, 150n)).toEqual({ status: 'covered' });
    expect(t.endsAfter(-1n, 10).map((x) => x.endOffset)).toEqual([11n]);
    t.prune(14n);
    expect(t.lookup(500n, 150n)).toEqual({ status: 'unknown' });
  });

  it('knows an event of a covered transaction from the commit LSN before it (no BEGIN/END re-sent)', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 500, 100));
    t.addEnd(end(1, 500, 200));
    t.addBegin(begin(2, 501, 300));
    t.addEnd(end(3, 501, 400));
    t.prune(4n); // both checkpointed and forgotten: commit LSN 400 is covered
    expect(t.lookup(500n, 150n, null)).toEqual({ status: 'unknown' });
    // source.sequence[0] is the commit LSN of the transaction before the event's own.
    expect(t.lookup(501n, 350n, 200n)).toEqual({ status: 'covered' });
    // The next transaction follows commit 400, the covered one: it is new, it waits for its END.
    expect(t.lookup(502n, 450n, 400n)).toEqual({ status: 'unknown' });
  });

  it('halts on an END that goes back in commit order and matches nothing read (a rewind)', () => {
    const t = new TransactionTracker();
    t.cover(100n);
    t.addBegin(begin(0, 500, 150));
    t.addEnd(end(1, 500, 200));
    t.addBegin(begin(2, 501, 300));
    t.addEnd(end(3, 501, 400));
    expect(() => t.addEnd(end(4, 777, 350))).toThrow(TransactionRewindError);
    expect(() => t.addEnd(end(5, 777, 350))).toThrow(/went back.*commit LSN 350/);
  });

  it('keeps an END read without its BEGIN when the BEGIN is re-sent later', () => {
    const t = new TransactionTracker();
    t.addEnd(end(5, 42, 300));
    expect(t.addBegin(begin(6, 42, 250))).toBe('duplicate');
    const found = t.lookup(42n, 260n);
    expect(found.status === 'ended' && found.transaction.endOffset).toBe(5n);
  });

  it("says when an event's transaction ended before the window (its END will never be read)", () => {
    const t = new TransactionTracker();
    t.cover(100n); // the checkpoint covers commit 100
    // A rewind without txlow: the reader starts at an END committing at 400.
    t.addBegin(begin(20, 510, 350));
    t.addEnd(end(21, 510, 400));
    // An event of the transaction after commit 200 (not covered): it committed before 400.
    expect(t.lookup(505n, 250n, 200n)).toEqual({ status: 'unknown' });
    expect(t.endsBeforeWindow(200n)).toBe(true);
    // The transaction after commit 400 is in the window (its END is still to come).
    expect(t.endsBeforeWindow(400n)).toBe(false);
    // Covered transactions are skipped instead; an unknown predecessor decides nothing.
    expect(t.endsBeforeWindow(50n)).toBe(false);
    expect(t.endsBeforeWindow(null)).toBe(false);
  });

  it('finds the transaction that closed a snapshot window by its BEGIN LSN, until pruned', () => {
    const t = new TransactionTracker();
    t.addBegin(begin(0, 500, 100));
    t.addEnd(end(1, 500, 150));
    t.addBegin(begin(2, 501, 180));
    expect(t.lookupWindow(180n)).toEqual({ status: 'pending' });
    expect(t.lookupWindow(181n)).toEqual({ status: 'unknown' });
    t.addEnd(end(3, 501, 220, { 's.debezium_signal': 1 }));
    const found = t.lookupWindow(180n);
    expect(found.status === 'ended' && found.transaction.endOffset).toBe(3n);
    // Re-delivered after a checkpoint covered it (a Connect restart): its rows are covered too.
    t.cover(220n);
    t.prune(4n);
    expect(t.lookupWindow(180n)).toEqual({ status: 'unknown' });
    expect(t.coveredCommitLsn).toBe(220n);
    t.addBegin(begin(4, 501, 180));
    t.addEnd(end(5, 501, 220, { 's.debezium_signal': 1 }));
    expect(t.lookupWindow(180n)).toEqual({ status: 'covered' });
  });
});
