// The evaluator's own cost per event, without Kafka: pre-built Debezium records (bench C's
// accounts workload: 10,000 inserts, then transfers of 2 rows) go through ChangeProcessor.processBatch
// in batches of one partition, against the real Redis of the local stack. Prints events/s, the
// process CPU per event and the Redis server CPU per event. Repeatable enough on a busy machine
// to compare changes to the processor and the Redis layout. Also prints the Redis memory the run
// left (ops, row states, lookups; the per-transaction counts forgotten as a checkpoint would) per
// op written, for sizing (docs/deploy.md).
// Usage: npx tsx bench/change-processor.ts [--transactions 40000] [--batch 300]
//          [--profile DIR (a CPU profile of the timed run only: change-processor.cpuprofile)]
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { Redis } from 'ioredis';
import { keyPrefixFor, RedisBucketWriter, RedisCoordination } from '@syncline/bucket-store';
import { firstGeneration } from '@syncline/protocol';
import { compileSyncRules } from '@syncline/sync-rules';
import { ChangeProcessor, createMetrics, rowEvaluator, TransactionReader } from '@syncline/rules-evaluator';
import { ACCOUNTS, consumedMessage, DebeziumRecordGenerator as Generator } from '@syncline/test-kit';
import { redisCpuSeconds } from './cpu-time';
import { runBenchmark } from './script';
import { WindowProfiler } from './window-profiler';

const { values: args } = parseArgs({
  options: {
    transactions: { type: 'string', default: '40000' },
    batch: { type: 'string', default: '300' },
    profile: { type: 'string' },
  },
});
const PARTITIONS = 6;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:63799';
const RULES =
  'bucket_definitions:\n  by_branch:\n    data:\n      - SELECT id, balance, branch FROM accounts WHERE branch = bucket.branch\n    parameters: SELECT request.user_id() AS branch\n';

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
}

async function main(): Promise<void> {
  const transactions = Number(args.transactions);
  const batchSize = Number(args.batch);
  const prefix = `benchproc${process.pid}`;
  const g = new Generator(prefix);
  const now = Date.now();
  const data: { partition: number; key: string; value: string }[] = [];
  const tx: { key: string; value: string }[] = [];
  const add = (t: ReturnType<Generator['transaction']>): void => {
    for (const m of t.data) {
      const id = Number(/"id":(\d+)/.exec(m.key as string)![1]);
      data.push({ partition: id % PARTITIONS, key: m.key as string, value: m.value as string });
    }
    for (const m of t.tx) tx.push({ key: m.key as string, value: m.value as string });
  };
  add(
    g.transaction(
      Array.from({ length: ACCOUNTS }, (_, i) => i + 1),
      'c',
      now,
    ),
  );
  for (let done = 0; done < transactions; done++) {
    const a = 1 + ((done * 7919) % ACCOUNTS);
    const b = 1 + ((done * 104729 + 17) % ACCOUNTS);
    add(g.transaction(a === b ? [a] : [a, b], 'u', now));
  }
  // Per-partition message lists with their offsets, as a consumer would see them.
  const partitions = Array.from({ length: PARTITIONS }, () => [] as KafkaMessage[]);
  for (const d of data) {
    const list = partitions[d.partition]!;
    list.push(consumedMessage(d.key, d.value, list.length, now));
  }

  const lastEndOffset = BigInt(tx.length - 1);
  data.length = 0; // only the Buffers stay: the strings would make every GC slower

  const redis = new Redis(REDIS_URL);
  const coordination = new RedisCoordination(redis, keyPrefixFor(prefix, '1'));
  const logger = pino({ level: 'warn' });
  const kafka = new Kafka({ clientId: 'unused', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
  const transactionsReader = new TransactionReader({
    kafka,
    topic: g.txTopic,
    groupId: 'unused',
    logger,
    onMalformed: async () => undefined,
    onFatal: (error) => {
      throw error;
    },
  });
  // Every END is known up front, as when the transaction reader is ahead of the data.
  await transactionsReader.ingest(
    tx.splice(0).map((m, i) => ({ offset: String(i), key: Buffer.from(m.key), value: Buffer.from(m.value) })),
  );
  const { rules } = compileSyncRules(RULES, { defaultSchema: 's' });
  const processor = new ChangeProcessor({
    store: new RedisBucketWriter(redis, keyPrefixFor(prefix, '1')),
    coordination,
    transactions: transactionsReader,
    generation: firstGeneration(),
    evaluator: rowEvaluator(rules!),
    sink: null,
    deadLetters: { send: async () => undefined },
    metrics: createMetrics(),
    logger,
    latestCheckpoint: () => coordination.getCheckpoint(),
    snapshotWindows: false,
    writeCheckpointPrefix: 'syncline-wc:bench',
  });
  const signal = new AbortController().signal;
  const heartbeat = async (): Promise<void> => undefined;

  const profiler = args.profile === undefined ? null : new WindowProfiler(args.profile);
  const memoryBefore = await usedMemory(redis);
  const redisBefore = await redisCpuSeconds(redis);
  await profiler?.start();
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  // Round-robin over partitions, up to 6 batches in flight at once (the evaluator runs
  // partitions concurrently too).
  const cursors = partitions.map(() => 0);
  let events = 0;
  let ops = 0;
  for (;;) {
    const work: Promise<unknown>[] = [];
    partitions.forEach((messages, p) => {
      const from = cursors[p]!;
      if (from >= messages.length) return;
      const batch = messages.slice(from, from + batchSize);
      cursors[p] = from + batch.length;
      events += batch.length;
      work.push(
        processor.processBatch(`${g.dataTopic}`, p, batch, heartbeat, signal).then((r) => (ops += r.ops)),
      );
    });
    if (work.length === 0) break;
    await Promise.all(work);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  await profiler?.stop('change-processor');
  const redisCpu = (await redisCpuSeconds(redis)) - redisBefore;
  const counted = (await coordination.processedCounts([lastEndOffset]))[0];
  // What a published checkpoint forgets (per-transaction counts), so what stays is what a
  // deployment keeps: ops, row states, lookups, progress.
  for (let from = 0n; from <= lastEndOffset; from += 10_000n) {
    const offsets: bigint[] = [];
    for (let o = from; o < from + 10_000n && o <= lastEndOffset; o++) offsets.push(o);
    await coordination.forgetProcessed(offsets);
  }
  const memory = (await usedMemory(redis)) - memoryBefore;
  await coordination.deleteAll();
  redis.disconnect();
  if (counted !== 2 && counted !== 1) throw new Error(`last transaction counted ${counted} events`);
  const perEvent = (s: number) => ((s * 1e6) / events).toFixed(1);
  process.stdout.write(
    `change processor: ${events} events in ${seconds.toFixed(2)} s = ${Math.round(events / seconds)} events/s; ` +
      `CPU per event: evaluator ${perEvent((cpu.user + cpu.system) / 1e6)} µs, Redis ${perEvent(redisCpu)} µs\n` +
      `Redis memory left: ${(memory / 1e6).toFixed(1)} MB for ${ops} ops written (${ACCOUNTS} rows) = ` +
      `${Math.round(memory / ops)} bytes per op, ${(((memory / ops) * 1e6) / 1e9).toFixed(2)} GB per million ops\n`,
  );
}

runBenchmark(main);
