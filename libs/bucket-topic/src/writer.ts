// Writes bucket ops to a bucket topic: creates the compacted topic, registers the Avro value
// schema, and sends each call's ops as one idempotent acks=all batch, keyed per row and
// partitioned per bucket.
// The registry client by path (see encoder.ts: the package's index loads every KMS driver).
import { SchemaRegistryClient } from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import { ConfigResourceTypes, Kafka, logLevel, type Admin, type Message, type Producer } from 'kafkajs';
import { ensureTopics } from '@syncline/kafka-topics';
import { BucketTopicConfigError, BucketTopicMismatchError } from './errors';
import { BucketPartitioner, bucketPartition } from './partitioner';
import { BucketOpEncoder } from './encoder';
import { bucketOpKey, validateBucketOp, type BucketOpRecord } from './record';

export interface BucketTopicConfig {
  brokers: string[];
  schemaRegistryUrl: string;
  topic: string;
  partitions: number;
  clientId?: string;
}

const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * The broker rejects a record batch above message.max.bytes (1 MiB by default); one partition's
 * share of a send stays under this, larger writes become several sends in order.
 */
const MAX_PARTITION_BYTES_PER_SEND = 900 * 1024;

export class BucketTopicWriter {
  private constructor(
    private readonly config: BucketTopicConfig,
    private readonly producer: Producer,
    private readonly encoder: BucketOpEncoder,
  ) {}

  /** Registry id of the value schema this writer encodes with. */
  get schemaId(): number {
    return this.encoder.schemaId;
  }

  /**
   * Creates the topic if missing (compacted, `partitions` partitions), checks an existing one
   * has the same partition count and is compacted, registers the value schema under
   * `<topic>-value` and connects an idempotent producer.
   */
  static async open(config: BucketTopicConfig, kafka?: Kafka): Promise<BucketTopicWriter> {
    validateConfig(config);
    const client =
      kafka ??
      new Kafka({
        clientId: config.clientId ?? 'syncline-bucket-topic',
        brokers: [...config.brokers],
        logLevel: logLevel.WARN,
      });
    const admin = client.admin();
    await admin.connect();
    try {
      await ensureBucketTopic(admin, config.topic, config.partitions);
    } finally {
      await admin.disconnect();
    }
    const encoder = await BucketOpEncoder.register(
      new SchemaRegistryClient({ baseURLs: [config.schemaRegistryUrl] }),
      config.topic,
    );
    const producer = client.producer({
      idempotent: true,
      // Ordering within a bucket must survive retries.
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: BucketPartitioner,
    });
    await producer.connect();
    return new BucketTopicWriter(config, producer, encoder);
  }

  get topic(): string {
    return this.config.topic;
  }

  /**
   * Writes `ops` in array order (which must be op_id order per bucket). Resolves once every op
   * is acknowledged by all in-sync replicas. The same op always produces the same key and value
   * bytes, so re-writing after a crash only adds duplicates that compaction and consumers drop.
   */
  async write(ops: readonly BucketOpRecord[]): Promise<void> {
    if (ops.length === 0) return;
    for (const op of ops) validateBucketOp(op);
    const messages: Message[] = ops.map((op) => ({ key: bucketOpKey(op), value: this.encoder.encode(op) }));
    for (const chunk of chunkByPartitionBytes(ops, messages, this.config.partitions)) {
      await this.producer.send({ topic: this.config.topic, acks: -1, messages: chunk });
    }
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
  }
}

function validateConfig(config: BucketTopicConfig): void {
  if (!Array.isArray(config.brokers) || config.brokers.length === 0) {
    throw new BucketTopicConfigError('brokers: at least one host:port is required');
  }
  if (!/^https?:\/\//.test(config.schemaRegistryUrl ?? '')) {
    throw new BucketTopicConfigError(
      `schemaRegistryUrl: expected an http(s) URL of the Confluent-compatible API, got ${JSON.stringify(config.schemaRegistryUrl)}`,
    );
  }
  if (!TOPIC_NAME.test(config.topic ?? '')) {
    throw new BucketTopicConfigError(
      `topic: ${JSON.stringify(config.topic)} is not a legal Kafka topic name`,
    );
  }
  if (!Number.isInteger(config.partitions) || config.partitions < 1 || config.partitions > 10000) {
    throw new BucketTopicConfigError(
      `partitions: expected an integer from 1 to 10000, got ${config.partitions}`,
    );
  }
}

async function ensureBucketTopic(admin: Admin, topic: string, partitions: number): Promise<void> {
  // A topic that already exists (e.g. created by a sibling evaluator in the same instant) is
  // left as it is; the checks below then apply to it alike.
  await ensureTopics(admin, [
    { topic, numPartitions: partitions, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
  ]);
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const actual = meta.topics[0]?.partitions.length ?? 0;
  if (actual !== partitions) {
    throw new BucketTopicMismatchError(
      topic,
      `has ${actual} partitions, not ${partitions} (buckets would change partition)`,
    );
  }
  const policy = await topicCleanupPolicy(admin, topic);
  if (!policy.split(',').includes('compact')) {
    throw new BucketTopicMismatchError(topic, `has cleanup.policy=${policy}, not compact`);
  }
}

/** The topic's effective cleanup.policy. */
export async function topicCleanupPolicy(admin: Admin, topic: string): Promise<string> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] }],
  });
  return (
    described.resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? ''
  );
}

/**
 * Splits messages into sends whose per-partition payload stays under the broker's batch limit,
 * keeping array order (so each bucket's order) across sends. Nearly always one chunk.
 */
function chunkByPartitionBytes(
  ops: readonly BucketOpRecord[],
  messages: Message[],
  partitions: number,
): Message[][] {
  const chunks: Message[][] = [[]];
  let bytes = new Map<number, number>();
  messages.forEach((m, i) => {
    const p = bucketPartition(ops[i]!.bucket, partitions);
    const size = (m.value as Buffer).length + Buffer.byteLength(m.key as string) + 64;
    const used = bytes.get(p) ?? 0;
    if (used > 0 && used + size > MAX_PARTITION_BYTES_PER_SEND) {
      chunks.push([]);
      bytes = new Map();
    }
    chunks[chunks.length - 1]!.push(m);
    bytes.set(p, (bytes.get(p) ?? 0) + size);
  });
  return chunks;
}
