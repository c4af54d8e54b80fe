// Processes one batch of one change-topic partition, strictly in offset order: decode, wait for
// the transaction's END (op ids need its offset), plan ops from the stored row state, then write
// in the crash-safe order (docs/consistency.md section 2.4): (1) bucket ops in Redis, (2) the
// bucket topic, (3) parameter lookups, (4) row state, (5) processed-event counts with the
// partition's progress (once per offset). The caller commits after that.
import type { KafkaMessage } from 'kafkajs';
import {
  CdcDecoder,
  dataCollectionOf,
  isMalformed,
  stringifyJson,
  type ChangeEvent,
  type JsonObject,
  type MalformedRecord,
  type ConnectSchema,
  type RowSchema,
} from '@syncline/cdc';
import {
  tagOf,
  type BucketOpWrite,
  type BucketStore,
  type Checkpoint,
  type LookupWrite,
  type RowStateWrite,
  type WriteCheckpoint,
} from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import { OpIdRangeError, streamOpId, type OpIdGeneration } from '@syncline/protocol';
import type { Logger } from 'pino';
import type { ConnectField } from '@syncline/sync-rules';
import { DELETED_ROW, planRowChange, type RowEvaluator, type RowState } from './op-planner';
import { SnapshotNumberingError, snapshotEventOpId } from './snapshot-numbering';
import type { TransactionReader } from './transaction-reader';
import { parseWriteCheckpoint, WRITE_CHECKPOINT_PREFIX } from './write-checkpoint';
import type { EvaluatorMetrics } from './metrics';

/** Where bucket ops go besides Redis (the bucket topic). */
export interface BucketOpSink {
  write(ops: readonly BucketOpRecordLike[]): Promise<void>;
}
export interface BucketOpRecordLike {
  op: 'PUT' | 'REMOVE';
  opId: bigint;
  bucket: string;
  objectType: string;
  objectId: string;
  subkey: string;
  data: string | null;
  checksum: number;
  sourceLsn: bigint | null;
}

export interface DeadLetterSink {
  send(
    reason: string,
    detail: string,
    message: KafkaMessage,
    topic: string,
    partition: number,
  ): Promise<void>;
}

export interface ProcessorDeps {
  readonly store: BucketStore;
  readonly transactions: TransactionReader;
  readonly generation: OpIdGeneration;
  readonly evaluator: RowEvaluator;
  /** Null: Redis only (no bucket topic). */
  readonly sink: BucketOpSink | null;
  readonly deadLetters: DeadLetterSink;
  readonly metrics: EvaluatorMetrics;
  readonly logger: Logger;
  readonly latestCheckpoint: () => Promise<Checkpoint | null>;
}

interface EventRef {
  readonly endOffset: bigint;
  readonly totalOrder: number;
}

type Prepared =
  | {
      readonly kind: 'row';
      readonly offset: bigint;
      readonly ref: EventRef | null;
      readonly table: string;
      readonly pk: string;
      readonly opId: bigint;
      readonly lsn: bigint | null;
      readonly image: JsonObject | null;
      readonly unavailable: readonly string[];
      readonly columns: readonly ConnectField[];
      readonly message: KafkaMessage;
    }
  | {
      readonly kind: 'truncate';
      readonly offset: bigint;
      readonly ref: EventRef;
      readonly table: string;
      readonly opId: bigint;
      readonly barrier: bigint;
      readonly lsn: bigint | null;
    }
  | {
      readonly kind: 'message';
      readonly offset: bigint;
      readonly ref: EventRef;
      readonly writeCheckpoint: WriteCheckpoint | null;
    }
  /** Counted as processed, nothing else (a dead-lettered record of a transaction). */
  | { readonly kind: 'counted'; readonly offset: bigint; readonly ref: EventRef }
  | { readonly kind: 'skip' };

export interface BatchResult {
  readonly events: number;
  readonly ops: number;
  /** END offsets of the oldest and newest transactions among this batch's events. */
  readonly lowTransactionOffset: bigint | null;
  readonly highTransactionOffset: bigint | null;
  readonly sawStreaming: boolean;
}

