// The leader's serial path at a target rate: the evaluator's real TransactionReader and
// Coordinator (against the stack's Redis, a private key prefix) fed synthetic transaction-topic
// records (BEGIN/END of single-event transactions, as Debezium writes them), with every event
// already counted as processed (the evaluators' share, done before the clock starts). Prints the
// offered and achieved tx/s and the CPU per transaction of the reader and of the coordinator,
// each from this process's CPU time (the machine is shared: wall time says little), and the
// ceiling they imply.
//  default   records handed to TransactionReader.ingest every 10 ms at --rate for --seconds,
//            the coordinator running beside it (one process: the leader's two parts)
//  --split   the same records as a backlog: the reader alone, then the coordinator alone
//  --kafka   through the broker: the records produced to a real one-partition topic first, then
//            drained by the reader's own kafkajs consumer (every evaluator's read), with the
//            coordinator beside it unless --split
// Usage: npx tsx bench/coordinator-capacity.ts [--rate 50000] [--seconds 6] [--split] [--kafka]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pino from 'pino';
import { keyPrefixFor, RedisCoordination } from '@syncline/bucket-store';
import { ensureTopics } from '@syncline/kafka-topics';
import { firstGeneration, transactionCheckpointOpId } from '@syncline/protocol';
import { Coordinator, createMetrics, TransactionReader } from '@syncline/rules-evaluator';
import { TransactionTopicFeed, deleteKafkaStateOfRun } from '@syncline/test-kit';
import { redisCpuSeconds } from './cpu-time';
import { cleanUpOnInterrupt } from './interrupt';
import { print, runBenchmark } from './script';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '50000' },
    seconds: { type: 'string', default: '6' },
    split: { type: 'boolean', default: false },
    kafka: { type: 'boolean', default: false },
  },
});
const RATE = Number(args.rate);
const TRANSACTIONS = Math.round(RATE * Number(args.seconds));
const TICK_MS = 10;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:63799';
const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const COLLECTION = 's.accounts';
const generation = firstGeneration();
const logger = pino({ level: 'warn' });
const kafka = new Kafka({ clientId: 'bench-coordinator', brokers: BROKERS, logLevel: logLevel.NOTHING });

const cpuSeconds = (since?: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};
const perTx = (seconds: number, n = TRANSACTIONS): string => `${((seconds * 1e6) / n).toFixed(1)} µs`;
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ceiling = (seconds: number, n = TRANSACTIONS): string => `${int(n / seconds)} tx/s`;

/** Offsets as a one-partition topic gives them: BEGIN at 2i, END at 2i + 1. */
const consumed = (messages: Message[], from: number) =>
  messages.map((m, i) => ({
    offset: String(from + i),
    key: Buffer.from(m.key as string),
    value: Buffer.from(m.value as string),
    timestamp: String(Date.now()),
  }));

/** Every transaction's one event counted as processed, as the evaluators would (not measured). */
async function markAllProcessed(store: RedisCoordination, topic: string): Promise<void> {
  for (let from = 0; from < TRANSACTIONS; from += 1000) {
    const n = Math.min(1000, TRANSACTIONS - from);
    const txs = Array.from({ length: n }, (_, i) => {
      const endOffset = BigInt(2 * (from + i) + 1);
      return {
        endOffset,
        checkpointOpId: transactionCheckpointOpId(generation, endOffset),
        totalOrders: [1],
      };
    });
    await store.countEvents(`${topic}/0`, BigInt(from + n), txs[n - 1]!.endOffset, txs);
  }
}

function newReader(topic: string): TransactionReader {
  return new TransactionReader({
    kafka,
    topic,
    groupId: `${topic}.reader`,
    logger,
    onMalformed: async () => {
      throw new Error('a synthetic record was malformed');
    },
    onFatal: (error) => {
      throw error;
    },
  });
}

function newCoordinator(
  store: RedisCoordination,
  reader: TransactionReader,
  instanceId: string,
): Coordinator {
  return new Coordinator({
    store,
    transactions: reader,
    generation,
    instanceId,
    leaseTtlMs: 10_000,
    consumed: () => true,
    changeTopics: async () => [],
    admin: kafka.admin(),
    metrics: createMetrics(),
    logger,
    signalTable: null,
  });
}

