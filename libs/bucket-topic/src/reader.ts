// Consumer side with I/O: decodes bucket topic records through the schema registry and reads a
// whole bucket topic, from the beginning up to the end offsets it had when the read started,
// into a BucketMaterializer.
import { randomBytes } from 'node:crypto';
// The serde's modules by path (see encoder.ts: its index loads every KMS driver).
import { AvroDeserializer } from '@confluentinc/schemaregistry/dist/serde/avro';
import { SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry/dist/serde/serde';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { BucketRecordDecodeError, BucketTopicError, BucketTopicReadTimeoutError } from './errors';
import { BucketMaterializer } from './materializer';
import { parseBucketOpKey, type BucketOpKey, type BucketOpRecord } from './record';
import { fromAvro } from './schema';

/** One record of a bucket topic, decoded. `op` is null for a tombstone. */
export interface BucketTopicMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: BucketOpKey;
  readonly op: BucketOpRecord | null;
}

/** Decodes bucket topic records (Confluent wire format: magic 0 + schema id + Avro). */
export class BucketOpDeserializer {
  private constructor(private readonly avro: AvroDeserializer) {}

  static create(schemaRegistryUrl: string): BucketOpDeserializer {
    const registry = new SchemaRegistryClient({ baseURLs: [schemaRegistryUrl] });
    return new BucketOpDeserializer(
      new AvroDeserializer(registry, SerdeType.VALUE, {
        subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
      }),
    );
  }

  /** Decodes one Kafka message; throws BucketRecordDecodeError naming topic/partition/offset. */
  async decode(topic: string, partition: number, message: KafkaMessage): Promise<BucketTopicMessage> {
    const fail = (reason: string, cause?: unknown): never => {
      throw new BucketRecordDecodeError(topic, partition, message.offset, reason, { cause });
    };
    if (message.key === null) return fail('record has no key');
    let key: BucketOpKey;
    try {
      key = parseBucketOpKey(message.key.toString('utf8'));
    } catch (err) {
      return fail((err as Error).message, err);
    }
    if (message.value === null) return { topic, partition, offset: message.offset, key, op: null };
    let value: unknown;
    try {
      value = await this.avro.deserialize(topic, message.value);
    } catch (err) {
      return fail(`value does not deserialize: ${(err as Error).message}`, err);
    }
    const op = fromAvro(value);
    if (typeof op === 'string') return fail(op);
    if (
      op.bucket !== key.bucket ||
      op.objectType !== key.objectType ||
      op.objectId !== key.objectId ||
      op.subkey !== key.subkey
    ) {
      return fail('key and value name different rows');
    }
    return { topic, partition, offset: message.offset, key, op };
  }
}

export interface ReadBucketTopicOptions {
  readonly kafka: Kafka;
  readonly schemaRegistryUrl: string;
  readonly topic: string;
  /** Where ops are applied; defaults to BucketMaterializer.allBuckets(). */
  readonly materializer?: BucketMaterializer;
  /** Sees every decoded record in partition order (e.g. to check placement or count duplicates). */
  readonly onMessage?: (message: BucketTopicMessage) => void;
  /** Fails with BucketTopicReadTimeoutError if the end offsets are not reached by then (default 60 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads `topic` from the beginning until every partition reaches the end offset it had when the
 * read started, applying each op to the materializer. Uses a throw-away consumer group (deleted
 * afterwards) and commits nothing.
 */
export async function readBucketTopic(options: ReadBucketTopicOptions): Promise<BucketMaterializer> {
  const { kafka, topic } = options;
  const materializer = options.materializer ?? BucketMaterializer.allBuckets();
  const deserializer = BucketOpDeserializer.create(options.schemaRegistryUrl);
  const remaining = await endOffsets(kafka, topic);
  if (remaining.size === 0) return materializer;

  const groupId = `syncline-bucket-reader-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  const position = new Map<number, bigint>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = options.timeoutMs ?? 60000;
      const timer = setTimeout(() => {
        const behind = [...remaining].map(([p, end]) => `${p}: at ${position.get(p) ?? 'start'} of ${end}`);
        reject(
          new BucketTopicReadTimeoutError(
            `${topic} not read to its end within ${timeoutMs} ms (${behind.join(', ')})`,
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(options.signal?.reason ?? new BucketTopicError('read aborted'));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const finish = (err?: unknown): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) {
              const decoded = await deserializer.decode(topic, batch.partition, message);
              if (decoded.op === null) materializer.forget(decoded.key);
              else materializer.apply(decoded.op);
              options.onMessage?.(decoded);
              position.set(batch.partition, BigInt(message.offset) + 1n);
            }
            const end = remaining.get(batch.partition);
            const at = position.get(batch.partition);
            if (end !== undefined && at !== undefined && at >= end) remaining.delete(batch.partition);
            if (remaining.size === 0) finish();
          },
        })
        .catch(finish);
      consumer.on(consumer.events.CRASH, (event) => finish(event.payload.error));
    });
  } finally {
    await consumer.disconnect();
  }
  await deleteGroupQuietly(kafka, groupId);
  return materializer;
}

/** Partition -> end offset (high watermark) for partitions that hold records. */
async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const ends = new Map<number, bigint>();
    for (const o of offsets) if (BigInt(o.high) > BigInt(o.low)) ends.set(o.partition, BigInt(o.high));
    return ends;
  } finally {
    await admin.disconnect();
  }
}

async function deleteGroupQuietly(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // Only hygiene: an empty group without offsets expires on its own (offsets.retention.minutes).
  } finally {
    await admin.disconnect();
  }
}