/** Fatal: configuration or layout limits; the evaluator stops and reports. */
export class ProcessingHaltedError extends SynclineError {
  override readonly name = 'ProcessingHaltedError';
  readonly code = 'SYNC_E401';
}

const TRUNCATE_CHUNK = 500;
const SKIP: Prepared = { kind: 'skip' };
const SUBKEY_CACHE = 200_000;

export class ChangeProcessor {
  private readonly decoder = new CdcDecoder();
  private readonly topicIndexes = new Map<string, number>();
  /** Row states this instance wrote for partitions it owns; cleared on every rebalance. */
  readonly rowCache = new RowStateCache();
  /** Subkeys (a SHA-1 per row) computed before; a pure function, so never stale. */
  private readonly subkeys = new Map<string, string>();
  /** Last known progress (next offset counted) per partition; re-read after a rebalance. */
  private readonly progress = new Map<string, bigint | null>();

  constructor(private readonly deps: ProcessorDeps) {}

  /** Forgets what this instance knew about partitions it owned (call on every rebalance). */
  resetPartitionState(): void {
    this.rowCache.clear();
    this.progress.clear();
  }

  async processBatch(
    topic: string,
    partition: number,
    messages: readonly KafkaMessage[],
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
    beforeWrite: (lowTransactionOffset: bigint | null) => Promise<void> = async () => undefined,
  ): Promise<BatchResult> {
    const prepared: Prepared[] = [];
    let low: bigint | null = null;
    let high: bigint | null = null;
    let sawStreaming = false;
    for (const message of messages) {
      const pending = this.prepare(topic, partition, message, heartbeat, signal);
      const p = pending instanceof Promise ? await pending : pending;
      if (p === null) throw new Error('stopped while waiting for a transaction END');
      prepared.push(p);
      if (p.kind !== 'skip' && p.ref !== null) {
        sawStreaming = true;
        const tx = p.ref.endOffset;
        if (low === null || tx < low) low = tx;
        if (high === null || tx > high) high = tx;
      }
    }
    await beforeWrite(low);
    const field = `${topic}/${partition}`;
    let ops = 0;
    let segment: Prepared[] = [];
    let toCount: Array<{ offset: bigint; endOffset: bigint }> = [];
    for (const p of prepared) {
      if (p.kind === 'truncate') {
        ops += await this.writeSegment(segment, topic, partition);
        segment = [];
        // Everything before the truncate must be countable: it waits for the checkpoint.
        await this.count(field, p.offset, sawStreaming, toCount);
        toCount = [];
        ops += await this.truncate(p, heartbeat, signal);
      } else segment.push(p);
      if (p.kind !== 'skip' && p.ref !== null) toCount.push({ offset: p.offset, endOffset: p.ref.endOffset });
    }
    ops += await this.writeSegment(segment, topic, partition);
    const last = messages[messages.length - 1];
    if (last !== undefined) await this.count(field, BigInt(last.offset) + 1n, sawStreaming, toCount);
    this.deps.metrics.opsWritten.inc(ops);
    return {
      events: messages.length,
      ops,
      lowTransactionOffset: low,
      highTransactionOffset: high,
      sawStreaming,
    };
  }

  /**
   * Counts the processed events at or after the partition's progress and moves the progress to
   * `next`, compare-and-set: when another writer moved it (a rebalance overlap), re-reads it and
   * counts only what is still uncounted.
   */
  private async count(
    field: string,
    next: bigint,
    streaming: boolean,
    events: readonly { offset: bigint; endOffset: bigint }[],
  ): Promise<void> {
    const { store } = this.deps;
    let known = this.progress.has(field) ? this.progress.get(field)! : await store.partitionProgress(field);
    for (;;) {
      if (known !== null && known >= next) break;
      const counts = new Map<bigint, number>();
      for (const e of events)
        if (known === null || e.offset >= known) counts.set(e.endOffset, (counts.get(e.endOffset) ?? 0) + 1);
      const outcome = await store.countEvents(field, known, next, streaming, counts);
      if (outcome.applied) {
        known = next;
        break;
      }
      this.deps.logger.info(
        {
          partition: field,
          expected: known?.toString() ?? null,
          found: outcome.progress?.toString() ?? null,
        },
        'partition progress moved by another writer; counting only what is left',
      );
      known = outcome.progress;
    }
    this.progress.set(field, known);
  }