interface Run {
  readonly prefix: string;
  readonly store: RedisCoordination;
  readonly redis: Redis;
}

/** Runs the coordinator until its checkpoint covers the last END; resolves with when it did. */
async function coordinateUntilCovered(run: Run, reader: TransactionReader): Promise<number> {
  const lastEnd = String(2 * TRANSACTIONS - 1);
  const stop = new AbortController();
  const coordinator = newCoordinator(run.store, reader, run.prefix);
  const running = coordinator.run(stop.signal);
  for (;;) {
    await reader.waitForAdvance(20);
    const checkpoint = await run.store.getCheckpoint();
    if (checkpoint?.endOffset === lastEnd) break;
  }
  const covered = Date.now();
  stop.abort();
  await running;
  return covered;
}

/** Default: the reader fed every tick at the offered rate, the coordinator beside it. */
async function paced(run: Run, topic: string): Promise<void> {
  const feed = new TransactionTopicFeed(COLLECTION);
  const reader = newReader(topic);
  const perTick = (RATE * TICK_MS) / 1000;
  const [redisBefore, cpuBefore] = [await redisCpuSeconds(run.redis), process.cpuUsage()];
  let [building, reading] = [0, 0];
  const started = Date.now();
  const covering = coordinateUntilCovered(run, reader);
  for (let tick = 0; feed.made < TRANSACTIONS; tick++) {
    const at = process.cpuUsage();
    const records = consumed(
      feed.next(Math.min(perTick, TRANSACTIONS - feed.made), Date.now()),
      2 * feed.made,
    );
    const built = process.cpuUsage();
    // ingest's work is synchronous for well-formed records: the CPU around the call is the reader's.
    await reader.ingest(records);
    building += cpuSeconds(at) - cpuSeconds(built);
    reading += cpuSeconds(built);
    const next = started + (tick + 1) * TICK_MS;
    if (next > Date.now()) await new Promise((r) => setTimeout(r, next - Date.now()));
  }
  const fed = Date.now();
  const covered = await covering;
  const total = cpuSeconds(cpuBefore);
  const redis = (await redisCpuSeconds(run.redis)) - redisBefore;
  const coordinating = total - building - reading;
  const leader = reading + coordinating;
  print(
    `coordinator capacity (in-process): offered ${int(RATE)} tx/s for ${args.seconds} s (${int(TRANSACTIONS)} single-event transactions); ` +
      `fed in ${((fed - started) / 1000).toFixed(2)} s (${int(TRANSACTIONS / ((fed - started) / 1000))} tx/s), ` +
      `checkpoint covered the last one ${covered - fed} ms later: achieved ${int(TRANSACTIONS / ((covered - started) / 1000))} tx/s`,
  );
  print(
    `  CPU per tx: reader ${perTx(reading)}, coordinator ${perTx(coordinating)} (leader ${perTx(leader)}); ` +
      `record building ${perTx(building)} (the benchmark's, left out); Redis server ${perTx(redis)} (every client of that server)`,
  );
  print(
    `  ceiling of one leader at this CPU: ${ceiling(leader)} (reader alone ${ceiling(reading)}, coordinator alone ${ceiling(coordinating)})`,
  );
}

/** --split: the reader on the whole backlog, then the coordinator on the tracker it filled. */
async function split(run: Run, topic: string): Promise<void> {
  const records = consumed(new TransactionTopicFeed(COLLECTION).next(TRANSACTIONS, Date.now()), 0);
  const reader = newReader(topic);
  let cpu = process.cpuUsage();
  // Batches of the size a kafkajs fetch of these records brings (about 1 MB).
  for (let i = 0; i < records.length; i += 1000) await reader.ingest(records.slice(i, i + 1000));
  const reading = cpuSeconds(cpu);
  records.length = 0;
  const redisBefore = await redisCpuSeconds(run.redis);
  const started = Date.now();
  cpu = process.cpuUsage();
  const covered = await coordinateUntilCovered(run, reader);
  const coordinating = cpuSeconds(cpu);
  const redis = (await redisCpuSeconds(run.redis)) - redisBefore;
  print(
    `coordinator capacity (--split, backlog of ${int(TRANSACTIONS)} single-event transactions): ` +
      `reader ${perTx(reading)} per tx (ceiling ${ceiling(reading)}); ` +
      `coordinator ${perTx(coordinating)} per tx (ceiling ${ceiling(coordinating)}; covered the backlog in ${covered - started} ms, Redis server ${perTx(redis)} per tx)`,
  );
  print(
    `  leader (reader + coordinator): ${perTx(reading + coordinating)} per tx, ceiling ${ceiling(reading + coordinating)}`,
  );
}

