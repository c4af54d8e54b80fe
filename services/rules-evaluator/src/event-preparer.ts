// Turns one change record into a PreparedEvent: decodes it, waits for its transaction's END when
// needed (stream op ids are made from the END offset), assigns its op id, and sends what cannot
// be processed to the dead-letter topic. Synchronous in the common case (END known, topic index
// cached): a promise per event is measurable at the evaluator's rates.
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import {
  CdcDecoder,
  dataCollectionOf,
  isMalformed,
  type ChangeDecoder,
  type ChangeEvent,
  type ChangeRecord,
  type MalformedRecord,
} from '@syncline/cdc';
import { stringifyJson } from '@syncline/lossless-json';
import { parseWriteCheckpoint, streamOpId, windowOpId, type OpIdGeneration } from '@syncline/protocol';
import type { DeadLetterSink, ProcessorCoordination } from './ports';
import { SKIP, type EventRef, type PreparedEvent, type RowEvent, type TruncateEvent } from './prepared-event';
import { SnapshotAfterStreamingError, SnapshotWindowError, snapshotEventOpId } from './snapshot-numbering';
import type { TransactionReader } from './transaction-reader';
import { TransactionOutsideWindowError, type TransactionLookup } from './transaction-tracker';

export interface PreparerDeps {
  readonly transactions: TransactionReader;
  readonly generation: OpIdGeneration;
  readonly coordination: Pick<
    ProcessorCoordination,
    'topicIndex' | 'recordResnapshotAnchor' | 'recordWindowPlaced'
  >;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
  /**
   * The connector's signal table is configured (`SYNCLINE_SIGNAL_TABLE`), so the coordinator holds
   * checkpoints for snapshot windows and incremental snapshot rows can be placed.
   */
  readonly snapshotWindows: boolean;
  /** The logical-message prefix of this deployment's write checkpoints (`writeCheckpointPrefix`). */
  readonly writeCheckpointPrefix: string;
  /**
   * The connector's notifications, when read: the coordinator then holds the checkpoint for a full
   * snapshot taken after streaming began, and its rows are placed in place (§3.2); otherwise such
   * a row halts (SYNC_E409).
   */
  readonly fullSnapshots?: { readonly live: boolean } | null;
  /** JSON (default) or Avro change events (`SYNCLINE_CHANGE_FORMAT`). */
  readonly decoder?: ChangeDecoder;
}

/** What the preparer needs of the batch it works for. */
export interface BatchContext {
  readonly topic: string;
  readonly partition: number;
  readonly heartbeat: () => Promise<void>;
  readonly signal: AbortSignal;
}

interface EndedTransaction {
  readonly endOffset: bigint;
  readonly beginOffset: bigint | null;
}

/**
 * How long a snapshot row whose window transaction is not known waits, with the reader caught up
 * and the checkpoint past the row's LSN, before it is taken for a re-delivery of a window the
 * checkpoint covers (the reader's "caught up" is as of its last fetch).
 */
const UNKNOWN_WINDOW_GRACE_MS = 5000;

/** Where a data event says it belongs: its xid, its own LSN and the commit LSN before it. */
interface EventTransaction {
  readonly xid: bigint;
  readonly lsn: bigint;
  readonly lastCommitLsn: bigint | null;
}

export class EventPreparer {
  private readonly decoder: ChangeDecoder;
  private readonly topicIndexes = new Map<string, number>();
  /** The last anchor this instance recorded for a second full snapshot (§3.2). */
  private anchorsRecorded: bigint | null = null;
  /** The highest window END this instance recorded placing rows at (§3.1). */
  private windowRecorded = -1n;
  /** Topics whose blocking-snapshot rows were reported (once each). */
  private readonly blockingReported = new Set<string>();

  constructor(private readonly deps: PreparerDeps) {
    this.decoder = deps.decoder ?? new CdcDecoder();
  }

