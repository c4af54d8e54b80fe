// What the checkpoint waits for around snapshots (docs/consistency.md §3): the initial snapshot
// before the first checkpoint, incremental snapshot windows (each whole, or the whole snapshot by
// the connector's notifications), and a full snapshot taken after streaming began. The leader's
// coordinator asks before each step; the state here lives for one term.
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';
import type { SnapshotHighWater } from '@syncline/bucket-store';
import type { RunningSnapshot } from './incremental-snapshots';
import type { FullSnapshotNotifications, SnapshotNotifications } from './notification-reader';
import type { CoordinatorStore } from './ports';
import type { TrackedTransaction } from './transaction-tracker';
import type { TransactionReader } from './transaction-reader';

/**
 * The initial snapshot is processed when every partition that existed when streaming began has
 * been processed up to its high-water mark then, or has processed a streaming event (snapshot
 * records precede streaming records in each partition).
 */
export function snapshotComplete(
  hwm: SnapshotHighWater,
  progress: ReadonlyMap<string, bigint>,
  streaming: ReadonlyMap<string, bigint>,
): boolean {
  return Object.entries(hwm).every(
    ([partition, high]) =>
      BigInt(high) === 0n || streaming.has(partition) || (progress.get(partition) ?? 0n) >= BigInt(high),
  );
}

/**
 * An incremental snapshot window's rows are all processed when every change partition has been
 * processed up to its high-water mark read after the window's END (the rows were produced before
 * that END), or has processed an event of a later transaction (`reached`: rows precede it there).
 */
export function windowPassed(
  endOffset: bigint,
  marks: ReadonlyMap<string, bigint>,
  progress: ReadonlyMap<string, bigint>,
  reached: ReadonlyMap<string, bigint>,
): boolean {
  for (const [partition, high] of marks) {
    if ((progress.get(partition) ?? 0n) >= high) continue;
    if ((reached.get(partition) ?? -1n) > endOffset) continue;
    return false;
  }
  return true;
}

export interface SnapshotGateDeps {
  readonly store: CoordinatorStore;
  readonly transactions: TransactionReader;
  readonly consumed: (collection: string) => boolean;
  /**
   * The change topics of the rules' tables that exist in Kafka now (for the snapshot high-water
   * marks). Listed from Kafka, not from the consumer's subscription: an END can be read before the
   * consumer has subscribed, and marks of no topics would pass an unprocessed snapshot.
   */
  readonly changeTopics: () => Promise<readonly string[]>;
  readonly admin: Admin;
  readonly logger: Logger;
  /** The connector's signal table: its transactions close incremental snapshot windows (§3.1). */
  readonly signalTable: string | null;
  /**
   * The connector's notifications, when incremental snapshots are checkpointed whole: no
   * checkpoint covers a window while its snapshot runs. Null: window by window.
   */
  readonly notifications?: SnapshotNotifications | null;
  /** The connector's notifications about full snapshots (§3.2), or null when not read. */
  readonly fullSnapshots?: FullSnapshotNotifications | null;
  /**
   * How long after seeing an END or a notification the leader waits before it reads the change
   * partitions' high-water marks that must include the rows Connect sent before it (default
   * 2,000 ms). Connect's producer sends one batch per partition per request, so rows sent before a
   * record in another partition can land a few requests after it (§3.1).
   */
  readonly markSettleMs?: number;
}

const MARK_SETTLE_MS = 2000;

/** A full snapshot taken after streaming began whose rows some partition may not have processed. */
interface FullSnapshotGate {
  /** Notification offset of its COMPLETED. */
  readonly at: bigint;
  /** Change partitions' high-water marks read after its COMPLETED. */
  readonly marks: Map<string, bigint>;
  /** The transaction topic's end then: transactions from there on came after its rows. */
  readonly after: bigint;
}

