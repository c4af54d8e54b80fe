// Processes one batch of one change-topic partition, strictly in offset order: prepare every
// record (decode, wait for its END, op id), then write runs of events between truncates: plan
// from the stored row states (pure), apply in the crash-safe order, count the events (once per
// offset). A truncate is run on its own after the events before it are counted. The caller
// commits the batch's offsets after processBatch resolves.
import type { ChangeDecoder } from '@syncline/cdc';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { Checkpoint } from '@syncline/bucket-store';
import { tagOf } from '@syncline/bucket-store';
import type { OpIdGeneration } from '@syncline/protocol';
import { EventCounter, type CountedEvent } from './event-counter';
import { EventPreparer, type BatchContext } from './event-preparer';
import type { EvaluatorMetrics } from './metrics';
import type { RowEvaluator, RowState } from './op-planner';
import type { BucketOpSink, DeadLetterSink, ProcessorCoordination, ProcessorStore } from './ports';
import { MovedRowWait } from './moved-row-wait';
import { countedRef, type PreparedEvent, type RowEvent, type TruncateEvent } from './prepared-event';
import { RowStateCache, rowKey, type StoredRow } from './row-state-cache';
import { haltOnLayoutLimit } from './processing-halt';
import { planSegment, RowPlanner } from './segment-planner';
import { applySegment } from './segment-writer';
import type { TransactionReader } from './transaction-reader';
import { runTruncate } from './truncate-runner';
import type { WakeUp } from './wake-up';

export interface ProcessorDeps {
  readonly store: ProcessorStore;
  readonly coordination: ProcessorCoordination;
  readonly transactions: TransactionReader;
  readonly generation: OpIdGeneration;
  readonly evaluator: RowEvaluator;
  /** Null: Redis only (no bucket topic). */
  readonly sink: BucketOpSink | null;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: EvaluatorMetrics;
  readonly logger: Logger;
  readonly latestCheckpoint: () => Promise<Checkpoint | null>;
  /** Incremental snapshot rows can be placed (a signal table is configured). */
  readonly snapshotWindows: boolean;
  /** This deployment's write-checkpoint message prefix; other deployments' are only counted. */
  readonly writeCheckpointPrefix: string;
  /** The connector's notifications (a second full snapshot is then placed in place, §3.2). */
  readonly fullSnapshots?: { readonly live: boolean } | null;
  /** JSON (default) or Avro change events (`SYNCLINE_CHANGE_FORMAT`). */
  readonly decoder?: ChangeDecoder;
  /**
   * Rows the row-state cache (and the subkey cache) holds, default 200,000; benchmarks shrink it so
   * a table can reach many times it.
   */
  readonly rowStateCacheCapacity?: number;
  /** Woken whenever events were counted toward their transactions (the coordinator's news). */
  readonly counted?: WakeUp;
}

export interface BatchResult {
  readonly events: number;
  readonly ops: number;
  /** END offsets of the oldest and newest transactions among this batch's events. */
  readonly lowTransactionOffset: bigint | null;
  readonly highTransactionOffset: bigint | null;
  readonly sawStreaming: boolean;
  /**
   * Null when the whole batch was processed. Otherwise the offset of a truncate whose barrier was
   * not met in time: everything before it is processed and counted, nothing from it on; the caller
   * commits up to it and fetches the partition again from there.
   */
  readonly resumeAt: bigint | null;
}

const ROW_CACHE_CAPACITY = 200_000;

export class ChangeProcessor {
  private readonly preparer: EventPreparer;
  private readonly counter: EventCounter;
  private readonly planner: RowPlanner;
  /** Row states this instance wrote for partitions it owns; cleared on every rebalance. */
  readonly rowCache: RowStateCache;
  /** Subkeys (a SHA-1 per row) computed before; a pure function, so never stale. */
  private readonly subkeys = new Map<string, string>();
  /** Rows each of the two caches above holds. */
  private readonly cacheCapacity: number;
  private readonly movedRows: MovedRowWait;
  /** Tables truncated for a second full snapshot (`table@opId`; again after a restart: idempotent). */
  private readonly truncated = new Set<string>();

