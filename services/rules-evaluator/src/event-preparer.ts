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
  type ChangeEvent,
  type MalformedRecord,
} from '@syncline/cdc';
import { stringifyJson } from '@syncline/lossless-json';
import {
  parseWriteCheckpoint,
  streamOpId,
  WRITE_CHECKPOINT_PREFIX,
  type OpIdGeneration,
} from '@syncline/protocol';
import type { DeadLetterSink, ProcessorCoordination } from './ports';
import { SKIP, type EventRef, type PreparedEvent } from './prepared-event';
import { snapshotEventOpId } from './snapshot-numbering';
import type { TransactionReader } from './transaction-reader';
import { TransactionOutsideWindowError } from './transaction-tracker';

export interface PreparerDeps {
  readonly transactions: TransactionReader;
  readonly generation: OpIdGeneration;
  readonly coordination: Pick<ProcessorCoordination, 'topicIndex'>;
  readonly deadLetters: DeadLetterSink;
  readonly logger: Logger;
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

/** Where a data event says it belongs: its xid, its own LSN and the commit LSN before it. */
interface EventTransaction {
  readonly xid: bigint;
  readonly lsn: bigint;
  readonly lastCommitLsn: bigint | null;
}

export class EventPreparer {
  private readonly decoder = new CdcDecoder();
  private readonly topicIndexes = new Map<string, number>();

  constructor(private readonly deps: PreparerDeps) {}

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
    if (isMalformed(decoded)) return this.rejected(decoded, message, batch);
    if (decoded.kind === 'tombstone') return SKIP;
    const event = decoded;
    const offset = BigInt(message.offset);
    if (event.kind === 'read') {
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
        const barrier =
          this.deps.transactions.tracker.previousEndOffset(tx.endOffset) ??
          (tx.beginOffset ?? tx.endOffset) - 1n;
        const table = dataCollectionOf(event);
        return { kind: 'truncate', offset, ref, table, opId, barrier, lsn: event.source.lsn };
      }
      default:
        return rowEvent(event, ref, opId, message, offset);
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
    if (event.message.prefix !== WRITE_CHECKPOINT_PREFIX)
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
  private async waitForEnd(
    at: EventTransaction,
    offset: bigint,
    batch: BatchContext,
  ): Promise<EndedTransaction | 'covered' | null> {
    const { transactions, logger } = this.deps;
    const { xid, lsn } = at;
    const started = Date.now();
    let warned = false;
    for (;;) {
      const found = transactions.tracker.lookup(xid, lsn, at.lastCommitLsn);
      if (found.status === 'ended') return found.transaction;
      if (found.status === 'covered') return 'covered';
      if (transactions.caughtUp && transactions.tracker.endsBeforeWindow(at.lastCommitLsn))
        throw new TransactionOutsideWindowError(
          `the event at ${batch.topic}/${batch.partition}@${offset} (xid ${xid}) belongs to a transaction ` +
            `that ended before the transaction reader's start (offset ${transactions.startOffset}), so its END ` +
            'will never be read. A rewind of the consumer group past committed offsets must lower P:txlow ' +
            'for the rewound partitions (docs/consistency.md §5.3)',
        );
      if (batch.signal.aborted) return null;
      await transactions.waitForAdvance(500, batch.signal);
      await batch.heartbeat();
      if (!warned && Date.now() - started > 30_000) {
        warned = true;
        logger.warn(
          { xid: String(xid), lsn: String(lsn), position: String(offset), topic: batch.topic },
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

function rowEvent(
  event: ChangeEvent,
  ref: EventRef | null,
  opId: bigint,
  message: KafkaMessage,
  offset: bigint,
): PreparedEvent {
  const image =
    event.kind === 'create' || event.kind === 'update' || event.kind === 'read' ? event.after : null;
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
  };
}
