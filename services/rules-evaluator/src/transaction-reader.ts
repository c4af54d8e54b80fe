// Tails the one-partition transaction topic (not as a group member: every instance reads all of
// it) from a start offset stored in Redis, feeding the TransactionTracker and waking waiters.
import { EventEmitter } from 'node:events';
import type { Consumer, Kafka } from 'kafkajs';
import { CdcDecoder, isMalformed, type MalformedRecord } from '@syncline/cdc';
import type { Logger } from 'pino';
import { sleep } from '@syncline/service-runtime';
import { TransactionTracker } from './transaction-tracker';

export interface TransactionReaderOptions {
  readonly kafka: Kafka;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
  readonly onMalformed: (
    record: MalformedRecord,
    raw: { key: Buffer | null; value: Buffer | null },
  ) => Promise<void>;
}

export class TransactionReader {
  readonly tracker = new TransactionTracker();
  private readonly events = new EventEmitter();
  private readonly decoder = new CdcDecoder();
  private consumer: Consumer | null = null;
  private stopped = false;
  /** High-water mark of the transaction topic when last seen (for lag). */
  highWater = 0n;

  constructor(private readonly options: TransactionReaderOptions) {
    this.events.setMaxListeners(0);
  }

  /** Starts reading at `startOffset` once the topic exists (Debezium creates it lazily). */
  async start(startOffset: bigint, signal: AbortSignal): Promise<void> {
    const { kafka, topic, logger } = this.options;
    this.tracker.position = startOffset;
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
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
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
          this.events.emit('advance');
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
    messages: ReadonlyArray<{ offset: string; key: Buffer | null; value: Buffer | null }>,
  ): Promise<void> {
    const { topic } = this.options;
    for (const message of messages) {
      const record = { topic, partition: 0, offset: message.offset, key: message.key, value: message.value };
      const decoded = this.decoder.decodeTransaction(record);
      if (isMalformed(decoded)) {
        await this.options.onMalformed(decoded, { key: message.key, value: message.value });
        this.tracker.position = BigInt(message.offset) + 1n;
      } else if (decoded.kind === 'begin') this.tracker.addBegin(decoded);
      else this.tracker.addEnd(decoded);
    }
    this.events.emit('advance');
  }

  /** Resolves after the tracker learns something new (or after `ms`). */
  waitForAdvance(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.events.off('advance', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.on('advance', done);
      signal?.addEventListener('abort', done);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.events.emit('advance');
    await this.consumer?.disconnect();
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
