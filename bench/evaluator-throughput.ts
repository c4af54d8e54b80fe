// Evaluator benchmarks against the running local stack (`syncline stack up`):
//  A. throughput: pre-produced Debezium-format events (data + transaction records) through Kafka,
//     consumed by 1 and then 2 evaluator processes (CLI children): events/s.
//  B. checkpoint latency at a steady 2,000 transactions/s (--rate; a few per second shows the
//     waits an interactive app sees): commit time (END ts_ms) -> checkpoint published, p50/p99
//     over every transaction, the evaluator's own stages, and the CPU per transaction of the
//     evaluator and of Redis over the steady run.
//  C. end to end through Debezium: 1,000 transactions x 100 rows; time from the last commit until
//     a checkpoint covers it.
// Usage: npx tsx bench/evaluator-throughput.ts [--transactions 40000] [--only A|B|C] [--bucket-topic]
//          [--rate 2000 --seconds 15 (B)]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { Client } from 'pg';
import {
  keyPrefixFor,
  RedisBucketReader,
  RedisCoordination,
  StoreKeys,
  type Checkpoint,
} from '@syncline/bucket-store';
import { freePort } from '@syncline/stack';
import { startCapture, useShellStack, deleteKafkaStateNamed } from '@syncline/test-kit';
import { processCpuSeconds, redisCpuSeconds } from './cpu-time';
import { cleanUpOnInterrupt } from './interrupt';
import { createTopics, PARTITIONS, produceAccountsWorkload, send } from './accounts-workload';
import { ACCOUNTS, DebeziumRecordGenerator as Generator } from '@syncline/test-kit';
import { stageBreakdown } from './latency-stages';
import { evaluatorNodeArgs } from './pipeline-run';
import { print, runBenchmark } from './script';

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '40000' },
    only: { type: 'string' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '15' },
    'bucket-topic': { type: 'boolean', default: false },
  },
});
const REPO = path.resolve(__dirname, '..');
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:63799';
const REGISTRY = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:18081/apis/ccompat/v7';
const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.NOTHING });
const RULES =
  'bucket_definitions:\n  by_branch:\n    data:\n      - SELECT id, balance, branch FROM accounts WHERE branch = bucket.branch\n    parameters: SELECT request.user_id() AS branch\n';

// ---- evaluator processes and checkpoints -------------------------------------------------------

function rulesFile(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'bench-rules-')), 'rules.yaml');
  writeFileSync(file, RULES);
  return file;
}

function env(prefix: string, deployment: string, schema = 's'): Record<string, string> {
  return {
    SYNCLINE_RULES_FILE: rulesFile(),
    KAFKA_BROKERS: BROKERS.join(','),
    REDIS_URL,
    SCHEMA_REGISTRY_URL: REGISTRY,
    SYNCLINE_TOPIC_PREFIX: prefix,
    SYNCLINE_DEPLOYMENT: deployment,
    SYNCLINE_DEFAULT_SCHEMA: schema,
    SYNCLINE_BUCKET_TOPIC: args['bucket-topic'] ? 'on' : 'off',
    SYNCLINE_HTTP_PORT: '0',
    SYNCLINE_TOPIC_REFRESH_MS: '500',
    SYNCLINE_SESSION_TIMEOUT_MS: '10000',
    SYNCLINE_LOG_LEVEL: 'warn',
  };
}