  /** The prepared event; null when stopped while waiting for a transaction END. */
  prepare(message: KafkaMessage, batch: BatchContext): PreparedEvent | Promise<PreparedEvent | null> {
    const { topic, partition } = batch;
    const decoded = this.decoder.decodeChange({
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
    });
    // Avro: a promise only while a writer schema is fetched for the first time.
    if (decoded instanceof Promise) return decoded.then((d) => this.prepareDecoded(d, message, batch));
    return this.prepareDecoded(decoded, message, batch);
  }

  private prepareDecoded(
    decoded: ChangeRecord | MalformedRecord,
    message: KafkaMessage,
    batch: BatchContext,
  ): PreparedEvent | Promise<PreparedEvent | null> {
    const { topic, partition } = batch;
    if (isMalformed(decoded)) return this.rejected(decoded, message, batch);
    if (decoded.kind === 'tombstone') return SKIP;
    const event = decoded;
    const offset = BigInt(message.offset);
    if (event.kind === 'read') {
      if (event.source.snapshot === 'incremental') return this.windowRow(event, message, offset, batch);
      if (event.source.sequence?.[0] != null) return this.blockingSnapshotRow(event, message, offset, batch);
      if (this.isLateSnapshot(event)) {
        if (this.deps.fullSnapshots?.live) return this.resnapshotRow(event, message, offset, batch);
        this.refuseLateSnapshot(event, offset, batch);
      }
      const opIdOf = (i: number) => snapshotEventOpId(this.deps.generation, i, partition, offset);
      const index = this.topicIndexes.get(topic);
      if (index !== undefined) return rowEvent(event, null, opIdOf(index), message, offset);
      return this.topicIndex(topic).then((i) => rowEvent(event, null, opIdOf(i), message, offset));
    }
    const block = event.transaction;
    // Non-transactional logical messages have no place in commit order.
    if (block === null) return SKIP;
    const at: EventTransaction = {
      xid: block.xid,
      lsn: event.source.lsn ?? block.lsn,
      lastCommitLsn: event.source.sequence?.[0] ?? null,
    };
    const found = this.deps.transactions.tracker.lookup(at.xid, at.lsn, at.lastCommitLsn);
    if (found.status === 'ended') return this.inTransaction(event, found.transaction, message, offset, batch);
    if (found.status === 'covered') return SKIP;
    return this.waitForEnd(at, offset, batch).then((tx) => {
      if (tx === null) return null;
      return tx === 'covered' ? SKIP : this.inTransaction(event, tx, message, offset, batch);
    });
  }

  /**
   * A record the decoder rejected goes to the dead-letter topic. If it still names its transaction
   * (a Debezium event of a shape the decoder does not handle), END counts it, so it is counted as
   * processed too: one bad record must not hold every later checkpoint back.
   */
  private async rejected(
    record: MalformedRecord,
    message: KafkaMessage,
    batch: BatchContext,
  ): Promise<PreparedEvent | null> {
    await this.deps.deadLetters.send(record.reason, record.detail, message, batch.topic, batch.partition);
    const salvaged = record.transaction;
    if (salvaged === null) return SKIP;
    const offset = record.position.offset;
    const tx = await this.waitForEnd(
      { xid: salvaged.xid, lsn: salvaged.lsn, lastCommitLsn: null },
      offset,
      batch,
    );
    if (tx === null) return null;
    if (tx === 'covered') return SKIP;
    return { kind: 'counted', offset, ref: { endOffset: tx.endOffset, totalOrder: salvaged.totalOrder } };
  }

  /** A streaming event whose transaction END is known. */
  private inTransaction(
    event: ChangeEvent,
    tx: EndedTransaction,
    message: KafkaMessage,
    offset: bigint,
    batch: BatchContext,
  ): PreparedEvent | Promise<PreparedEvent> {
    const ref = { endOffset: tx.endOffset, totalOrder: event.transaction!.totalOrder };
    const opId = streamOpId(this.deps.generation, tx.endOffset, ref.totalOrder);
    switch (event.kind) {
      case 'message':
        return this.message(event, ref, message, offset, batch);
      case 'truncate': {
        const table = dataCollectionOf(event);
        return {
          kind: 'truncate',
          offset,
          ref,
          table,
          opId,
          barrier: this.barrierBefore(tx),
          lsn: event.source.lsn,
        };
      }
      default:
        return rowEvent(event, ref, opId, message, offset, windowOpId(this.deps.generation, tx.endOffset));
    }
  }

