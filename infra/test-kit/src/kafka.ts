// kafkajs helpers for tests: a quiet client, explicit topic creation (the broker does not
// auto-create), and reading topics from the beginning until a condition holds.
import { Kafka, logLevel, type IHeaders, type KafkaMessage } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { ensureTopics, waitForTopics } from '@syncline/kafka-topics';
import { loadStackConfig, repoRoot, storedBatches, type StoredBatch } from '@syncline/stack';
import { getTestStack } from './test-stack';

export function testKafka(brokers: readonly string[], clientId = 'syncline-test'): Kafka {
  return new Kafka({ clientId, brokers: [...brokers], logLevel: logLevel.NOTHING });
}

export async function createTopic(
  kafka: Kafka,
  topic: string,
  partitions: number,
  configEntries: Array<{ name: string; value: string }> = [],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, [{ topic, numPartitions: partitions, configEntries }]);
  } finally {
    await admin.disconnect();
  }
}

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  /** The value's bytes, for binary formats (Avro) that `value` would mangle. */
  readonly valueBytes: Buffer | null;
  readonly headers: Record<string, string>;
}

function toRecord(topic: string, partition: number, m: KafkaMessage): ReadRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.headers ?? ({} as IHeaders)))
    headers[k] = v === undefined ? '' : String(v);
  return {
    topic,
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ? m.value.toString('utf8') : null,
    valueBytes: m.value ?? null,
    headers,
  };
}

/**
 * Consumes `topics` from the beginning with a fresh group until `done(records)` is true.
 * Fails with what was read so far when `timeoutMs` passes: a wait for an event, never a sleep.
 */
export async function readUntil(
  kafka: Kafka,
  topics: readonly string[],
  done: (records: readonly ReadRecord[]) => boolean,
  timeoutMs = 60000,
): Promise<ReadRecord[]> {
  const consumer = kafka.consumer({
    groupId: `test-reader-${randomBytes(4).toString('hex')}`,
    maxWaitTimeInMs: 200,
  });
  const records: ReadRecord[] = [];
  await waitForTopics(kafka, topics, timeoutMs);
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const seen = records.map((r) => `${r.topic}[${r.partition}]@${r.offset}`).join(', ');
        reject(
          new Error(
            `condition not met after ${timeoutMs} ms on ${topics.join(', ')}; read ${records.length}: ${seen}`,
          ),
        );
      }, timeoutMs);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            records.push(toRecord(topic, partition, message));
            if (done(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/**
 * The record batches the run's broker stored for a topic partition (DumpLogSegments on its log
 * files), or null when the stack's broker is not a local process of this machine (testcontainers,
 * external endpoints): its log files are out of reach.
 */
export async function storedBatchesOf(topic: string, partition: number): Promise<StoredBatch[] | null> {
  if (getTestStack().kind !== 'local') return null;
  return storedBatches(loadStackConfig(process.env, repoRoot()), topic, partition);
}
