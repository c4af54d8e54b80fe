// Tails the connector's notification topic (Debezium's sink notification channel) from its
// beginning, like the transaction reader (every instance reads all of it, committing nothing),
// into IncrementalSnapshots. The topic appears with the connector's first notification, so the
// reader subscribes once it exists; until then there is nothing to know.
import type { Admin, Consumer, Kafka } from 'kafkajs';
import type { KafkaRecord } from '@syncline/cdc';
import type { Logger } from 'pino';
import { sleep } from '@syncline/service-runtime';
import { IncrementalSnapshots, type RunningSnapshot } from './incremental-snapshots';
import { consumerRetry, watchConsumerCrashes } from './consumer-crash';

/** What the coordinator and the processors ask about full snapshots taken after streaming began. */
export interface FullSnapshotNotifications {
  /**
   * Subscribed to a one-partition topic: only then is the order of its records the order they
   * were sent (full-snapshot notifications have a new key each, so several partitions mix them).
   */
  readonly live: boolean;
  /** The topic's high-water mark per partition now, or null while the topic does not exist. */
  marks(): Promise<ReadonlyMap<number, bigint> | null>;
  /** Every record below `marks` has been applied. */
  readUpTo(marks: ReadonlyMap<number, bigint>): boolean;
  readonly snapshots: Pick<IncrementalSnapshots, 'initialRunning' | 'lastInitialCompleted'>;
}

/** And before a checkpoint covers an incremental snapshot's window. */
export interface SnapshotNotifications extends FullSnapshotNotifications {
  readonly topic: string;
  running(consumed: (collection: string) => boolean): RunningSnapshot | null;
  /** Where the last incremental snapshot ended (its COMPLETED or ABORTED), or null. */
  lastEnded(): bigint | null;
}

export interface NotificationReaderOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topic: string;
  readonly groupId: string;
  readonly logger: Logger;
  /** The reader's consumer stopped for good (SYNC_E411): the evaluator must halt. */
  readonly onFatal: (error: Error) => void;
  /** Avro: a record's value as JSON text (default: the JSON converter's value as it is). */
  readonly notificationValue?: (record: KafkaRecord) => Promise<Buffer | string | null>;
}

export class NotificationReader implements SnapshotNotifications {
  readonly snapshots = new IncrementalSnapshots();
  /** The next offset to apply, per partition. */
  private readonly positions = new Map<number, bigint>();
  private consumer: Consumer | null = null;
  private joined = 0;
  private partitions = 0;

  constructor(private readonly options: NotificationReaderOptions) {}

  get topic(): string {
    return this.options.topic;
  }

  /** Subscribes once the topic exists (polling every 2 s until then); resolves when it runs or on abort. */
  async start(signal: AbortSignal): Promise<void> {
    const { kafka, admin, topic, logger } = this.options;
    while (!signal.aborted && !(await admin.listTopics()).includes(topic)) await sleep(2000, signal);
    if (signal.aborted) return;
    this.partitions = (await admin.fetchTopicOffsets(topic)).length;
    if (this.partitions > 1)
      logger.error(
        { topic, partitions: this.partitions },
        'the notification topic has several partitions: full snapshots after streaming began are ' +
          'refused (SYNC_E409) instead of handled in place (docs/consistency.md §3.2)',
      );
    const consumer = kafka.consumer({
      groupId: this.options.groupId,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: consumerRetry(signal),
    });
    this.consumer = consumer;
    watchConsumerCrashes(consumer, 'notification reader', logger, this.options.onFatal, signal);
    // Nothing is committed, so a rejoin starts at the beginning again: seek back. Records below
    // a partition's position are skipped in any case (a STARTED read twice must not revive a
    // snapshot that completed).
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.joined++ === 0) return;
      for (const [partition, offset] of this.positions)
        consumer.seek({ topic, partition, offset: offset.toString() });
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const asJson = this.options.notificationValue;
        const messages =
          asJson === undefined
            ? batch.messages
            : await Promise.all(
                batch.messages.map(async (m) => ({
                  offset: m.offset,
                  value: await asJson({ ...m, topic, partition: batch.partition }),
                })),
              );
        this.ingest(batch.partition, messages);
        const high = BigInt(batch.highWatermark);
        if ((this.positions.get(batch.partition) ?? 0n) < high && batch.messages.length === 0)
          this.positions.set(batch.partition, high);
      },
    });
    logger.info({ topic }, 'reading the connector notification topic');
  }

  /** Applies records of one partition in offset order (public for tests without Kafka). */
  ingest(
    partition: number,
    messages: ReadonlyArray<{ offset: string; value: Buffer | string | null }>,
  ): void {
    for (const message of messages) {
      const offset = BigInt(message.offset);
      if (offset < (this.positions.get(partition) ?? 0n)) continue;
      this.snapshots.apply(message.value, offset);
      this.positions.set(partition, offset + 1n);
    }
  }

  get live(): boolean {
    return this.partitions === 1;
  }

  async marks(): Promise<ReadonlyMap<number, bigint> | null> {
    const { admin, topic } = this.options;
    if (this.partitions === 0 && !(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
  }

  readUpTo(marks: ReadonlyMap<number, bigint>): boolean {
    for (const [partition, high] of marks) if ((this.positions.get(partition) ?? 0n) < high) return false;
    return true;
  }

  running(consumed: (collection: string) => boolean): RunningSnapshot | null {
    return this.snapshots.runningFor(consumed);
  }

  lastEnded(): bigint | null {
    return this.snapshots.lastIncrementalEnded;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}