/** Why the checkpoint stopped before a snapshot window, as the stall report says it. */
export type WindowHold =
  | { readonly reason: 'settling' | 'notifications-behind' | 'snapshot-running' | 'window-rows' }
  | { readonly reason: 'rows-before-end'; readonly partition: string; readonly high: string }
  | { readonly reason: 'last-window'; readonly lastWindow: string }
  | null;

/** Read once an incremental snapshot's COMPLETED (or ABORTED) was applied. */
interface EndMarks {
  readonly at: bigint;
  /** When the leader first saw it: the marks are read once they have settled. */
  readonly seenMs: number;
  /** Change partitions' high-water marks: the last window's rows were produced before them. */
  changes: Map<string, bigint> | null;
  /** The transaction topic's end: a transaction at or after it came after those rows. */
  tx: bigint;
}

/** What the leader recorded once a snapshot window's END had settled. */
interface WindowMarks {
  /** Change partitions' high-water marks (`topic/partition`). */
  readonly changes: Map<string, bigint>;
  /** The notification topic's, or null when it did not exist (notifications are off). */
  readonly notes: ReadonlyMap<number, bigint> | null;
}

export class SnapshotGates {
  /** High-water marks read after each snapshot-window END not yet passed, or when it was first seen. */
  private readonly windowMarks = new Map<bigint, WindowMarks | number>();
  /** When the leader first saw the last full snapshot's COMPLETED it has not passed (notification offset). */
  private fullSeen: { readonly at: bigint; readonly ms: number } | null = null;
  /** The incremental snapshot the checkpoint is held for (reported when the hold lasts). */
  holdingFor: RunningSnapshot | null = null;
  /** Why the last step stopped before a snapshot window (reported when the hold lasts). */
  holdReason: WindowHold = null;
  private lastNotificationsWarningMs = 0;
  private fullGate: FullSnapshotGate | null = null;
  /** Notification offset of the last full snapshot passed (read once per term). */
  private fullHandled: bigint | null = null;
  /** What the leader read once it saw the last incremental snapshot's end (notification offset `at`). */
  private endMark: EndMarks | null = null;
  /**
   * The last step stopped before a window because the snapshot's last window was not among the
   * complete transactions: the next step looks at every pending transaction, not 2,000.
   */
  wide = false;

  constructor(private readonly deps: SnapshotGateDeps) {}

  /** A new term: what the last one recorded is read again. */
  reset(): void {
    this.windowMarks.clear();
    this.fullGate = null;
    this.fullHandled = null;
    this.fullSeen = null;
    this.endMark = null;
    this.wide = false;
  }

  /**
   * How many of the complete transactions the checkpoint may cover: it stops before a snapshot
   * window (a signal-table transaction) whose rows some partition has not processed yet.
   */
  async windowsPassed(complete: readonly TrackedTransaction[]): Promise<number> {
    const { signalTable } = this.deps;
    this.holdingFor = null;
    this.holdReason = null;
    if (signalTable === null) return complete.length;
    let positions: [Map<string, bigint>, Map<string, bigint>] | null = null;
    // Windows of an ended snapshot pass together with its last window, or not at all.
    let ended: { readonly from: number; readonly last: bigint } | null = null;
    const stop = (n: number, why: WindowHold): number => {
      this.holdReason = why;
      if (ended === null || (n > 0 && complete[n - 1]!.endOffset! >= ended.last)) return n;
      this.holdReason = { reason: 'last-window', lastWindow: ended.last.toString() };
      return ended.from;
    };
    // Every window's marks settle from when it was first seen, all at once.
    const now = Date.now();
    for (const t of complete)
      if (t.counts?.has(signalTable) && !this.windowMarks.has(t.endOffset!))
        this.windowMarks.set(t.endOffset!, now);
    for (let i = 0; i < complete.length; i++) {
      const t = complete[i]!;
      if (!t.counts?.has(signalTable)) continue;
      const endOffset = t.endOffset!;
      let marks = this.windowMarks.get(endOffset)!;
      if (typeof marks === 'number') {
        if (!this.settled(marks)) return stop(i, { reason: 'settling' });
        // The change partitions' marks first: a notification read after them was sent after them.
        const changes = await this.highWaterMarks();
        marks = { changes, notes: (await this.deps.notifications?.marks()) ?? null };
        this.windowMarks.set(endOffset, marks);
      }
      if (!this.snapshotEnded(marks.notes))
        return stop(i, { reason: this.holdingFor === null ? 'notifications-behind' : 'snapshot-running' });
      if (ended === null && marks.notes !== null) {
        const last = await this.lastWindow(complete);
        if (last === null) return i; // holdReason says why
        ended = { from: i, last };
      }
      positions ??= await Promise.all([
        this.deps.store.readPositions('progress'),
        this.deps.store.readPositions('streaming'),
      ]);
      if (!windowPassed(endOffset, marks.changes, positions[0], positions[1]))
        return stop(i, { reason: 'window-rows' });
      this.windowMarks.delete(endOffset);
    }
    return stop(complete.length, null);
  }