function spawnEvaluator(e: Record<string, string>): ChildProcess {
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/evalprof'] : [];
  const child = spawn(
    process.execPath,
    [...profile, ...evaluatorNodeArgs(), path.join(REPO, 'services/cli/bin/syncline.js'), 'evaluator'],
    {
      env: { ...process.env, ...e },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  return child;
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children
      .filter((c) => c.exitCode === null && c.signalCode === null)
      .map(
        (c) =>
          new Promise((r) => {
            c.once('exit', r);
            c.kill('SIGTERM');
          }),
      ),
  );
}

/**
 * Deletes a benchmark deployment's Redis state and its Kafka topics and consumer groups (A's and
 * B's topics are named after the deployment; left behind, a few hundred runs filled the local
 * stack's disk and stopped its broker).
 */
async function cleanup(deployment: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  await new RedisCoordination(redis, keyPrefixFor(deployment, '1')).deleteAll();
  redis.disconnect();
  await deleteKafkaStateNamed(BROKERS, deployment);
}

async function checkpoints(
  deployment: string,
  onCheckpoint: (cp: Checkpoint, at: number) => void,
): Promise<Redis> {
  const sub = new Redis(REDIS_URL);
  // Every checkpoint, for latency figures (the reader port would let a slow consumer skip some).
  await sub.subscribe(new StoreKeys(keyPrefixFor(deployment, '1')).checkpointChannel);
  sub.on('message', (_c: string, json: string) => onCheckpoint(JSON.parse(json) as Checkpoint, Date.now()));
  return sub;
}

function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const timer = setInterval(() => {
      if (cond()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - start > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out: ${what}`));
      }
    }, 20);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

// ---- A. throughput --------------------------------------------------------------------------

async function throughput(processes: number, transactions: number): Promise<number> {
  const prefix = `bench_${randomBytes(3).toString('hex')}`;
  const g = new Generator(prefix);
  const { events } = await produceAccountsWorkload(kafka, g, transactions);
  const lastEnd = BigInt(2 * (transactions + 1) - 1);
  const seen: { cp: Checkpoint; at: number }[] = [];
  let children: ChildProcess[] = [];
  const cpuOf = (list: ChildProcess[]) => list.reduce((n, c) => n + processCpuSeconds(c.pid), 0);
  // The evaluators' CPU when the first checkpoint is published: start-up and group join behind them.
  let cpuAtFirstCheckpoint = 0;
  const sub = await checkpoints(prefix, (cp, at) => {
    if (seen.push({ cp, at }) === 1) cpuAtFirstCheckpoint = cpuOf(children);
  });
  const redis = new Redis(REDIS_URL);
  const redisCpuBefore = await redisCpuSeconds(redis);
  const release = cleanUpOnInterrupt(async () => {
    await stopAll(children);
    await cleanup(prefix);
  });
  children = Array.from({ length: processes }, () => spawnEvaluator(env(prefix, prefix)));
  await waitUntil(
    () => seen.length > 0 && BigInt(seen[seen.length - 1]!.cp.endOffset) >= lastEnd,
    600_000,
    'final checkpoint',
  );
  // CPU per event over the whole run (start-up included): less noisy than wall time when other
  // work shares the machine.
  const evaluatorCpu = cpuOf(children);
  const redisCpu = (await redisCpuSeconds(redis)) - redisCpuBefore;
  redis.disconnect();
  await stopAll(children);
  await cleanup(prefix);
  release();
  sub.disconnect();
  // Rate between the first and the last checkpoint (excludes process start-up and group join).
  const firstCp = seen[0]!;
  const lastCp = seen[seen.length - 1]!;
  const txCovered = Number((BigInt(lastCp.cp.endOffset) - BigInt(firstCp.cp.endOffset)) / 2n);
  const eventsPerTx = events / transactions;
  const seconds = (lastCp.at - firstCp.at) / 1000;
  const rate = (txCovered * eventsPerTx) / seconds;
  print(
    `A. ${processes} process(es): ${events + ACCOUNTS} events; ${Math.round(txCovered * eventsPerTx)} events in ${seconds.toFixed(2)} s between first and last checkpoint = ${Math.round(rate)} events/s (target 25,000 for one: ratio ${(rate / 25000).toFixed(2)})`,
  );
  const total = events + ACCOUNTS;
  const steadyCpu = evaluatorCpu - cpuAtFirstCheckpoint;
  print(
    `A. ${processes} process(es): CPU per event between first and last checkpoint: evaluator ${((steadyCpu * 1e6) / (txCovered * eventsPerTx)).toFixed(1)} µs (${steadyCpu.toFixed(1)} s)`,
  );
  print(
    `A. ${processes} process(es): CPU per event incl. start-up: evaluator ${((evaluatorCpu * 1e6) / total).toFixed(1)} µs (${evaluatorCpu.toFixed(1)} s), Redis ${((redisCpu * 1e6) / total).toFixed(1)} µs (${redisCpu.toFixed(1)} s)`,
  );
  return rate;
}

// ---- B. checkpoint latency at a steady rate (2,000 tx/s) --------------------------------------

async function latency(rate: number, seconds: number): Promise<void> {
  if (!(rate > 0) || !(seconds > 0)) throw new Error('--rate and --seconds must be positive numbers');
  const prefix = `bench_${randomBytes(3).toString('hex')}`;
  const g = new Generator(prefix);
  await createTopics(kafka, g);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const commitTimes: number[] = [];
  const seen: { cp: Checkpoint; at: number }[] = [];
  const sub = await checkpoints(prefix, (cp, at) => seen.push({ cp, at }));
  const httpPort = await freePort();
  const children = [spawnEvaluator({ ...env(prefix, prefix), SYNCLINE_HTTP_PORT: String(httpPort) })];
  const release = cleanUpOnInterrupt(async () => {
    await stopAll(children);
    await cleanup(prefix);
  });
  // Warm up: one transaction, wait until it is checkpointed (process start, group join).
  const warm = g.transaction([1, 2], 'c', Date.now());
  commitTimes.push(Date.now());
  await send(producer, g, warm.data, warm.tx);
  await waitUntil(() => seen.length > 0, 120_000, 'first checkpoint');
  // CPU from here to the last checkpoint: the steady run, start-up and group join excluded.
  const redis = new Redis(REDIS_URL);
  const cpuBefore = { evaluator: processCpuSeconds(children[0]!.pid), redis: await redisCpuSeconds(redis) };
  // One tick per 10 ms, or per transaction below 100 tx/s; each sends what brings it to `rate`.
  const tickMs = Math.max(10, 1000 / rate);
  const start = Date.now();
  let ticks = 0;
  while (Date.now() - start < seconds * 1000) {
    const commit = Date.now();
    const data: Message[] = [];
    const tx: Message[] = [];
    const perTick = Math.round((rate * (ticks + 1) * tickMs) / 1000) - (commitTimes.length - 1);
    for (let i = 0; i < perTick; i++) {
      const n = commitTimes.length;
      const t = g.transaction([1 + ((n * 7919) % ACCOUNTS), 1 + ((n * 104729 + 17) % ACCOUNTS)], 'c', commit);
      commitTimes.push(commit);
      data.push(...t.data);
      tx.push(...t.tx);
    }
    if (perTick > 0) await send(producer, g, data, tx);
    ticks++;
    const next = start + ticks * tickMs;
    if (next > Date.now()) await new Promise((r) => setTimeout(r, next - Date.now()));
  }
  const produced = commitTimes.length;
  const achieved = (produced - 1) / ((Date.now() - start) / 1000);
  await producer.disconnect();
  const lastEnd = BigInt(2 * produced - 1);
  await waitUntil(() => BigInt(seen[seen.length - 1]!.cp.endOffset) >= lastEnd, 120_000, 'last checkpoint');
  const evaluatorCpu = processCpuSeconds(children[0]!.pid) - cpuBefore.evaluator;
  const redisCpu = (await redisCpuSeconds(redis)) - cpuBefore.redis;
  redis.disconnect();
  const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  await stopAll(children);
  await cleanup(prefix);
  release();
  sub.disconnect();
  // Each transaction's latency: publish time of the first checkpoint covering it minus its commit time.
  const latencies: number[] = [];
  let c = 0;
  for (let i = 1; i < produced; i++) {
    const end = BigInt(2 * i + 1);
    while (BigInt(seen[c]!.cp.endOffset) < end) c++;
    latencies.push(seen[c]!.at - commitTimes[i]!);
  }
  latencies.sort((a, b) => a - b);
  const p99 = percentile(latencies, 99);
  print(
    `B. ${produced - 1} transactions at ${Math.round(achieved)} tx/s: checkpoint latency p50 ${percentile(latencies, 50)} ms, p99 ${p99} ms, max ${latencies[latencies.length - 1]} ms (target p99 < 500 ms: ratio ${(p99 / 500).toFixed(2)}); ${seen.length} checkpoints`,
  );
  // B's records are produced straight into Kafka with the commit time as their timestamp, so its
  // `debezium` stage is the benchmark producer's own delay.
  print(`B. ${stageBreakdown(metrics)}`);
  const perTx = (cpu: number) => ((cpu * 1e6) / (produced - 1)).toFixed(1);
  print(
    `B. CPU per transaction (2 rows: 4 records), warm-up excluded: evaluator ${perTx(evaluatorCpu)} µs, Redis ${perTx(redisCpu)} µs (all of Redis' clients)`,
  );
}

// ---- C. 100k rows through Debezium --------------------------------------------------------------

async function burst(): Promise<void> {
  useShellStack();
  const capture = await startCapture({
    label: 'bench_burst',
    setupSql: 'CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, branch text);',
    partitions: PARTITIONS,
  });
  const children: ChildProcess[] = [];
  const release = cleanUpOnInterrupt(async () => {
    await stopAll(children);
    await cleanup(capture.name);
    await capture.close();
  });
  try {
    const e = env(capture.topicPrefix, capture.name, capture.schema);
    const seen: { cp: Checkpoint; at: number }[] = [];
    const sub = await checkpoints(capture.name, (cp, at) => seen.push({ cp, at }));
    children.push(spawnEvaluator(e));
    const pg = new Client({
      connectionString: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:54329/syncline',
    });
    await pg.connect();
    await pg.query(`SET search_path TO ${capture.schema}`);
    await pg.query(`INSERT INTO accounts VALUES (0, 0, 'warm')`);
    await waitUntil(() => seen.length > 0, 120_000, 'warm-up checkpoint');
    const txBase = BigInt(seen[seen.length - 1]!.cp.endOffset) + 1n;
    const started = Date.now();
    for (let t = 0; t < 1000; t++) {
      await pg.query(
        `INSERT INTO accounts SELECT g, 1000, 'b' || (g % 20) FROM generate_series($1::int, $2::int) g`,
        [t * 100 + 1, t * 100 + 100],
      );
    }
    const lastCommit = Date.now();
    // The burst's last END is at transaction-topic offset `txBase + 2 * 1000 - 1`. Watch when it
    // reaches Kafka (Debezium's share) and when a checkpoint covers it (the evaluator's share),
    // without loading Redis meanwhile; then check the bucket counts at that checkpoint once.
    const lastEnd = txBase + 1999n;
    const admin = kafka.admin();
    await admin.connect();
    let inKafka: number | undefined;
    let covered: { cp: Checkpoint; at: number } | undefined;
    const deadline = Date.now() + 300_000;
    while (covered === undefined && Date.now() < deadline) {
      if (inKafka === undefined) {
        const [p0] = await admin.fetchTopicOffsets(capture.transactionTopic);
        if (BigInt(p0!.high) > lastEnd) inKafka = Date.now();
      }
      covered = seen.find((c) => BigInt(c.cp.endOffset) >= lastEnd);
      if (covered === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    await admin.disconnect();
    const redis = new Redis(REDIS_URL);
    const reader = new RedisBucketReader(redis, keyPrefixFor(capture.name, '1'));
    const buckets = Array.from({ length: 20 }, (_, b) => `by_branch["b${b}"]`);
    const rowsAt =
      covered === undefined
        ? 0
        : (await reader.checksumsAt(buckets, BigInt(covered.cp.lastOpId))).reduce((n, c) => n + c.count, 0);
    redis.disconnect();
    await pg.end();
    await stopAll(children);
    sub.disconnect();
    if (covered === undefined) throw new Error('no checkpoint covered the burst');
    if (rowsAt !== 100_000) throw new Error(`the covering checkpoint holds ${rowsAt} rows, not 100,000`);
    const behind = covered.at - lastCommit;
    const kafkaBehind = inKafka === undefined ? NaN : inKafka - lastCommit;
    print(
      `C. 100,000 rows as 1,000 transactions through Debezium: commits took ${lastCommit - started} ms (${Math.round(100000 / ((lastCommit - started) / 1000))} rows/s); last END in Kafka ${kafkaBehind} ms and the checkpoint covering all ${rowsAt} rows published ${behind} ms after the last commit (target < 1,000 ms: ratio ${(behind / 1000).toFixed(2)}; PowerSync reference 19,600 ms)`,
    );
  } finally {
    release();
    await stopAll(children);
    await cleanup(capture.name);
    await capture.close();
  }
}

async function main(): Promise<void> {
  const only = args.only;
  const transactions = Number(args.transactions);
  if (!only || only === 'A') {
    const one = await throughput(1, transactions);
    const two = await throughput(2, transactions);
    print(`A. two processes / one process = ${(two / one).toFixed(2)}`);
  }
  if (!only || only === 'B') await latency(Number(args.rate), Number(args.seconds));
  if (!only || only === 'C') await burst();
}

runBenchmark(main);
