// What every evaluator knows about transactions: BEGIN/END records of the one-partition
// transaction topic, grouped by xid and matched to data events by the BEGIN..END LSN window
// (xids wrap). A transaction's identity is its xid and commit LSN (END's LSN), never a Kafka
// offset: Debezium re-sends transactions after an unclean Connect stop with new BEGIN/END records,
// and the first END read stays the canonical one. Pure: fed records, answers lookups; the reader
// loop lives in transaction-reader.ts.
import type { TransactionBegin, TransactionEnd } from '@syncline/cdc';
import { SynclineError } from '@syncline/errors';

export interface TrackedTransaction {
  readonly xid: bigint;
  /** Null when reading started after this transaction's BEGIN. */
  readonly beginLsn: bigint | null;
  readonly beginOffset: bigint | null;
  endLsn: bigint | null;
  endOffset: bigint | null;
  commitTimeMs: number | null;
  /** When the END reached Kafka (its record timestamp) and when this instance read it, if known. */
  endInKafkaMs: number | null;
  endReadMs: number | null;
  /** When the leader's coordinator first found all its events processed (its step's count). */
  completeSeenMs: number | null;
  /** Per data collection (normalised names), from END. */
  counts: ReadonlyMap<string, number> | null;
  /** A re-delivery of a transaction a published checkpoint already covers: its events are skipped. */
  covered: boolean;
}

export type EndedTransaction = TrackedTransaction & { endOffset: bigint; endLsn: bigint };

/** When an END record reached Kafka (null when the record has no timestamp) and was read. */
export interface EndArrival {
  readonly inKafkaMs: number | null;
  readonly readMs: number;
}

export type TransactionLookup =
  | { readonly status: 'ended'; readonly transaction: EndedTransaction }
  /** The event belongs to a transaction a published checkpoint covers (a re-delivery). */
  | { readonly status: 'covered' }
  | { readonly status: 'pending' }
  | { readonly status: 'unknown' };

/** What a transaction-topic record did to the tracker. */
export type TrackOutcome = 'added' | 'duplicate' | 'covered' | 'behind-position';

/** An event's transaction ended before the reader's window: its END will never be read (fatal; SYNC_E407). */
export class TransactionOutsideWindowError extends SynclineError {
  override readonly name = 'TransactionOutsideWindowError';
  readonly code = 'SYNC_E407';
}

/** The transaction topic went back in commit order (fatal; SYNC_E404). */
export class TransactionRewindError extends SynclineError {
  override readonly name = 'TransactionRewindError';
  readonly code = 'SYNC_E404';
}

export class TransactionTracker {
  private readonly byXid = new Map<bigint, TrackedTransaction[]>();
  /** Transactions by the LSN of their BEGIN (their first event's LSN): snapshot windows close there. */
  private readonly byBeginLsn = new Map<bigint, TrackedTransaction>();
  /** Canonical ENDs in offset order (the transaction topic has one partition). */
  private readonly ends: TrackedTransaction[] = [];
  private endsStart = 0;
  /** Covered re-deliveries in offset order, kept only to match their events until pruned. */
  private covered: TrackedTransaction[] = [];
  /** Next transaction-topic offset to read: records below it were applied before. */
  position = 0n;
  /** Highest commit LSN read. */
  private highestEndLsn = -1n;
  /** Every transaction with a commit LSN at or below this is covered by a published checkpoint. */
  private coveredLsn = -1n;
  /** Commit LSN of the first END read (the reader's window starts there). */
  private firstEndLsn: bigint | null = null;
  /** Re-delivered BEGIN/END records seen (for metrics and logs). */
  redeliveries = 0;

  /** Marks commit LSNs up to `lsn` as covered by a published checkpoint (only moves forward). */
  cover(lsn: bigint | null): void {
    if (lsn === null || lsn <= this.coveredLsn) return;
    this.coveredLsn = lsn;
    if (lsn > this.highestEndLsn) this.highestEndLsn = lsn;
  }

  addBegin(begin: TransactionBegin): TrackOutcome {
    if (begin.position.offset < this.position) return 'behind-position';
    this.position = begin.position.offset + 1n;
    const list = this.byXid.get(begin.xid) ?? [];
    // A re-delivered BEGIN (same xid and LSN; or the transaction was first read from its END).
    const known = list.some(
      (t) => t.beginLsn === begin.lsn || (t.beginLsn === null && t.endLsn !== null && begin.lsn <= t.endLsn),
    );
    if (known) {
      this.redeliveries++;
      return 'duplicate';
    }
    const tx = entry(begin.xid, begin.lsn, begin.position.offset);
    list.push(tx);
    this.byXid.set(begin.xid, list);
    this.byBeginLsn.set(begin.lsn, tx);
    return 'added';
  }