  /**
   * Whole snapshots (§3.1): a window passes only once the notifications sent before it was seen
   * are read and no incremental snapshot of a consumed table is running. Without a notification
   * topic (the connector sends none) windows pass one by one, which the leader reports.
   */
  private snapshotEnded(notes: ReadonlyMap<number, bigint> | null): boolean {
    const { notifications, logger, consumed } = this.deps;
    if (notifications == null) return true;
    if (notes === null) {
      const now = Date.now();
      if (now - this.lastNotificationsWarningMs >= 60_000) {
        this.lastNotificationsWarningMs = now;
        logger.error(
          { topic: notifications.topic },
          'a signal-table transaction (an incremental snapshot window) passed, but the connector ' +
            'sends no notifications to this topic: snapshots are checkpointed window by window. Set ' +
            'notification.enabled.channels=sink and notification.sink.topic.name on the connector, or ' +
            'SYNCLINE_INCREMENTAL_SNAPSHOTS=windows (docs/consistency.md §3.1)',
        );
      }
      return true;
    }
    if (!notifications.readUpTo(notes)) return false;
    this.holdingFor = notifications.running(consumed);
    return this.holdingFor === null;
  }

  /**
   * Whole snapshots (§3.1): the END offset of the last window rows were placed at, which a
   * checkpoint covering windows of an ended snapshot must cover too; null while not known. Debezium
   * sends an incremental snapshot's COMPLETED while it handles the last window's close watermark,
   * after that window's rows but before the watermark transaction's BEGIN and END, so that window
   * is known once every partition is past the rows sent before the COMPLETED: processed up to the
   * marks read (settled) after it was applied, or reached a transaction read then.
   */
  private async lastWindow(complete: readonly TrackedTransaction[]): Promise<bigint | null> {
    const { notifications, store, admin, transactions } = this.deps;
    const ended = notifications?.lastEnded() ?? null;
    if (ended === null) return -1n;
    if (this.endMark?.at !== ended) this.endMark = { at: ended, seenMs: Date.now(), changes: null, tx: 0n };
    const mark = this.endMark;
    if (mark.changes === null) {
      this.holdReason = { reason: 'settling' };
      if (!this.settled(mark.seenMs)) return null;
      mark.changes = await this.highWaterMarks();
      const [tx] = await admin.fetchTopicOffsets(transactions.topic);
      mark.tx = BigInt(tx?.high ?? '0');
    }
    const { changes, tx } = mark;
    const [progress, reached] = await Promise.all([
      store.readPositions('progress'),
      store.readPositions('streaming'),
    ]);
    for (const [p, high] of changes)
      if ((progress.get(p) ?? 0n) < high && (reached.get(p) ?? -1n) < tx) {
        this.holdReason = { reason: 'rows-before-end', partition: p, high: high.toString() };
        return null;
      }
    const last = (await store.lastWindowPlaced()) ?? -1n;
    this.wide = last > complete[complete.length - 1]!.endOffset!;
    return last;
  }

