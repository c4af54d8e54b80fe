// Where the `debezium` stage of the latency breakdown (commit -> END record in Kafka) goes at a
// steady rate the machine carries: single-row updates paced at --rate tx/s for --seconds, through
// a capture of its own, then every change record and END record read back. Per record it splits
// commit (source.ts_ms) -> the connector's event (envelope ts_ms: Debezium's streaming thread
// read it from the slot) -> the record's Kafka timestamp (the producer's send: Connect's queue
// poll, the converter, the producer's linger). Prints p50 / p99 / max of each span.
// Usage: npx tsx bench/debezium-latency.ts [--rate 1000] [--seconds 20] [--clients 4]
//        [--override key=value ...]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { parseJson, type JsonValue } from '@syncline/lossless-json';
import { startCapture, useShellStack, deleteKafkaStateOfRun } from '@syncline/test-kit';
import { cleanUpOnInterrupt } from './interrupt';
import { percentile } from './side-by-side-workload';
import { keyValueSettings, runBenchmark } from './script';
import { recordsInTopic } from './topic-records';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '4' },
    override: { type: 'string', multiple: true, default: [] },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const ROWS = 1000;
const overrides = keyValueSettings(args.override, '--override');
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const PG_URL = process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:54329/syncline';

/** The spans of one record, ms; null where the record lacks a time. */
interface RecordSpans {
  readonly toEvent: number | null;
  readonly toKafka: number | null;
}

/** commit -> event -> Kafka for one Debezium record value (change event or END). */
function spansOf(value: JsonValue, kafkaTimestampMs: number): RecordSpans {
  const payload = field(value, 'payload');
  const eventMs = num(field(payload, 'ts_ms'));
  const commitMs = num(field(field(payload, 'source'), 'ts_ms'));
  return {
    toEvent: commitMs === null || eventMs === null ? null : eventMs - commitMs,
    toKafka: eventMs === null ? null : kafkaTimestampMs - eventMs,
  };
}

function field(v: JsonValue | undefined, name: string): JsonValue | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, JsonValue>)[name]
    : undefined;
}

function num(v: JsonValue | undefined): number | null {
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
}

function summary(label: string, values: number[]): string {
  if (values.length === 0) return `${label}: no values`;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(sorted, p));
  return `${label}: p50 ${at(0.5)} / p99 ${at(0.99)} / max ${sorted[sorted.length - 1]} ms (${sorted.length} records)`;
}

/** `total` single-row updates from `clients` connections, paced to `rate` per second overall. */
async function pacedUpdates(schema: string, rate: number, seconds: number, clients: number): Promise<number> {
  const total = Math.round(rate * seconds);
  const start = Date.now() + 200;
  let next = 0;
  const client = async (): Promise<number> => {
    const pg = new Client({ connectionString: PG_URL });
    await pg.connect();
    await pg.query(`SET search_path TO ${schema}`);
    let done = 0;
    for (let i = next++; i < total; i = next++) {
      const due = start + (i * 1000) / rate;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await pg.query('UPDATE items SET n = n + 1 WHERE id = $1', [(i % ROWS) + 1]);
      done++;
    }
    await pg.end();
    return done;
  };
  const counts = await Promise.all(Array.from({ length: clients }, client));
  return counts.reduce((a, b) => a + b, 0);
}

async function main(): Promise<void> {
  useShellStack();
  const capture = await startCapture({
    label: 'bench_dbzlat',
    setupSql: `CREATE TABLE items (id int PRIMARY KEY, n bigint NOT NULL);
      INSERT INTO items SELECT g, 0 FROM generate_series(1, ${ROWS}) g;`,
    partitions: 1,
    overrides,
  });
  cleanUpOnInterrupt(() => capture.close());
  const kafka = new Kafka({ clientId: 'bench-dbzlat', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const dataTopic = capture.tableTopic('items');
  const committed = await pacedUpdates(capture.schema, RATE, SECONDS, CLIENTS);
  const high = (topic: string) => recordsInTopic(admin, topic);
  const deadline = Date.now() + 120_000;
  while ((await high(dataTopic)) < committed || (await high(capture.transactionTopic)) < 2 * committed) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the records in Kafka');
    await new Promise((r) => setTimeout(r, 100));
  }
  const changes: RecordSpans[] = [];
  const ends: number[] = [];
  const consumer = kafka.consumer({ groupId: `${capture.name}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topics: [dataTopic, capture.transactionTopic], fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ topic, message }) => {
          if (message.value === null) return;
          const value = parseJson(message.value.toString('utf8'));
          const kafkaMs = Number(message.timestamp);
          if (topic === dataTopic) changes.push(spansOf(value, kafkaMs));
          else if (field(field(value, 'payload'), 'status') === 'END') {
            const commitMs = num(field(field(value, 'payload'), 'ts_ms'));
            if (commitMs !== null) ends.push(kafkaMs - commitMs);
          }
          if (changes.length >= committed && ends.length >= committed) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  const pick = (k: keyof RecordSpans) => changes.map((c) => c[k]).filter((v): v is number => v !== null);
  process.stdout.write(
    [
      `Debezium latency: ${committed} single-row updates at ${RATE} tx/s for ${SECONDS} s from ${CLIENTS} clients${args.override.length > 0 ? `, ${args.override.join(' ')}` : ''}`,
      `  ${summary('change event, commit -> Debezium event (source.ts_ms -> ts_ms)', pick('toEvent'))}`,
      `  ${summary('change event, Debezium event -> Kafka record timestamp', pick('toKafka'))}`,
      `  ${summary('END record, commit -> Kafka record timestamp (the debezium stage)', ends)}`,
      '',
    ].join('\n'),
  );
  await capture.close();
  await deleteKafkaStateOfRun(admin, capture.topicPrefix);
  await admin.disconnect();
}

runBenchmark(main);