  constructor(private readonly deps: ProcessorDeps) {
    this.cacheCapacity = deps.rowStateCacheCapacity ?? ROW_CACHE_CAPACITY;
    this.rowCache = new RowStateCache(this.cacheCapacity);
    this.preparer = new EventPreparer(deps);
    this.counter = new EventCounter(deps.coordination, deps.generation, deps.counted);
    this.planner = new RowPlanner(deps.evaluator, (table, pk) => this.subkeyOf(table, pk));
    this.movedRows = new MovedRowWait(deps.store, deps.logger);
  }

  /** Forgets what this instance knew about partitions it owned (call on every rebalance). */
  resetPartitionState(): void {
    this.rowCache.clear();
  }

  async processBatch(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
    beforeWrite: (lowTransactionOffset: bigint | null) => Promise<void> = async () => undefined,
  ): Promise<BatchResult> {
    const batch: BatchContext = { topic, partition, heartbeat, signal };
    const field = `${topic}/${partition}`;
    // Before any write: Redis must still hold what this instance wrote of the partition.
    await this.counter.verify(field);
    const prepared = await this.prepareAll(messages, batch);
    // kafkajs heartbeats only between batches and when asked (at most once per interval): a
    // batch sharing a saturated event loop with seven others must not outlast the session.
    await heartbeat();
    const { low, high } = transactionRange(prepared);
    await beforeWrite(low);
    let ops = 0;
    let segment: PreparedEvent[] = [];
    let toCount: CountedEvent[] = [];
    for (const [i, event] of prepared.entries()) {
      if (event.kind === 'row' && awaitsMovedRow(event, prepared, i)) {
        // A primary-key change whose old key's delete another partition holds: write and count
        // what comes before, then wait for that delete (it keeps the image to fill from).
        ops += await this.writeSegment(segment, batch);
        segment = [];
        await this.counter.count(field, event.offset, event.ref?.endOffset ?? null, toCount);
        toCount = [];
        if (!(await this.movedRows.wait(event, batch)))
          return this.result(messages, ops, low, high, event.offset);
        segment.push(event);
      } else if (event.kind === 'truncate' || this.truncateFirst(event) !== null) {
        // A TRUNCATE, or the first row of a table in a second full snapshot, which truncates the
        // table below itself first (§3.2).
        const truncate = event.kind === 'truncate' ? event : this.truncateFirst(event)!;
        ops += await this.writeSegment(segment, batch);
        segment = [];
        // Everything before the truncate must be countable: it waits for the checkpoint.
        // The partition has reached the truncate's transaction: a snapshot window before it passes.
        await this.counter.count(field, truncate.offset, truncate.ref?.endOffset ?? null, toCount);
        toCount = [];
        const written = await this.truncate(truncate, batch);
        if (written === 'not-ready') return this.result(messages, ops, low, high, truncate.offset);
        ops += written;
        if (event.kind === 'row') {
          this.truncated.add(truncateKey(truncate));
          segment.push(event);
        }
      } else segment.push(event);
      const ref = countedRef(event);
      if (ref !== null && event.kind !== 'skip') toCount.push(ref);
    }
    ops += await this.writeSegment(segment, batch);
    const last = messages[messages.length - 1];
    if (last !== undefined) await this.counter.count(field, BigInt(last.offset) + 1n, high, toCount);
    return this.result(messages, ops, low, high, null);
  }

  private result(
    messages: readonly KafkaMessage[],
    ops: number,
    low: bigint | null,
    high: bigint | null,
    resumeAt: bigint | null,
  ): BatchResult {
    this.deps.metrics.opsWritten.inc(ops);
    const events =
      resumeAt === null ? messages.length : messages.filter((m) => BigInt(m.offset) < resumeAt).length;
    return {
      events,
      ops,
      lowTransactionOffset: low,
      highTransactionOffset: high,
      sawStreaming: low !== null,
      resumeAt,
    };
  }

  /** Prepares every record in offset order; an op id past the layout's limits halts (op ids are formed here). */
  private async prepareAll(messages: readonly KafkaMessage[], batch: BatchContext): Promise<PreparedEvent[]> {
    const prepared: PreparedEvent[] = [];
    try {
      for (const message of messages) {
        const pending = this.preparer.prepare(message, batch);
        const event = pending instanceof Promise ? await pending : pending;
        if (event === null) throw new Error('stopped while waiting for a transaction END');
        prepared.push(event);
      }
    } catch (error) {
      throw haltOnLayoutLimit(error);
    }
    return prepared;
  }

