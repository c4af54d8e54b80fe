// What every evaluator knows about transactions: BEGIN/END records of the one-partition
// transaction topic, grouped by xid and matched to data events by the BEGIN..END LSN window
// (xids wrap). Pure: fed records, answers lookups; the reader loop lives in transaction-reader.ts.
import type { TransactionBegin, TransactionEnd } from '@syncline/cdc';

export interface TrackedTransaction {
  readonly xid: bigint;
  /** Null when reading started after this transaction's BEGIN. */
  readonly beginLsn: bigint | null;
  readonly beginOffset: bigint | null;
  endLsn: bigint | null;
  endOffset: bigint | null;
  commitTimeMs: number | null;
  /** Per data collection (normalised names), from END. */
  counts: ReadonlyMap<string, number> | null;
}

export type TransactionLookup =
  | {
      readonly status: 'ended';
      readonly transaction: TrackedTransaction & { endOffset: bigint; endLsn: bigint };
    }
  | { readonly status: 'pending' }
  | { readonly status: 'unknown' };

export class TransactionTracker {
  private readonly byXid = new Map<bigint, TrackedTransaction[]>();
  /** ENDs in offset order (the transaction topic has one partition). */
  private readonly ends: TrackedTransaction[] = [];
  private endsStart = 0;
  /** Next transaction-topic offset to read. */
  position = 0n;

  addBegin(begin: TransactionBegin): void {
    this.position = begin.position.offset + 1n;
    const list = this.byXid.get(begin.xid) ?? [];
    // A replayed BEGIN (reader restarted) must not duplicate the entry.
    if (list.some((t) => t.beginOffset === begin.position.offset)) return;
    list.push({
      xid: begin.xid,
      beginLsn: begin.lsn,
      beginOffset: begin.position.offset,
      endLsn: null,
      endOffset: null,
      commitTimeMs: null,
      counts: null,
    });
    this.byXid.set(begin.xid, list);
  }

  addEnd(end: TransactionEnd): void {
    this.position = end.position.offset + 1n;
    const list = this.byXid.get(end.xid) ?? [];
    if (list.some((t) => t.endOffset === end.position.offset)) return;
    let tx = [...list]
      .reverse()
      .find((t) => t.endOffset === null && (t.beginLsn === null || t.beginLsn <= end.lsn));
    if (tx === undefined) {
      tx = {
        xid: end.xid,
        beginLsn: null,
        beginOffset: null,
        endLsn: null,
        endOffset: null,
        commitTimeMs: null,
        counts: null,
      };
      list.push(tx);
      this.byXid.set(end.xid, list);
    }
    tx.endLsn = end.lsn;
    tx.endOffset = end.position.offset;
    tx.commitTimeMs = end.tsMs;
    tx.counts = new Map(end.dataCollections.map((c) => [c.dataCollection, c.eventCount]));
    this.ends.push(tx);
  }

  /** The transaction of a data event (its xid and own LSN). */
  lookup(xid: bigint, lsn: bigint): TransactionLookup {
    const list = this.byXid.get(xid);
    if (list === undefined) return { status: 'unknown' };
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.beginLsn !== null && lsn < t.beginLsn) continue;
      if (t.endLsn === null || t.endOffset === null)
        return t.beginLsn === null ? { status: 'unknown' } : { status: 'pending' };
      if (lsn <= t.endLsn)
        return {
          status: 'ended',
          transaction: t as TrackedTransaction & { endOffset: bigint; endLsn: bigint },
        };
    }
    return { status: 'unknown' };
  }

  /** ENDs with endOffset > `after`, in offset order, at most `limit`. */
  endsAfter(after: bigint, limit: number): TrackedTransaction[] {
    const out: TrackedTransaction[] = [];
    for (let i = this.searchEnd(after); i < this.ends.length && out.length < limit; i++)
      out.push(this.ends[i]!);
    return out;
  }

  /** The END offset of the transaction just before the one whose END is at `endOffset`, or null. */
  previousEndOffset(endOffset: bigint): bigint | null {
    const i = this.searchEnd(endOffset - 1n) - 1;
    return i >= this.endsStart ? this.ends[i]!.endOffset : null;
  }

  get endCount(): number {
    return this.ends.length - this.endsStart;
  }

  get lastEndOffset(): bigint | null {
    return this.ends.length > this.endsStart ? this.ends[this.ends.length - 1]!.endOffset : null;
  }

  /** Forgets transactions that ended before `offset` (no event of theirs can still be processed). */
  prune(offset: bigint): void {
    while (this.endsStart < this.ends.length && this.ends[this.endsStart]!.endOffset! < offset) {
      const t = this.ends[this.endsStart]!;
      const list = this.byXid.get(t.xid);
      if (list !== undefined) {
        const rest = list.filter((x) => x !== t);
        if (rest.length === 0) this.byXid.delete(t.xid);
        else this.byXid.set(t.xid, rest);
      }
      this.endsStart++;
    }
    if (this.endsStart > 4096 && this.endsStart * 2 > this.ends.length) {
      this.ends.splice(0, this.endsStart);
      this.endsStart = 0;
    }
  }

  /** Index of the first END with endOffset > after. */
  private searchEnd(after: bigint): number {
    let lo = this.endsStart;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]!.endOffset! > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