  /**
   * Records an END. The first END of (xid, commit LSN) is canonical; a later one is a duplicate.
   * An END at or below the covered LSN matching nothing is a re-delivery of a covered transaction;
   * one above it but not above the highest commit LSN read is a rewind (TransactionRewindError).
   */
  addEnd(end: TransactionEnd, arrival: EndArrival | null = null): TrackOutcome {
    if (end.position.offset < this.position) return 'behind-position';
    this.position = end.position.offset + 1n;
    const list = this.byXid.get(end.xid) ?? [];
    if (list.some((t) => t.endLsn === end.lsn)) {
      this.redeliveries++;
      return 'duplicate';
    }
    const isCovered = end.lsn <= this.coveredLsn;
    if (!isCovered && end.lsn <= this.highestEndLsn)
      throw new TransactionRewindError(
        `transaction topic went back: END of xid ${end.xid} at offset ${end.position.offset} has commit LSN ` +
          `${end.lsn}, at or below the highest read (${this.highestEndLsn}), and matches no transaction read`,
      );
    let tx = [...list]
      .reverse()
      .find((t) => t.endOffset === null && t.beginLsn !== null && t.beginLsn <= end.lsn);
    if (tx === undefined) {
      tx = entry(end.xid, null, null);
      list.push(tx);
      this.byXid.set(end.xid, list);
    }
    tx.endLsn = end.lsn;
    tx.endOffset = end.position.offset;
    tx.commitTimeMs = end.tsMs;
    tx.endInKafkaMs = arrival?.inKafkaMs ?? null;
    tx.endReadMs = arrival?.readMs ?? null;
    tx.counts = new Map(end.dataCollections.map((c) => [c.dataCollection, c.eventCount]));
    if (isCovered) {
      tx.covered = true;
      this.covered.push(tx);
      this.redeliveries++;
      return 'covered';
    }
    this.highestEndLsn = end.lsn;
    this.firstEndLsn ??= end.lsn;
    this.ends.push(tx);
    return 'added';
  }

  /**
   * The transaction of a data event (its xid and own LSN). `lastCommitLsn` is the first element of
   * the event's `source.sequence`: the commit LSN of the transaction before it, so an event whose
   * predecessor is below the covered LSN belongs to a covered transaction even when its own BEGIN
   * and END were not re-sent (a producer retry) or were pruned.
   */
  lookup(xid: bigint, lsn: bigint, lastCommitLsn: bigint | null = null): TransactionLookup {
    const found = this.find(xid, lsn);
    if (found.status === 'ended' || found.status === 'covered') return found;
    if (lastCommitLsn !== null && lastCommitLsn < this.coveredLsn) return { status: 'covered' };
    return found;
  }

  /**
   * True when a not-covered event whose transaction follows commit `lastCommitLsn` cannot be in
   * the window: the first END read commits after that commit, and the event's own transaction is
   * the next commit after it, so its END lies before the reader's start and will never be read.
   * Ask only after the event's lookup failed with the reader caught up.
   */
  endsBeforeWindow(lastCommitLsn: bigint | null): boolean {
    return (
      lastCommitLsn !== null &&
      lastCommitLsn >= this.coveredLsn &&
      this.firstEndLsn !== null &&
      lastCommitLsn < this.firstEndLsn
    );
  }

  /**
   * The transaction that closed an incremental snapshot window: Debezium emits a chunk's rows when
   * it decodes the close-watermark insert into its signal table, and gives them that insert's LSN
   * as `source.sequence`; the insert is the first (only) event of its transaction, whose BEGIN has
   * the same LSN. 'unknown' until that BEGIN is read, and after the transaction was pruned: compare with
   * `coveredCommitLsn` once the reader has caught up.
   */
  lookupWindow(lsn: bigint): TransactionLookup {
    const t = this.byBeginLsn.get(lsn);
    if (t === undefined) return { status: 'unknown' };
    if (t.endLsn === null || t.endOffset === null) return this.openStatus(t);
    return t.covered ? { status: 'covered' } : { status: 'ended', transaction: t as EndedTransaction };
  }