  /** Plans and writes a run of row and message events (no truncate inside). */
  private async writeSegment(segment: readonly PreparedEvent[], batch: BatchContext): Promise<number> {
    if (segment.length === 0) return 0;
    const generation = this.rowCache.generation;
    const plan = planSegment(segment, await this.storedStates(segment), this.planner);
    for (const { event, detail } of plan.failed)
      await this.deps.deadLetters.send(
        'evaluation-failed',
        detail,
        event.message,
        batch.topic,
        batch.partition,
      );
    if (plan.unfilledToast > 0) this.deps.metrics.toastUnfilled.inc(plan.unfilledToast);
    await batch.heartbeat();
    const ops = await applySegment(plan, this.deps, this.planner);
    await batch.heartbeat();
    // Only states this instance just wrote, and only if no rebalance happened meanwhile.
    if (this.rowCache.generation === generation)
      for (const key of plan.rows.keys()) this.rowCache.set(key, plan.states.get(key)!);
    return ops;
  }

  /** Stored states of the segment's rows: from the cache, the rest in one read. */
  private async storedStates(segment: readonly PreparedEvent[]): Promise<Map<string, StoredRow | null>> {
    const current = new Map<string, StoredRow | null>();
    const missing: { table: string; pk: string; key: string }[] = [];
    const want = (table: string, pk: string): void => {
      const key = rowKey(table, pk);
      if (current.has(key)) return;
      const cached = this.rowCache.get(key);
      if (cached === undefined) {
        current.set(key, null);
        missing.push({ table, pk, key });
      } else current.set(key, cached);
    };
    for (const event of segment) {
      if (event.kind !== 'row') continue;
      // The old key of a primary-key change first: its stored tombstone holds the image to fill from.
      if (typeof event.keyChange === 'object' && event.keyChange !== null && event.unavailable.length > 0)
        want(event.table, event.keyChange.from);
      want(event.table, event.pk);
    }
    const fetched = await this.deps.store.getRows(missing);
    missing.forEach((m, i) => {
      const rec = fetched[i];
      current.set(m.key, rec ? { opId: rec.opId, state: JSON.parse(rec.state) as RowState } : null);
    });
    return current;
  }

  /** The truncate a row of a second full snapshot implies, unless this instance ran it already. */
  private truncateFirst(event: PreparedEvent): TruncateEvent | null {
    if (event.kind !== 'row' || event.truncateFirst === undefined) return null;
    return this.truncated.has(truncateKey(event.truncateFirst)) ? null : event.truncateFirst;
  }

  private truncate(event: TruncateEvent, batch: BatchContext): Promise<number | 'not-ready'> {
    const deps = { ...this.deps, onRowsChanged: () => this.rowCache.clear() };
    return runTruncate(event, deps, this.planner, batch.heartbeat, batch.signal);
  }

  private subkeyOf(table: string, pk: string): string {
    const key = `${table}/${pk}`;
    let subkey = this.subkeys.get(key);
    if (subkey === undefined) {
      if (this.subkeys.size >= this.cacheCapacity) this.subkeys.clear();
      this.subkeys.set(key, (subkey = tagOf(key)));
    }
    return subkey;
  }
}

/** Identifies a truncate a second full snapshot implies (one per table). */
function truncateKey(truncate: TruncateEvent): string {
  return `${truncate.table}@${truncate.opId}`;
}

/**
 * True for a primary-key change's insert with unchanged TOAST columns whose old key's delete is not
 * earlier in this batch: another partition holds it, and its tombstone must be stored first.
 */
function awaitsMovedRow(event: RowEvent, prepared: readonly PreparedEvent[], index: number): boolean {
  const change = event.keyChange;
  if (change === null || change === 'delete' || event.unavailable.length === 0) return false;
  for (let i = 0; i < index; i++) {
    const e = prepared[i]!;
    if (e.kind === 'row' && e.keyChange === 'delete' && e.table === event.table && e.pk === change.from)
      if (e.opId >= change.since && e.opId < event.opId) return false;
  }
  return true;
}

/** END offsets of the oldest and newest transactions the events count toward (null: none). */
function transactionRange(events: readonly PreparedEvent[]): { low: bigint | null; high: bigint | null } {
  let low: bigint | null = null;
  let high: bigint | null = null;
  for (const event of events) {
    const tx = countedRef(event)?.endOffset;
    if (tx === undefined) continue;
    if (low === null || tx < low) low = tx;
    if (high === null || tx > high) high = tx;
  }
  return { low, high };
}