  /** A logical message: a write checkpoint when it has our prefix (dead-lettered if malformed). */
  private message(
    event: Extract<ChangeEvent, { kind: 'message' }>,
    ref: EventRef,
    message: KafkaMessage,
    offset: bigint,
    batch: BatchContext,
  ): PreparedEvent | Promise<PreparedEvent> {
    if (event.message.prefix !== this.deps.writeCheckpointPrefix)
      return { kind: 'message', offset, ref, writeCheckpoint: null };
    const writeCheckpoint = parseWriteCheckpoint(event.message.content);
    const prepared: PreparedEvent = { kind: 'message', offset, ref, writeCheckpoint };
    if (writeCheckpoint !== null) return prepared;
    return this.deps.deadLetters
      .send(
        'invalid-write-checkpoint',
        `content is not <user_id>/<client_id>:<n>`,
        message,
        batch.topic,
        batch.partition,
      )
      .then(() => prepared);
  }

  /** The event's transaction once its END is read; 'covered' for a re-delivery; null when stopped. */
  private waitForEnd(
    at: EventTransaction,
    offset: bigint,
    batch: BatchContext,
  ): Promise<EndedTransaction | 'covered' | null> {
    const { transactions } = this.deps;
    const { xid, lsn } = at;
    return this.waitUntilEnded(
      () => {
        const found = transactions.tracker.lookup(xid, lsn, at.lastCommitLsn);
        if (found.status !== 'pending' && found.status !== 'unknown') return found;
        if (transactions.caughtUp && transactions.tracker.endsBeforeWindow(at.lastCommitLsn))
          throw new TransactionOutsideWindowError(
            `the event at ${batch.topic}/${batch.partition}@${offset} (xid ${xid}) belongs to a transaction ` +
              `that ended before the transaction reader's start (offset ${transactions.startOffset}), so its END ` +
              'will never be read. A rewind of the consumer group past committed offsets must lower P:txlow ' +
              'for the rewound partitions (docs/consistency.md §5.3)',
          );
        return found;
      },
      { xid: String(xid), lsn: String(lsn) },
      offset,
      batch,
    );
  }

  /**
   * A row read by an incremental snapshot: placed in the transaction that closed its window
   * (`windowOpId`, above every earlier transaction), not counted toward it; the coordinator holds
   * that transaction's checkpoint until every partition is past the window's rows (§3.1).
   */
  private windowRow(
    event: ChangeEvent,
    message: KafkaMessage,
    offset: bigint,
    batch: BatchContext,
  ): PreparedEvent | Promise<PreparedEvent | null> {
    const at = event.source.sequence?.[1] ?? event.source.sequence?.[0] ?? null;
    const where = `${batch.topic}/${batch.partition}@${offset}`;
    if (!this.deps.snapshotWindows)
      throw new SnapshotWindowError(
        `an incremental snapshot row arrived (${where}) but SYNCLINE_SIGNAL_TABLE is not set, so ` +
          "checkpoints would not wait for the snapshot's windows: set it to the connector's " +
          'signal.data.collection on every evaluator (docs/consistency.md §3.1)',
      );
    if (at === null)
      throw new SnapshotWindowError(
        `the incremental snapshot row at ${where} has no source.sequence to place it by`,
      );
    const row = (tx: EndedTransaction): PreparedEvent =>
      rowEvent(event, null, windowOpId(this.deps.generation, tx.endOffset), message, offset);
    // The leader learns the snapshot's last window from these records (whole snapshots, §3.1).
    const place = (tx: EndedTransaction): PreparedEvent | Promise<PreparedEvent> => {
      if (tx.endOffset <= this.windowRecorded) return row(tx);
      return this.deps.coordination.recordWindowPlaced(tx.endOffset).then(() => {
        if (tx.endOffset > this.windowRecorded) this.windowRecorded = tx.endOffset;
        return row(tx);
      });
    };
    const { tracker } = this.deps.transactions;
    const found = tracker.lookupWindow(at);
    if (found.status === 'ended') return place(found.transaction);
    if (found.status === 'covered') return SKIP;
    let unknownSince: number | null = null;
    return this.waitUntilEnded(
      () => {
        const now = tracker.lookupWindow(at);
        const maybeCovered =
          now.status === 'unknown' && this.deps.transactions.caughtUp && at <= tracker.coveredCommitLsn;
        if (!maybeCovered) unknownSince = null;
        else if (unknownSince === null) unknownSince = Date.now();
        else if (Date.now() - unknownSince >= UNKNOWN_WINDOW_GRACE_MS) return { status: 'covered' };
        return now;
      },
      { windowLsn: String(at) },
      offset,
      batch,
    ).then((tx) => (tx === null ? null : tx === 'covered' ? SKIP : place(tx)));
  }