  /**
   * The first transaction committed after `lsn`: where the rows of a full snapshot read at `lsn`
   * after streaming began are placed (docs/consistency.md §3.2). 'covered' when a published
   * checkpoint covers a commit after `lsn` (so it covers that transaction); 'unknown' until an END
   * after `lsn` is read.
   */
  firstEndAfter(lsn: bigint): TransactionLookup {
    if (this.coveredLsn > lsn) return { status: 'covered' };
    let lo = this.endsStart;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]!.endLsn! > lsn) hi = mid;
      else lo = mid + 1;
    }
    const t = this.ends[lo];
    return t === undefined ? { status: 'unknown' } : { status: 'ended', transaction: t as EndedTransaction };
  }

  /** Highest commit LSN a published checkpoint covers (-1 before the first). */
  get coveredCommitLsn(): bigint {
    return this.coveredLsn;
  }

  private find(xid: bigint, lsn: bigint): TransactionLookup {
    const list = this.byXid.get(xid);
    if (list === undefined) return { status: 'unknown' };
    for (let i = list.length - 1; i >= 0; i--) {
      const t = list[i]!;
      if (t.beginLsn !== null && lsn < t.beginLsn) continue;
      if (t.endLsn === null || t.endOffset === null)
        return t.beginLsn === null ? { status: 'unknown' } : this.openStatus(t);
      if (lsn <= t.endLsn)
        return t.covered ? { status: 'covered' } : { status: 'ended', transaction: t as EndedTransaction };
    }
    return { status: 'unknown' };
  }

  /**
   * A transaction whose BEGIN was read and whose END was not: 'pending', or 'covered' once it is
   * cut off. Debezium streams committed transactions one after another and re-sends a cut-off one
   * (a connector stopped inside it) whole before any later one; so when a later transaction's END
   * was read, this one's END will never come: its slot was lost, and a second full snapshot holds
   * its effects (docs/consistency.md §3.2). Its events are skipped like a covered transaction's.
   */
  private openStatus(t: TrackedTransaction): TransactionLookup {
    return t.beginOffset !== null && (this.lastEndOffset ?? -1n) > t.beginOffset
      ? { status: 'covered' }
      : { status: 'pending' };
  }

  /** Canonical ENDs with endOffset > `after`, in offset order, at most `limit`. */
  endsAfter(after: bigint, limit: number): TrackedTransaction[] {
    const out: TrackedTransaction[] = [];
    for (let i = this.searchEnd(after); i < this.ends.length && out.length < limit; i++)
      out.push(this.ends[i]!);
    return out;
  }

  /**
   * The END offset a checkpoint must cover before a truncate in the transaction whose END is at
   * `endOffset` may run: the transaction before it, or -1 when every earlier transaction is
   * covered (pruned ENDs and ENDs read at or below the covered LSN are). Not that transaction's
   * BEGIN offset: a cut-off transaction's BEGIN may lie between it and the covered END.
   */
  truncateBarrier(endOffset: bigint): bigint {
    return this.previousEndOffset(endOffset) ?? -1n;
  }

  /** The END offset of the canonical transaction just before the one whose END is at `endOffset`, or null. */
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

  /**
   * Forgets transactions that ended before `offset` (no event of theirs can still be processed).
   * Their commit LSNs count as covered from then on: `offset` is at most the checkpoint's END + 1.
   */
  prune(offset: bigint): void {
    while (this.endsStart < this.ends.length && this.ends[this.endsStart]!.endOffset! < offset) {
      const t = this.ends[this.endsStart]!;
      this.cover(t.endLsn);
      this.forget(t);
      this.endsStart++;
    }
    if (this.endsStart > 4096 && this.endsStart * 2 > this.ends.length) {
      this.ends.splice(0, this.endsStart);
      this.endsStart = 0;
    }
    const keep = this.covered.findIndex((t) => t.endOffset! >= offset);
    const gone = keep === -1 ? this.covered : this.covered.slice(0, keep);
    for (const t of gone) this.forget(t);
    if (gone.length > 0) this.covered = this.covered.slice(gone.length);
  }

  private forget(t: TrackedTransaction): void {
    if (t.beginLsn !== null && this.byBeginLsn.get(t.beginLsn) === t) this.byBeginLsn.delete(t.beginLsn);
    const list = this.byXid.get(t.xid);
    if (list === undefined) return;
    const rest = list.filter((x) => x !== t);
    if (rest.length === 0) this.byXid.delete(t.xid);
    else this.byXid.set(t.xid, rest);
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

function entry(xid: bigint, beginLsn: bigint | null, beginOffset: bigint | null): TrackedTransaction {
  return {
    xid,
    beginLsn,
    beginOffset,
    endLsn: null,
    endOffset: null,
    commitTimeMs: null,
    endInKafkaMs: null,
    endReadMs: null,
    completeSeenMs: null,
    counts: null,
    covered: false,
  };
}