  /**
   * How many pending transactions the checkpoint may cover around a full snapshot taken after
   * streaming began (§3.2): none while one runs; after its COMPLETED, until every partition is
   * past its rows (processed up to the marks read then, or reached the anchor its rows are placed
   * at, or a transaction read after it), only those before the anchor.
   */
  async fullSnapshotLimit(pending: readonly TrackedTransaction[]): Promise<number> {
    const { fullSnapshots: n, store } = this.deps;
    if (n == null || !n.live) return pending.length;
    // A mark read after these ENDs: notifications sent before them are then read.
    const notes = await n.marks();
    if (notes !== null && !n.readUpTo(notes)) return 0;
    if (n.snapshots.initialRunning) return 0;
    const done = n.snapshots.lastInitialCompleted;
    if (this.fullGate === null && done !== null) {
      this.fullHandled ??= await store.resnapshotHandled();
      if (this.fullSeen?.at !== done) this.fullSeen = { at: done, ms: Date.now() };
      if (done > this.fullHandled && !this.settled(this.fullSeen.ms)) return 0;
      if (done > this.fullHandled) {
        const marks = await this.highWaterMarks();
        const [tx] = await this.deps.admin.fetchTopicOffsets(this.deps.transactions.topic);
        this.fullGate = { at: done, marks, after: BigInt(tx?.high ?? '0') };
      }
    }
    const gate = this.fullGate;
    if (gate === null) return pending.length;
    const [anchor, progress, reached] = await Promise.all([
      store.resnapshotAnchor(),
      store.readPositions('progress'),
      store.readPositions('streaming'),
    ]);
    const past = anchor === null ? gate.after : anchor < gate.after ? anchor : gate.after;
    const passed = [...gate.marks].every(
      ([p, high]) => (progress.get(p) ?? 0n) >= high || (reached.get(p) ?? -1n) >= past,
    );
    if (passed) {
      await store.recordResnapshotHandled(gate.at);
      this.fullHandled = gate.at;
      this.fullGate = null;
      return pending.length;
    }
    if (anchor === null) return 0;
    const i = pending.findIndex((t) => t.endOffset! >= anchor);
    return i === -1 ? pending.length : i;
  }

  fullSnapshotBlocker(): { readonly waitingFor: 'full-snapshot'; readonly running: boolean } {
    return {
      waitingFor: 'full-snapshot',
      running: this.deps.fullSnapshots?.snapshots.initialRunning ?? false,
    };
  }

  /** Marks read now would hold what Connect sent before something the leader saw at `sinceMs`. */
  private settled(sinceMs: number): boolean {
    return Date.now() - sinceMs >= (this.deps.markSettleMs ?? MARK_SETTLE_MS);
  }

  /** Every consumed change partition's high-water mark now (`topic/partition`). */
  private async highWaterMarks(): Promise<Map<string, bigint>> {
    const marks = new Map<string, bigint>();
    for (const topic of await this.deps.changeTopics())
      for (const p of await this.deps.admin.fetchTopicOffsets(topic))
        marks.set(`${topic}/${p.partition}`, BigInt(p.high));
    return marks;
  }

  async initialSnapshotDone(): Promise<boolean> {
    const { store } = this.deps;
    let hwm = await store.snapshotHighWater();
    if (hwm === null) {
      const captured: SnapshotHighWater = {};
      for (const [partition, high] of await this.highWaterMarks()) captured[partition] = high.toString();
      hwm = await store.recordSnapshotHighWater(captured);
      this.deps.logger.info({ partitions: Object.keys(hwm).length }, 'captured snapshot high-water marks');
    }
    const [progress, streaming] = await Promise.all([
      store.readPositions('progress'),
      store.readPositions('streaming'),
    ]);
    return snapshotComplete(hwm, progress, streaming);
  }
}