  /**
   * Decodes a record and assigns its op id; null when stopped while waiting. Synchronous in the
   * common case (END already known, topic index cached): a promise per event is measurable.
   */
  private prepare(
    topic: string,
    partition: number,
    message: KafkaMessage,
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
  ): Prepared | Promise<Prepared | null> {
    const record = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
    };
    const decoded = this.decoder.decodeChange(record);
    if (isMalformed(decoded)) return this.rejected(decoded, message, topic, partition, heartbeat, signal);
    if (decoded.kind === 'tombstone') return SKIP;
    const event = decoded;
    const offset = BigInt(message.offset);
    if (event.kind === 'read') {
      const index = this.topicIndexes.get(topic);
      const opIdOf = (i: number) => snapshotEventOpId(this.deps.generation, i, partition, offset);
      if (index !== undefined) return this.rowEvent(event, null, opIdOf(index), message, offset);
      return this.topicIndex(topic).then((i) => this.rowEvent(event, null, opIdOf(i), message, offset));
    }
    const block = event.transaction;
    // Non-transactional logical messages have no place in commit order.
    if (block === null) return SKIP;
    const lsn = event.source.lsn ?? block.lsn;
    const found = this.deps.transactions.tracker.lookup(block.xid, lsn);
    if (found.status === 'ended')
      return this.inTransaction(event, found.transaction, message, offset, topic, partition);
    return this.waitForEnd(block.xid, lsn, { topic, offset }, heartbeat, signal).then((tx) =>
      tx === null ? null : this.inTransaction(event, tx, message, offset, topic, partition),
    );
  }

  /**
   * A record the decoder rejected goes to the dead-letter topic. If it still names its transaction
   * (a Debezium event of a shape the decoder does not handle), END counts it, so it is counted as
   * processed too: one bad record must not hold every later checkpoint back.
   */
  private async rejected(
    record: MalformedRecord,
    message: KafkaMessage,
    topic: string,
    partition: number,
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<Prepared | null> {
    await this.deadLetter(record, message, topic, partition);
    const salvaged = record.transaction;
    if (salvaged === null) return SKIP;
    const offset = record.position.offset;
    const tx = await this.waitForEnd(salvaged.xid, salvaged.lsn, { topic, offset }, heartbeat, signal);
    if (tx === null) return null;
    return { kind: 'counted', offset, ref: { endOffset: tx.endOffset, totalOrder: salvaged.totalOrder } };
  }

  /** A streaming event whose transaction END is known. */
  private inTransaction(
    event: ChangeEvent,
    tx: { endOffset: bigint; beginOffset: bigint | null },
    message: KafkaMessage,
    offset: bigint,
    topic: string,
    partition: number,
  ): Prepared | Promise<Prepared> {
    const totalOrder = event.transaction!.totalOrder;
    const ref = { endOffset: tx.endOffset, totalOrder };
    const opId = streamOpId(this.deps.generation, tx.endOffset, totalOrder);
    switch (event.kind) {
      case 'message': {
        if (event.message.prefix !== WRITE_CHECKPOINT_PREFIX)
          return { kind: 'message', offset, ref, writeCheckpoint: null };
        const wc = parseWriteCheckpoint(event.message.content);
        const prepared: Prepared = { kind: 'message', offset, ref, writeCheckpoint: wc };
        if (wc !== null) return prepared;
        return this.deps.deadLetters
          .send(
            'invalid-write-checkpoint',
            `content is not <user_id>/<client_id>:<n>`,
            message,
            topic,
            partition,
          )
          .then(() => prepared);
      }
      case 'truncate': {
        const barrier =
          this.deps.transactions.tracker.previousEndOffset(tx.endOffset) ??
          (tx.beginOffset ?? tx.endOffset) - 1n;
        return {
          kind: 'truncate',
          offset,
          ref,
          table: dataCollectionOf(event),
          opId,
          barrier,
          lsn: event.source.lsn,
        };
      }
      default:
        return this.rowEvent(event, ref, opId, message, offset);
    }
  }

  private rowEvent(
    event: ChangeEvent,
    ref: EventRef | null,
    opId: bigint,
    message: KafkaMessage,
    offset: bigint,
  ): Prepared {
    const table = dataCollectionOf(event);
    const pk = event.key === null ? '' : stringifyJson(event.key);
    const image =
      event.kind === 'create' || event.kind === 'update' || event.kind === 'read' ? event.after : null;
    return {
      kind: 'row',
      offset,
      ref,
      table,
      pk,
      opId,
      lsn: event.source.lsn,
      image: image?.values ?? null,
      unavailable: image?.unavailableColumns ?? [],
      columns: event.rowSchema === null ? [] : syncColumns(event.rowSchema),
      message,
    };
  }

  private async waitForEnd(
    xid: bigint,
    lsn: bigint,
    where: { topic: string; offset: bigint },
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
  ) {
    const started = Date.now();
    let warned = false;
    for (;;) {
      const found = this.deps.transactions.tracker.lookup(xid, lsn);
      if (found.status === 'ended') return found.transaction;
      if (signal.aborted) return null;
      await this.deps.transactions.waitForAdvance(500, signal);
      await heartbeat();
      if (!warned && Date.now() - started > 30_000) {
        warned = true;
        this.deps.logger.warn(
          { xid: String(xid), lsn: String(lsn), position: String(where.offset), topic: where.topic },
          'event waits for its transaction END for more than 30 s',
        );
      }
    }
  }

  private async topicIndex(topic: string): Promise<number> {
    let index = this.topicIndexes.get(topic);
    if (index === undefined) {
      index = await this.deps.store.topicIndex(topic);
      this.topicIndexes.set(topic, index);
    }
    return index;
  }

  private subkeyOf(table: string, pk: string): string {
    const rowKey = `${table}/${pk}`;
    let subkey = this.subkeys.get(rowKey);
    if (subkey === undefined) {
      if (this.subkeys.size >= SUBKEY_CACHE) this.subkeys.clear();
      this.subkeys.set(rowKey, (subkey = tagOf(rowKey)));
    }
    return subkey;
  }

  /** Plans and writes a run of row and message events (no truncate inside). */
  private async writeSegment(
    segment: readonly Prepared[],
    topic: string,
    partition: number,
  ): Promise<number> {
    if (segment.length === 0) return 0;
    const { store, sink } = this.deps;
    const generation = this.rowCache.generation;
    const current = new Map<string, { opId: bigint; state: RowState } | null>();
    const missing: { table: string; pk: string; key: string }[] = [];
    for (const p of segment) {
      if (p.kind !== 'row') continue;
      const key = `${p.table}\u0000${p.pk}`;
      if (current.has(key)) continue;
      const cached = this.rowCache.get(key);
      if (cached === undefined) {
        current.set(key, null);
        missing.push({ table: p.table, pk: p.pk, key });
      } else current.set(key, cached);
    }
    const fetched = await store.getRows(missing);
    missing.forEach((m, i) => {
      const rec = fetched[i];
      current.set(m.key, rec ? { opId: rec.opId, state: JSON.parse(rec.state) as RowState } : null);
    });
    const ops: BucketOpWrite[] = [];
    const records: BucketOpRecordLike[] = [];
    const lookups: LookupWrite[] = [];
    const rows = new Map<string, RowStateWrite>();
    const writeCheckpoints = new Map<bigint, WriteCheckpoint[]>();
    for (const p of segment) {
      if (p.kind === 'message') {
        if (p.writeCheckpoint !== null) {
          const list = writeCheckpoints.get(p.ref.endOffset) ?? [];
          list.push(p.writeCheckpoint);
          writeCheckpoints.set(p.ref.endOffset, list);
        }
        continue;
      }
      if (p.kind !== 'row') continue;
      const key = `${p.table}\u0000${p.pk}`;
      const stored = current.get(key) ?? null;
      // Already applied (a replay after a crash between row state and commit): its ops exist.
      if (stored !== null && stored.opId >= p.opId) continue;
      let plan;
      try {
        plan = planRowChange(
          {
            table: p.table,
            subkey: this.subkeyOf(p.table, p.pk),
            rowKey: `${p.table}/${p.pk}`,
            opId: p.opId,
            previous: stored?.state ?? null,
            image: p.image,
            unavailableColumns: p.unavailable,
            columns: p.columns,
          },
          this.deps.evaluator,
        );
      } catch (error) {
        if (error instanceof OpIdRangeError || error instanceof SnapshotNumberingError)
          throw new ProcessingHaltedError(error.message, { cause: error });
        const detail = error instanceof Error ? error.message : String(error);
        await this.deps.deadLetters.send('evaluation-failed', detail, p.message, topic, partition);
        continue;
      }
      if (plan.unfilledToast > 0) this.deps.metrics.toastUnfilled.inc(plan.unfilledToast);
      for (const op of plan.ops) {
        ops.push(op);
        if (sink !== null) records.push({ ...op, sourceLsn: p.lsn });
      }
      for (const l of plan.lookups) lookups.push(l);
      current.set(key, { opId: p.opId, state: plan.state });
      rows.set(key, { table: p.table, pk: p.pk, opId: p.opId, state: JSON.stringify(plan.state) });
    }
    await store.addOps(ops);
    if (sink !== null) await sink.write(records);
    await store.writeLookups(lookups);
    const { truncated } = await store.putRows([...rows.values()]);
    if (truncated.length > 0) await this.removeTruncated(truncated, current, topic, partition);
    // Only states this instance just wrote, and only if no rebalance happened meanwhile.
    if (this.rowCache.generation === generation)
      for (const k of rows.keys()) this.rowCache.set(k, current.get(k)!);
    for (const [endOffset, wcs] of writeCheckpoints)
      await store.recordTransactionWriteCheckpoints(endOffset, wcs);
    return ops.length;
  }

  /** The ops and lookup removals that take a row out of every bucket as of `opId`. */
  private planRemoval(table: string, pk: string, opId: bigint, previous: RowState | null) {
    return planRowChange(
      {
        table,
        subkey: this.subkeyOf(table, pk),
        rowKey: `${table}/${pk}`,
        opId,
        previous,
        image: null,
        unavailableColumns: [],
        columns: [],
      },
      this.deps.evaluator,
    );
  }

  /** Writes removal ops (Redis, then the bucket topic) and lookup removals. */
  private async writeRemovals(
    ops: BucketOpWrite[],
    lookups: LookupWrite[],
    lsn: bigint | null,
  ): Promise<void> {
    const { store, sink } = this.deps;
    await store.addOps(ops);
    if (sink !== null) await sink.write(ops.map((op) => ({ ...op, sourceLsn: lsn })));
    await store.writeLookups(lookups);
  }

  /**
   * Rows whose state putRows refused: a TRUNCATE later in commit order (same transaction, other
   * partition) scanned the table before they were stored. They are removed as of that truncate,
   * REMOVE ops first and the tombstone last, exactly as the truncate would have done.
   */
  private async removeTruncated(
    refused: ReadonlyArray<{ table: string; pk: string; truncateOpId: bigint }>,
    current: Map<string, { opId: bigint; state: RowState } | null>,
    topic: string,
    partition: number,
  ): Promise<void> {
    const { store } = this.deps;
    const ops: BucketOpWrite[] = [];
    const lookups: LookupWrite[] = [];
    const tombstones: RowStateWrite[] = [];
    const tombstone = JSON.stringify(DELETED_ROW);
    for (const r of refused) {
      const key = `${r.table}\u0000${r.pk}`;
      const plan = this.planRemoval(r.table, r.pk, r.truncateOpId, current.get(key)?.state ?? null);
      ops.push(...plan.ops);
      lookups.push(...plan.lookups);
      tombstones.push({ table: r.table, pk: r.pk, opId: r.truncateOpId, state: tombstone });
      current.set(key, { opId: r.truncateOpId, state: DELETED_ROW });
    }
    await this.writeRemovals(ops, lookups, null);
    await store.putRows(tombstones);
    this.deps.metrics.opsWritten.inc(ops.length);
    this.deps.logger.debug(
      { topic, partition, rows: refused.length },
      'rows of an earlier event removed as of a truncate that already scanned their table',
    );
  }

  /**
   * Removes every row of the table that a transaction before the truncate wrote. Waits until
   * the checkpoint covers the previous transaction, so rows of earlier transactions in other
   * partitions are all stored; rows written by later transactions (op id above) are kept.
   */
  private async truncate(
    p: Extract<Prepared, { kind: 'truncate' }>,
    heartbeat: () => Promise<void>,
    signal: AbortSignal,
  ): Promise<number> {
    const { store } = this.deps;
    for (;;) {
      const cp = await this.deps.latestCheckpoint();
      if (BigInt(cp?.endOffset ?? '-1') >= p.barrier) break;
      if (signal.aborted) throw new Error('stopped while a truncate waited for the checkpoint');
      await heartbeat();
      await new Promise((r) => setTimeout(r, 100));
    }
    const tombstone = JSON.stringify(DELETED_ROW);
    // Before the scan: a row of an earlier event of this transaction that another partition stores
    // after the scan passed its shard is then refused by putRows and removed there.
    await store.markTruncate(p.table, p.opId);
    let written = 0;
    for await (const chunk of store.scanTableRows(p.table, TRUNCATE_CHUNK)) {
      const ops: BucketOpWrite[] = [];
      const lookups: LookupWrite[] = [];
      const victims: string[] = [];
      for (const rec of chunk) {
        if (rec.opId >= p.opId) continue;
        const state = JSON.parse(rec.state) as RowState;
        if (state.raw === null) continue;
        victims.push(rec.pk);
        const plan = this.planRemoval(p.table, rec.pk, p.opId, state);
        ops.push(...plan.ops);
        lookups.push(...plan.lookups);
      }
      await this.writeRemovals(ops, lookups, p.lsn);
      this.rowCache.clear();
      await store.truncateRows(p.table, victims, p.opId, tombstone);
      written += ops.length;
      await heartbeat();
    }
    return written;
  }

  private async deadLetter(
    record: MalformedRecord,
    message: KafkaMessage,
    topic: string,
    partition: number,
  ): Promise<void> {
    await this.deps.deadLetters.send(record.reason, record.detail, message, topic, partition);
  }
}

