// Kafka Connect's serial ceiling: N single-row update transactions committed while the
// connector is paused, then drained. Prints Connect's CPU per transaction (the whole JVM, and the
// threads this connector started: its source task thread and Debezium's streaming thread, each a
// serial point) and the ceiling in tx/s the busiest of them implies, plus Kafka's and Postgres' CPU.
// Usage: npx tsx bench/debezium-drain.ts [--transactions 30000] [--override key=value ...]
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { javaThreadNames, startCapture, useShellStack, deleteKafkaStateOfRun } from '@syncline/test-kit';
import { processCpuSeconds, processTreeCpuSeconds, startThreadCpuMeter } from './cpu-time';
import { cleanUpOnInterrupt } from './interrupt';
import { keyValueSettings, print, runBenchmark } from './script';
import { recordsInTopic } from './topic-records';
import { stackPids, startCpuMeter } from './stack-processes';

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '30000' },
    override: { type: 'string', multiple: true, default: [] },
  },
});
const overrides = keyValueSettings(args.override, '--override');
const TRANSACTIONS = Number(args.transactions);
const ROWS = 1000;
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const CONNECT_URL = process.env.CONNECT_URL ?? 'http://127.0.0.1:18083';
const SETUP_SQL = `
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, branch text);
INSERT INTO accounts SELECT g, 1000, 'b' || (g % 20) FROM generate_series(1, ${ROWS}) g;
-- n transactions of one row each, from one CALL (a procedure may COMMIT in its loop).
CREATE PROCEDURE commit_updates(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP
    UPDATE accounts SET balance = balance + 1 WHERE id = 1 + i % ${ROWS};
    COMMIT;
  END LOOP;
END $$;`;

const us = (seconds: number): string => `${((seconds * 1e6) / TRANSACTIONS).toFixed(1)} µs`;

async function connectorState(name: string): Promise<string | undefined> {
  const response = await fetch(`${CONNECT_URL}/connectors/${name}/status`);
  const status = (await response.json()) as { tasks?: { state: string }[] };
  return status.tasks?.[0]?.state;
}

async function setPaused(name: string, paused: boolean): Promise<void> {
  const response = await fetch(`${CONNECT_URL}/connectors/${name}/${paused ? 'pause' : 'resume'}`, {
    method: 'PUT',
  });
  if (!response.ok) throw new Error(`Connect refused to ${paused ? 'pause' : 'resume'} ${name}`);
  const want = paused ? 'PAUSED' : 'RUNNING';
  for (let waited = 0; (await connectorState(name)) !== want; waited += 100) {
    if (waited > 30_000) throw new Error(`connector ${name} did not become ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  useShellStack();
  const pids = stackPids();
  const connectPid = pids.connect;
  if (connectPid === undefined) throw new Error('no Connect pid: start the stack with `syncline stack up`');
  const capture = await startCapture({ label: 'bench_drain', setupSql: SETUP_SQL, partitions: 6, overrides });
  cleanUpOnInterrupt(() => capture.close());
  const kafka = new Kafka({ clientId: 'bench-drain', brokers: BROKERS, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const total = (topic: string) => recordsInTopic(admin, topic);
  const txTopic = capture.transactionTopic;
  const dataTopic = capture.tableTopic('accounts');
  // Warm-up: one transaction through, so the task, its producer and the topics exist.
  await capture.pg.query('CALL commit_updates(1)');
  while ((await total(txTopic)) < 2) await new Promise((r) => setTimeout(r, 50));
  // Connect runs tasks on pooled threads it renames, and /proc keeps 15 bytes of a name: the JVM's
  // own names, read while the connector runs, say which threads are this connector's.
  const names = javaThreadNames(connectPid);
  if (names.size === 0)
    throw new Error(`could not list the threads of Connect (pid ${connectPid}) with jcmd`);
  const mine = new Set([...names].filter(([, n]) => n.includes(capture.name)).map(([tid]) => tid));
  const others = ((await (await fetch(`${CONNECT_URL}/connectors`)).json()) as string[]).length - 1;

  // Postgres decodes the slot in one walsender process: another serial point.
  const slot = await capture.pg.query<{ pid: number | null }>(
    'SELECT active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
    [`${capture.name}_slot`],
  );
  const walsender = slot.rows[0]?.pid ?? undefined;
  const walsenderBefore = processCpuSeconds(walsender);

  await setPaused(capture.name, true);
  const meter = startCpuMeter(() => ({ ...pids }));
  const threads = startThreadCpuMeter(connectPid);
  const commitStart = Date.now();
  await capture.pg.query('SET synchronous_commit = off');
  await capture.pg.query(`CALL commit_updates(${TRANSACTIONS})`);
  const committed = Date.now();
  const duringPause = threads.read().filter((t) => mine.has(t.tid));
  await setPaused(capture.name, false);
  const resumed = Date.now();
  const [txTarget, dataTarget] = [2 * (1 + TRANSACTIONS), 1 + TRANSACTIONS];
  for (;;) {
    const [t, d] = await Promise.all([total(txTopic), total(dataTopic)]);
    if (t >= txTarget && d >= dataTarget) break;
    if (Date.now() - resumed > 300_000)
      throw new Error(`timed out: ${d}/${dataTarget} data and ${t}/${txTarget} transaction records`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const drained = Date.now();
  const cpu = meter.read();
  const perThread = threads.read();
  const own = perThread.filter((t) => mine.has(t.tid));
  const ownTotal = own.reduce((n, t) => n + t.cpuSeconds, 0);
  const jvm = cpu.connect ?? processTreeCpuSeconds(connectPid);
  const decoding = processCpuSeconds(walsender) - walsenderBefore;

  print(
    `Debezium drain: ${TRANSACTIONS.toLocaleString('en-US')} single-row transactions committed in ${committed - commitStart} ms while the connector was paused; ` +
      `drained ${drained - resumed} ms after resume (${Math.round(TRANSACTIONS / ((drained - resumed) / 1000))} tx/s wall, machine shared); ${others} other connector(s) on the worker`,
  );
  print(
    `  CPU per transaction, commit start to drained: Connect JVM ${us(jvm)} (this connector's threads ${us(ownTotal)}, the rest of the JVM ${us(jvm - ownTotal)}), ` +
      `Kafka ${us(cpu.kafka ?? 0)}, Postgres ${us(cpu.postgres ?? 0)} (of which the slot's walsender ${us(decoding)}), machine ${us(cpu.machine ?? 0)}`,
  );
  for (const t of perThread.slice(0, 8)) {
    const paused = duringPause.find((p) => p.tid === t.tid)?.cpuSeconds ?? 0;
    const whose = mine.has(t.tid) ? 'this connector' : 'shared';
    print(
      `  thread "${names.get(t.tid) ?? t.name}" (${whose}): ${us(t.cpuSeconds)} per tx (${us(paused)} of it while paused)`,
    );
  }
  const busiest = own[0];
  if (busiest !== undefined && busiest.cpuSeconds > 0) {
    const ceiling = TRANSACTIONS / busiest.cpuSeconds;
    print(
      `  serial ceiling: the busiest thread of this connector ("${names.get(busiest.tid) ?? busiest.name}", ${us(busiest.cpuSeconds)} per tx) caps one connector at ${Math.round(ceiling).toLocaleString('en-US')} single-row tx/s`,
    );
  }
  await capture.close();
  await deleteKafkaStateOfRun(admin, capture.topicPrefix);
  await admin.disconnect();
}

runBenchmark(main);