  /**
   * A full-snapshot row that names a commit before it (`source.sequence[0]`; an initial snapshot's
   * rows name none) was read while the connector streamed: a blocking snapshot. Debezium reads it
   * after the position it resumes streaming from, so the rows already hold changes streamed after
   * them, and no checkpoint could show them as a state Postgres had (docs/consistency.md §3.3).
   * Dead-lettered and skipped: before this check such rows took initial-snapshot op ids below the
   * checkpoint, which clients holding data never receive.
   */
  private blockingSnapshotRow(
    event: ChangeEvent,
    message: KafkaMessage,
    offset: bigint,
    batch: BatchContext,
  ): Promise<PreparedEvent> {
    if (!this.blockingReported.has(batch.topic)) {
      this.blockingReported.add(batch.topic);
      this.deps.logger.error(
        { topic: batch.topic, partition: batch.partition, offset: String(offset) },
        'rows of a Debezium blocking snapshot are dead-lettered and skipped (SYNC_E315): read the table ' +
          'with an incremental snapshot instead (docs/evaluator.md, "Adding a table later")',
      );
    }
    return this.deps.deadLetters
      .send(
        'blocking-snapshot',
        `blocking snapshot row read at LSN ${event.source.lsn} while streaming (after commit ` +
          `${event.source.sequence?.[0]}): use an incremental snapshot`,
        message,
        batch.topic,
        batch.partition,
      )
      .then(() => SKIP);
  }

  /**
   * A full snapshot (not incremental) taken after a commit the checkpoint covers is a second
   * snapshot (a lost slot, a new connector): its op ids in the initial range would lie below that
   * checkpoint (§3.2).
   */
  private isLateSnapshot(event: ChangeEvent): boolean {
    const covered = this.deps.transactions.tracker.coveredCommitLsn;
    const taken = event.source.lsn;
    return taken !== null && covered >= 0n && taken > covered;
  }

  /**
   * A row of a second full snapshot, placed at `windowOpId(A)`, A the first transaction committed
   * after the snapshot's LSN (§3.2). The row carries the truncate of its table just below that op
   * id (A's BEGIN offset, which no event uses): rows the snapshot does not read again (deleted
   * while the slot was gone) are removed, rows it reads survive. A row whose A a published
   * checkpoint covers is a replay: the coordinator passes A only after every partition is past
   * the snapshot's rows.
   */
  private resnapshotRow(
    event: ChangeEvent,
    message: KafkaMessage,
    offset: bigint,
    batch: BatchContext,
  ): Promise<PreparedEvent | null> {
    const { tracker } = this.deps.transactions;
    const lsn = event.source.lsn!;
    return this.waitUntilEnded(
      () => tracker.firstEndAfter(lsn),
      { resnapshotLsn: String(lsn) },
      offset,
      batch,
    ).then(async (tx) => {
      if (tx === null) return null;
      if (tx === 'covered') return SKIP;
      if (this.anchorsRecorded !== tx.endOffset) {
        await this.deps.coordination.recordResnapshotAnchor(tx.endOffset);
        this.anchorsRecorded = tx.endOffset;
      }
      const opId = windowOpId(this.deps.generation, tx.endOffset);
      const row = rowEvent(event, null, opId, message, offset) as RowEvent;
      const truncateFirst: TruncateEvent = {
        kind: 'truncate',
        offset,
        ref: null,
        table: row.table,
        opId: opId - 1n,
        barrier: this.barrierBefore(tx),
        lsn,
      };
      return { ...row, truncateFirst };
    });
  }