const columnCache = new WeakMap<RowSchema, ConnectField[]>();

/** The row's Connect schema in the shape sync-rules' type mapping reads (cached per schema). */
export function syncColumns(schema: RowSchema): ConnectField[] {
  let columns = columnCache.get(schema);
  if (columns === undefined) {
    columns = schema.columns.map((c) => toSyncField(c.field, c.schema));
    columnCache.set(schema, columns);
  }
  return columns;
}

function toSyncField(field: string | undefined, s: ConnectSchema): ConnectField {
  const out: ConnectField = { type: s.type, optional: s.optional };
  if (field !== undefined) out.field = field;
  if (s.name !== null) out.name = s.name;
  if (s.parameters !== null) out.parameters = { ...s.parameters };
  if (s.items !== null) out.items = toSyncField(undefined, s.items);
  if (s.fields !== null) out.fields = s.fields.map((f) => toSyncField(f.field, f.schema));
  return out;
}

/**
 * An LRU of row states keyed `<table>\u0000<pk>`. Valid only while this instance owns the rows'
 * partitions: the evaluator calls clear() on every rebalance, which also bumps `generation` so a
 * batch that straddles a rebalance does not put what it read before it back into the cache. A
 * truncate by another instance can leave an entry stale; the only effect is a redundant REMOVE.
 */
export class RowStateCache {
  private readonly entries = new Map<string, { opId: bigint; state: RowState } | null>();
  generation = 0;

  constructor(private readonly capacity = 200_000) {}

  get(key: string): { opId: bigint; state: RowState } | null | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: { opId: bigint; state: RowState } | null): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
    this.generation++;
  }
}