/** --kafka: the backlog produced to a real topic, drained by the reader's kafkajs consumer. */
async function throughKafka(run: Run, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, [{ topic, numPartitions: 1 }]);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const feed = new TransactionTopicFeed(COLLECTION);
  let bytes = 0;
  while (feed.made < TRANSACTIONS) {
    const messages = feed.next(Math.min(500, TRANSACTIONS - feed.made), Date.now());
    for (const m of messages) bytes += String(m.key).length + String(m.value).length;
    await producer.send({ topic, messages });
  }
  await producer.disconnect();
  const high = (await admin.fetchTopicOffsets(topic))[0]?.high ?? '0';
  if (Number(high) !== 2 * TRANSACTIONS)
    throw new Error(`the topic holds ${high} records, not ${2 * TRANSACTIONS}`);
  const reader = newReader(topic);
  const stop = new AbortController();
  const [redisBefore, cpu] = [await redisCpuSeconds(run.redis), process.cpuUsage()];
  const started = Date.now();
  await reader.start(0n, stop.signal);
  let done: number;
  if (args.split) {
    while (reader.tracker.position < BigInt(high)) await reader.waitForAdvance(20);
    done = Date.now();
  } else done = await coordinateUntilCovered(run, reader);
  const used = cpuSeconds(cpu);
  const redis = (await redisCpuSeconds(run.redis)) - redisBefore;
  stop.abort();
  await reader.stop();
  const what = args.split ? 'reader alone (every evaluator)' : 'reader + coordinator (the leader)';
  print(
    `coordinator capacity (--kafka${args.split ? ' --split' : ''}): ${int(TRANSACTIONS)} single-event transactions produced first, ` +
      `then drained by the ${what} in ${done - started} ms (${int(TRANSACTIONS / ((done - started) / 1000))} tx/s wall, consumer start included)`,
  );
  print(
    `  CPU per tx: ${perTx(used)} (kafkajs fetch and decode included; ceiling ${ceiling(used)}); Redis server ${perTx(redis)}; ` +
      `${int(bytes / TRANSACTIONS)} bytes of keys and values per tx (BEGIN + END, uncompressed): ${(((bytes / TRANSACTIONS) * RATE) / 1e6).toFixed(1)} MB/s at ${int(RATE)} tx/s, read by every evaluator`,
  );
  await deleteKafkaStateOfRun(admin, run.prefix);
  await admin.disconnect();
}

async function main(): Promise<void> {
  const prefix = `benchcoord${process.pid}`;
  const redis = new Redis(REDIS_URL);
  const store = new RedisCoordination(redis, keyPrefixFor(prefix, '1'));
  const cleanup = async (): Promise<void> => {
    await store.deleteAll();
  };
  cleanUpOnInterrupt(cleanup);
  const topic = `${prefix}.transaction`;
  try {
    await store.initMeta({ layout: 'bench' });
    const redisBefore = await redisCpuSeconds(redis);
    await markAllProcessed(store, `${prefix}.s.accounts`);
    print(
      `marking every event processed beforehand (countEvents, 1,000 transactions a call): Redis server ${perTx((await redisCpuSeconds(redis)) - redisBefore)} per tx (shared unless REDIS_URL is a Redis of its own)`,
    );
    const run = { prefix, store, redis };
    if (args.kafka) await throughKafka(run, topic);
    else if (args.split) await split(run, topic);
    else await paced(run, topic);
  } finally {
    await cleanup();
    redis.disconnect();
  }
}

runBenchmark(main);
