// The accounts workload the evaluator benchmarks pre-produce into Kafka: Debezium-format change
// records of a 3-column table (data topic, 6 partitions) and their BEGIN/END records (transaction
// topic, 1 partition), written straight by a producer so Connect is not involved.
import type { Kafka, Message, Producer } from 'kafkajs';
import { ensureTopics } from '@syncline/kafka-topics';
import { ACCOUNTS, type DebeziumRecordGenerator } from '@syncline/test-kit';

export const PARTITIONS = 6;

/** Sends in chunks that stay under the broker's 1 MB batch limit, keeping order per topic. */
export async function send(
  producer: Producer,
  g: DebeziumRecordGenerator,
  data: Message[],
  tx: Message[],
): Promise<void> {
  for (let i = 0; i < data.length; i += 250)
    await producer.send({ topic: g.dataTopic, messages: data.slice(i, i + 250) });
  for (let i = 0; i < tx.length; i += 500)
    await producer.send({ topic: g.txTopic, messages: tx.slice(i, i + 500) });
}

export async function createTopics(kafka: Kafka, g: DebeziumRecordGenerator): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [
    { topic: g.dataTopic, numPartitions: PARTITIONS },
    { topic: g.txTopic, numPartitions: 1 },
  ]);
  await admin.disconnect();
}

export interface ProducedWorkload {
  /** Change records after the first transaction (which inserts every account). */
  readonly events: number;
  /** Change records in all, the first transaction's included. */
  readonly totalEvents: number;
  /** Transactions in all, the first included. */
  readonly transactions: number;
}

/**
 * Creates the topics and produces one transaction inserting every account, then `transactions`
 * updates of one or two accounts each (two distinct accounts when the arithmetic allows).
 */
export async function produceAccountsWorkload(
  kafka: Kafka,
  g: DebeziumRecordGenerator,
  transactions: number,
): Promise<ProducedWorkload> {
  await createTopics(kafka, g);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const now = Date.now();
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => i + 1);
    const first = g.transaction(ids, 'c', now);
    await send(producer, g, first.data, first.tx);
    let events = 0;
    for (let done = 0; done < transactions;) {
      const data: Message[] = [];
      const tx: Message[] = [];
      for (let i = 0; i < 1000 && done < transactions; i++, done++) {
        const a = 1 + ((done * 7919) % ACCOUNTS);
        const b = 1 + ((done * 104729 + 17) % ACCOUNTS);
        const t = g.transaction(a === b ? [a] : [a, b], 'u', now);
        data.push(...t.data);
        tx.push(...t.tx);
        events += t.data.length;
      }
      await send(producer, g, data, tx);
    }
    return { events, totalEvents: events + ACCOUNTS, transactions: transactions + 1 };
  } finally {
    await producer.disconnect();
  }
}
