// How fast Debezium itself delivers the 100k-row burst of bench C (no evaluator): the floor under
// "checkpoint covers the burst N ms after the last commit". Polls topic end offsets every 20 ms.
// Usage: npx tsx bench/debezium-burst.ts [--override key=value ...]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { startCapture, useShellStack, deleteKafkaStateOfRun } from '@syncline/test-kit';
import { cleanUpOnInterrupt } from './interrupt';
import { keyValueSettings, runBenchmark } from './script';
import { recordsInTopic } from './topic-records';

const { values: args } = parseArgs({
  options: { override: { type: 'string', multiple: true, default: [] } },
});
const overrides = keyValueSettings(args.override, '--override');
const TRANSACTIONS = 1000;
const ROWS_PER_TX = 100;
const ROWS = TRANSACTIONS * ROWS_PER_TX;
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');

async function main(): Promise<void> {
  useShellStack();
  const capture = await startCapture({
    label: 'bench_dbz',
    setupSql: 'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, branch text);',
    partitions: 6,
    overrides,
  });
  cleanUpOnInterrupt(() => capture.close());
  const kafka = new Kafka({ clientId: 'bench-dbz', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const pg = new Client({
    connectionString: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:54329/syncline',
  });
  await pg.connect();
  await pg.query(`SET search_path TO ${capture.schema}`);
  const txTopic = capture.transactionTopic;
  const dataTopic = `${capture.topicPrefix}.${capture.schema}.accounts`;
  const total = (topic: string) => recordsInTopic(admin, topic);
  await pg.query(`INSERT INTO accounts VALUES (0, 0, 'warm')`);
  while ((await total(txTopic)) < 2) await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  for (let t = 0; t < TRANSACTIONS; t++)
    await pg.query(
      `INSERT INTO accounts SELECT g, 1000, 'b' || (g % 20) FROM generate_series($1::int, $2::int) g`,
      [t * ROWS_PER_TX + 1, (t + 1) * ROWS_PER_TX],
    );
  const lastCommit = Date.now();
  // Data records and END records travel in different producer batches (different topics and
  // partitions), so the END of the last transaction can be in Kafka before its last data records:
  // wait for both totals and time each on its own. The data topic holds the warm-up row as well.
  const dataTarget = 1 + ROWS;
  const txTarget = 2 * (1 + TRANSACTIONS);
  let dataDone = 0;
  let txDone = 0;
  const deadline = lastCommit + 120_000;
  while (dataDone === 0 || txDone === 0) {
    const [d, t] = await Promise.all([total(dataTopic), total(txTopic)]);
    const now = Date.now();
    if (d >= dataTarget && dataDone === 0) dataDone = now;
    if (t >= txTarget && txDone === 0) txDone = now;
    if (now > deadline)
      throw new Error(`timed out: ${d}/${dataTarget} data and ${t}/${txTarget} transaction records`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const allDone = Math.max(dataDone, txDone);
  process.stdout.write(
    `Debezium burst: commits ${lastCommit - started} ms; all ${ROWS.toLocaleString('en-US')} data events in Kafka ${dataDone - lastCommit} ms and the last END ${txDone - lastCommit} ms after the last commit (${Math.round(ROWS / ((allDone - started) / 1000))} events/s from first commit)\n`,
  );
  await pg.end();
  await capture.close();
  await deleteKafkaStateOfRun(admin, capture.topicPrefix);
  await admin.disconnect();
}

runBenchmark(main);
