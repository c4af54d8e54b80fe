// A small workload of generated Debezium records for unit tests of the processor and the
// coordinator: 40 account inserts in one transaction, then 30 two-row transfers, on 2 partitions,
// with a transaction reader whose tracker already knows every BEGIN and END (no Kafka).
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { consumedMessage, DebeziumRecordGenerator } from '@syncline/test-kit';
import { TransactionReader } from '../src/transaction-reader';

export interface Workload {
  readonly batches: Array<{ partition: number; messages: KafkaMessage[] }>;
  readonly tx: TransactionReader;
  /** The transaction-topic records the reader was fed (offset = index). */
  readonly txMessages: ReadonlyArray<{ offset: string; key: Buffer; value: Buffer }>;
}

/** 3 batches per partition of 2 partitions: inserts of 40 accounts, then transfers between them. */
export async function workload(): Promise<Workload> {
  const g = new DebeziumRecordGenerator('unit');
  const data: Array<{ key: string; value: string }> = [];
  const txRecords: Array<{ key: string; value: string }> = [];
  const add = (t: ReturnType<DebeziumRecordGenerator['transaction']>): void => {
    for (const m of t.data) data.push({ key: m.key as string, value: m.value as string });
    for (const m of t.tx) txRecords.push({ key: m.key as string, value: m.value as string });
  };
  add(
    g.transaction(
      Array.from({ length: 40 }, (_, i) => i + 1),
      'c',
      1,
    ),
  );
  for (let i = 0; i < 30; i++) add(g.transaction([1 + ((i * 7) % 40), 1 + ((i * 13 + 5) % 40)], 'u', 2));
  const partitions: KafkaMessage[][] = [[], []];
  for (const d of data) {
    const list = partitions[Number(/"id":(\d+)/.exec(d.key)![1]) % 2]!;
    list.push(consumedMessage(d.key, d.value, list.length, 1));
  }
  const tx = new TransactionReader({
    kafka: new Kafka({ clientId: 'unused', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING }),
    topic: g.txTopic,
    groupId: 'unused',
    logger: pino({ level: 'silent' }),
    onMalformed: async () => undefined,
    onFatal: (error) => {
      throw error;
    },
  });
  const txMessages = txRecords.map((r, i) => ({
    offset: String(i),
    key: Buffer.from(r.key),
    value: Buffer.from(r.value),
    timestamp: String(Date.now()),
  }));
  await tx.ingest(txMessages);
  const batches = partitions.flatMap((messages, partition) =>
    [0, 1, 2].map((b) => ({ partition, messages: messages.slice(b * 20, b * 20 + 20) })),
  );
  return { batches: batches.filter((b) => b.messages.length > 0), tx, txMessages };
}
