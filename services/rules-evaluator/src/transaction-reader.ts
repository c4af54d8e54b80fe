// Tails the one-partition transaction topic (not as a group member: every instance reads all of
// it) from a start offset stored in Redis, feeding the TransactionTracker and waking waiters.
import type { Consumer, Kafka } from 'kafkajs';
import {
  CdcDecoder,
  isMalformed,
  type ChangeDecoder,
  type MalformedRecord,
  type TransactionEnd,
} from '@syncline/cdc';
import type { Logger } from 'pino';
import type { Checkpoint } from '@syncline/bucket-store';
import { sleep } from '@syncline/service-runtime';
import { TRANSACTION_CONSUMER_FETCH } from './consumer-settings';
import { consumerRetry, watchConsumerCrashes } from './consumer-crash';
import { TransactionRewindError, TransactionTracker, type EndArrival } from './transaction-tracker';
import { WakeUp } from './wake-up';

export interface TransactionReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
  readonly onMalformed: (
    record: MalformedRecord,
    raw: { key: Buffer | null; value: Buffer | null },
  ) => Promise<void>;
  /** JSON (default) or Avro transaction records (`SYNCLINE_CHANGE_FORMAT`). */
  readonly decoder?: ChangeDecoder;
  /**
   * A rewind of the transaction topic (TransactionRewindError), or the reader's consumer stopped
   * for good (ConsumerStoppedError): the evaluator must halt.
   */
  readonly onFatal: (error: Error) => void;
}

export class TransactionReader {
  readonly tracker = new TransactionTracker();
  /** Woken whenever the tracker learns something new (and when the reader stops). */
  readonly advanced = new WakeUp();
  private readonly decoder: ChangeDecoder;
  private consumer: Consumer | null = null;
  private stopped = false;
  private joined = 0;
  /** Where this reader started (the transaction topic offset). */
  startOffset = 0n;
  /** High-water mark of the transaction topic when last seen (for lag). */
  highWater = 0n;

  constructor(private readonly options: TransactionReaderOptions) {
    this.decoder = options.decoder ?? new CdcDecoder();
  }

  get topic(): string {
    return this.options.topic;
  }

  /** Starts reading at `startOffset` once the topic exists (Debezium creates it lazily). */
  async start(startOffset: bigint, signal: AbortSignal): Promise<void> {
    const { kafka, topic, logger } = this.options;
    this.tracker.position = startOffset;
    this.startOffset = startOffset;
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (let waited = 0; !signal.aborted; waited++) {
        const topics = await admin.listTopics();
        if (topics.includes(topic)) break;
        if (waited % 30 === 0)
          logger.info({ topic }, 'waiting for the transaction topic to be created by Debezium');
        await sleep(1000, signal);
      }
    } finally {
      await admin.disconnect();
    }
    if (signal.aborted) return;
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      ...TRANSACTION_CONSUMER_FETCH,
      allowAutoTopicCreation: false,
      retry: consumerRetry(signal),
    });
    this.consumer = consumer;
    watchConsumerCrashes(
      consumer,
      'transaction reader',
      logger,
      (error) => {
        this.stopped = true;
        this.options.onFatal(error);
      },
      signal,
    );
    // The group never commits, so after a rejoin (broker restart, session timeout) the consumer
    // would restart at the topic's beginning: seek back to where the tracker is. Records below
    // the tracker's position are ignored anyway (addBegin/addEnd), so the list stays sorted.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.joined++ > 0) {
        logger.warn({ position: String(this.tracker.position) }, 'transaction reader rejoined; seeking back');
        consumer.seek({ topic, partition: 0, offset: this.tracker.position.toString() });
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        this.highWater = BigInt(batch.highWatermark);
        if (batch.messages.length > 0) await this.ingest(batch.messages);
        else {
          this.tracker.position = BigInt(batch.highWatermark);
          this.advanced.wake();
        }
      },
    });
    consumer.seek({ topic, partition: 0, offset: startOffset.toString() });
  }

  /**
   * Feeds records of the transaction topic (one partition) to the tracker in offset order and wakes
   * waiters; a malformed record goes to onMalformed. The reader loop's step, public so benchmarks
   * and tests can drive the tracker from records without Kafka.
   */
  async ingest(
    messages: ReadonlyArray<{ offset: string; key: Buffer | null; value: Buffer | null; timestamp?: string }>,
  ): Promise<void> {
    const { topic, logger } = this.options;
    const { tracker } = this;
    const redelivered = tracker.redeliveries;
    for (const message of messages) {
      if (BigInt(message.offset) < tracker.position) continue;
      const record = { topic, partition: 0, offset: message.offset, key: message.key, value: message.value };
      const decoding = this.decoder.decodeTransaction(record);
      // Avro: a promise only while a writer schema is fetched for the first time.
      const decoded = decoding instanceof Promise ? await decoding : decoding;
      if (isMalformed(decoded)) {
        await this.options.onMalformed(decoded, { key: message.key, value: message.value });
        tracker.position = BigInt(message.offset) + 1n;
      } else if (decoded.kind === 'begin') tracker.addBegin(decoded);
      else if (!this.addEnd(decoded, arrivalOf(message.timestamp))) return;
    }
    if (tracker.redeliveries > redelivered)
      logger.info(
        { records: tracker.redeliveries - redelivered, position: String(tracker.position) },
        'transaction records re-delivered by Debezium: mapped to the first delivery or skipped as covered',
      );
    this.advanced.wake();
  }

  /** False after a rewind (reported through onFatal; the reader reads no further). */
  private addEnd(end: TransactionEnd, arrival: EndArrival): boolean {
    try {
      this.tracker.addEnd(end, arrival);
      return true;
    } catch (error) {
      if (!(error instanceof TransactionRewindError)) throw error;
      this.stopped = true;
      this.options.onFatal(error);
      return false;
    }
  }

  /** Resolves after the tracker learns something new (or after `ms`). */
  waitForAdvance(ms: number, signal?: AbortSignal): Promise<void> {
    return this.advanced.wait(ms, signal);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.advanced.wake();
    await this.consumer?.disconnect();
  }

  /** The tracker has read everything the topic held when last fetched. */
  get caughtUp(): boolean {
    return this.highWater > 0n && this.tracker.position >= this.highWater;
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}

/** An END read now whose Kafka record carries `timestamp` (ms since the epoch, as text). */
function arrivalOf(timestamp: string | undefined): EndArrival {
  const inKafkaMs = timestamp === undefined ? NaN : Number(timestamp);
  return { inKafkaMs: Number.isFinite(inKafkaMs) && inKafkaMs > 0 ? inKafkaMs : null, readMs: Date.now() };
}

/** The commit LSN a checkpoint covers up to (null before the first, or when not recorded). */
export function lsnOf(checkpoint: Checkpoint | null): bigint | null {
  return checkpoint?.lsn == null ? null : BigInt(checkpoint.lsn);
}