  private refuseLateSnapshot(event: ChangeEvent, offset: bigint, batch: BatchContext): void {
    const covered = this.deps.transactions.tracker.coveredCommitLsn;
    const taken = event.source.lsn;
    throw new SnapshotAfterStreamingError(
      `the snapshot row at ${batch.topic}/${batch.partition}@${offset} was read at LSN ${taken}, after commit ` +
        `${covered} that a published checkpoint covers: the connector snapshotted again (a lost replication ` +
        'slot, a new connector, snapshot.mode=always). Reprocess into a new deployment (docs/consistency.md §3.2)',
    );
  }

  /** A truncate in `tx` waits until the checkpoint covers the transaction before it. */
  private barrierBefore(tx: EndedTransaction): bigint {
    return this.deps.transactions.tracker.truncateBarrier(tx.endOffset);
  }

  /** Waits until `find` says the transaction ended or is covered; null when stopped. */
  private async waitUntilEnded(
    find: () => TransactionLookup,
    describe: Record<string, string>,
    offset: bigint,
    batch: BatchContext,
  ): Promise<EndedTransaction | 'covered' | null> {
    const { transactions, logger } = this.deps;
    const started = Date.now();
    let warned = false;
    for (;;) {
      const found = find();
      if (found.status === 'ended') return found.transaction;
      if (found.status === 'covered') return 'covered';
      if (batch.signal.aborted) return null;
      await transactions.waitForAdvance(500, batch.signal);
      await batch.heartbeat();
      if (!warned && Date.now() - started > 30_000) {
        warned = true;
        logger.warn(
          { ...describe, position: String(offset), topic: batch.topic },
          'event waits for its transaction END for more than 30 s',
        );
      }
    }
  }

  private async topicIndex(topic: string): Promise<number> {
    let index = this.topicIndexes.get(topic);
    if (index === undefined) {
      index = await this.deps.coordination.topicIndex(topic);
      this.topicIndexes.set(topic, index);
    }
    return index;
  }
}

/**
 * `transactionFloor`: the op id below every event of the event's transaction (null for snapshot
 * rows, which are never part of a key change).
 */
function rowEvent(
  event: ChangeEvent,
  ref: EventRef | null,
  opId: bigint,
  message: KafkaMessage,
  offset: bigint,
  transactionFloor: bigint | null = null,
): PreparedEvent {
  const image =
    event.kind === 'create' || event.kind === 'update' || event.kind === 'read' ? event.after : null;
  // A primary-key change: Debezium's key headers, read by the decoder.
  let keyChange: RowEvent['keyChange'] = null;
  if (transactionFloor !== null && event.kind === 'create' && event.oldKey !== null)
    keyChange = { from: stringifyJson(event.oldKey), since: transactionFloor };
  else if (event.kind === 'delete' && event.newKey !== null) keyChange = 'delete';
  return {
    kind: 'row',
    offset,
    ref,
    table: dataCollectionOf(event),
    pk: event.key === null ? '' : stringifyJson(event.key),
    opId,
    lsn: event.source.lsn,
    image: image?.values ?? null,
    unavailable: image?.unavailableColumns ?? [],
    columns: event.rowSchema === null ? [] : event.rowSchema.columns,
    message,
    keyChange,
  };
}
