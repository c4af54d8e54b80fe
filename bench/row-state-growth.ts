// Does the evaluator's cost per row grow with the rows already in the table? Inserts of new rows
// (transactions of 100 rows, a global bucket plus one by branch: 2 ops per row) go through
// ChangeProcessor.processBatch without Kafka, against the real Redis of the local stack, with a
// small row-state cache (--capacity) so the table can reach many times it. --repeat windows of
// --window inserts are timed once the table holds 1x, 4x and 16x the cache's capacity (filled
// untimed in between). Prints the evaluator's CPU per row at each size, median and minimum of the
// windows (the minimum is the steadier one on a shared machine), each with its ratio to the first
// size, and the GC pauses and the Redis server's CPU per row. The coordinator's part is mimicked
// after every chunk (the tracker pruned, the per-transaction counts forgotten) so only the table
// grows. docs/evaluator.md (per-row cost) has figures and how to run it on an older cache.
// Usage: npx tsx bench/row-state-growth.ts [--capacity 10000] [--window 2000] [--repeat 5]
//          [--sizes 1,4,16] [--profile DIR (a CPU profile of each size's windows)]
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import pino from 'pino';
import { Redis } from 'ioredis';
import { keyPrefixFor, RedisBucketWriter, RedisCoordination } from '@syncline/bucket-store';
import { firstGeneration } from '@syncline/protocol';
import { compileSyncRules } from '@syncline/sync-rules';
import { ChangeProcessor, createMetrics, rowEvaluator, TransactionReader } from '@syncline/rules-evaluator';
import { consumedMessage, DebeziumRecordGenerator as Generator } from '@syncline/test-kit';
import { redisCpuSeconds } from './cpu-time';
import { print, runBenchmark } from './script';
import { WindowProfiler } from './window-profiler';

const { values: args } = parseArgs({
  options: {
    capacity: { type: 'string', default: '10000' },
    window: { type: 'string', default: '2000' },
    sizes: { type: 'string', default: '1,4,16' },
    batch: { type: 'string', default: '300' },
    repeat: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '20000' },
    profile: { type: 'string' },
  },
});
const PARTITIONS = 6;
const ROWS_PER_TRANSACTION = 100;
/** Cost per row at the largest size over the first: no growth, within a shared machine's noise. */
const GROWTH_TARGET = 1.2;
/** Rows generated at once while filling (the records of a chunk are built before it runs). */
const CHUNK = 6_000;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:63799';
const RULES =
  'bucket_definitions:\n' +
  '  global:\n    data:\n      - SELECT id, balance FROM accounts\n' +
  '  by_branch:\n    data:\n      - SELECT id, balance, branch FROM accounts WHERE branch = bucket.branch\n' +
  '    parameters: SELECT request.user_id() AS branch\n';

interface Cost {
  readonly rows: number;
  readonly cpuSeconds: number;
  readonly redisSeconds: number;
  readonly wallSeconds: number;
  /** Wall time in garbage collection pauses (scavenges and mark-compacts). */
  readonly gcSeconds: number;
}

/** Garbage collection pause time so far, in seconds. */
class GcClock {
  seconds = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.seconds += entry.duration / 1000;
  });
  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }
  stop(): void {
    this.observer.disconnect();
  }
}

/** Feeds inserts of new rows to one processor, keeping offsets per partition and on the transaction topic. */
class InsertFeed {
  private nextId = 1;
  private readonly offsets = new Array<number>(PARTITIONS).fill(0);
  private txOffset = 0;
  private readonly signal = new AbortController().signal;

  constructor(
    private readonly g: Generator,
    private readonly processor: ChangeProcessor,
    private readonly reader: TransactionReader,
    private readonly coordination: RedisCoordination,
    private readonly redis: Redis,
    private readonly batchSize: number,
    private readonly gc: GcClock,
  ) {}

  get rows(): number {
    return this.nextId - 1;
  }

  /** Inserts `rows` new rows (a multiple of 100) in chunks; returns what the processing cost. */
  async insert(rows: number): Promise<Cost> {
    const cost = { rows, cpuSeconds: 0, redisSeconds: 0, wallSeconds: 0, gcSeconds: 0 };
    for (let done = 0; done < rows; done += CHUNK) {
      const { partitions, ends } = await this.build(Math.min(CHUNK, rows - done));
      const redisBefore = await redisCpuSeconds(this.redis);
      const cpuBefore = process.cpuUsage();
      const gcBefore = this.gc.seconds;
      const started = process.hrtime.bigint();
      await this.process(partitions);
      // GC entries are delivered asynchronously: let the observer see this chunk's.
      await new Promise((resolve) => setImmediate(resolve));
      cost.gcSeconds += this.gc.seconds - gcBefore;
      cost.wallSeconds += Number(process.hrtime.bigint() - started) / 1e9;
      const cpu = process.cpuUsage(cpuBefore);
      cost.cpuSeconds += (cpu.user + cpu.system) / 1e6;
      cost.redisSeconds += (await redisCpuSeconds(this.redis)) - redisBefore;
      // What the coordinator does once a checkpoint covers these transactions.
      this.reader.tracker.prune(BigInt(this.txOffset));
      await this.coordination.forgetProcessed(ends);
    }
    return cost;
  }

  /** The chunk's data records per partition; its BEGIN/END records are ingested by the reader. */
  private async build(rows: number): Promise<{ partitions: KafkaMessage[][]; ends: bigint[] }> {
    const now = Date.now();
    const partitions = Array.from({ length: PARTITIONS }, () => [] as KafkaMessage[]);
    const tx: { offset: string; key: Buffer; value: Buffer }[] = [];
    const ends: bigint[] = [];
    for (let made = 0; made < rows; made += ROWS_PER_TRANSACTION) {
      const ids = Array.from({ length: ROWS_PER_TRANSACTION }, () => this.nextId++);
      const t = this.g.transaction(ids, 'c', now);
      t.data.forEach((m, i) => {
        const p = ids[i]! % PARTITIONS;
        partitions[p]!.push(consumedMessage(m.key as string, m.value as string, this.offsets[p]!++, now));
      });
      for (const m of t.tx) {
        if ((m.value as string).includes('"status":"END"')) ends.push(BigInt(this.txOffset));
        tx.push({
          offset: String(this.txOffset++),
          key: Buffer.from(m.key as string),
          value: Buffer.from(m.value as string),
        });
      }
    }
    await this.reader.ingest(tx);
    return { partitions, ends };
  }

  /** Round-robin over partitions, one batch per partition in flight (as the evaluator runs them). */
  private async process(partitions: KafkaMessage[][]): Promise<void> {
    const cursors = partitions.map(() => 0);
    const heartbeat = async (): Promise<void> => undefined;
    for (;;) {
      const work: Promise<unknown>[] = [];
      partitions.forEach((messages, p) => {
        const from = cursors[p]!;
        if (from >= messages.length) return;
        const batch = messages.slice(from, from + this.batchSize);
        cursors[p] = from + batch.length;
        work.push(this.processor.processBatch(this.g.dataTopic, p, batch, heartbeat, this.signal));
      });
      if (work.length === 0) return;
      await Promise.all(work);
    }
  }
}

function transactionReader(g: Generator): TransactionReader {
  const logger = pino({ level: 'warn' });
  const kafka = new Kafka({ clientId: 'unused', brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING });
  return new TransactionReader({
    kafka,
    topic: g.txTopic,
    groupId: 'unused',
    logger,
    onMalformed: async () => undefined,
    onFatal: (error) => {
      throw error;
    },
  });
}

interface Bench {
  readonly feed: InsertFeed;
  readonly close: () => Promise<void>;
}

/** A processor of its own (own key prefix, own topics) over a row-state cache of `capacity` rows. */
function setUp(name: string, capacity: number, gc: GcClock): Bench {
  const prefix = `${name}${process.pid}`;
  const g = new Generator(prefix);
  const redis = new Redis(REDIS_URL);
  const coordination = new RedisCoordination(redis, keyPrefixFor(prefix, '1'));
  const reader = transactionReader(g);
  const { rules } = compileSyncRules(RULES, { defaultSchema: 's' });
  const processor = new ChangeProcessor({
    store: new RedisBucketWriter(redis, keyPrefixFor(prefix, '1')),
    coordination,
    transactions: reader,
    generation: firstGeneration(),
    evaluator: rowEvaluator(rules!),
    sink: null,
    deadLetters: { send: async () => undefined },
    metrics: createMetrics(),
    logger: pino({ level: 'warn' }),
    latestCheckpoint: () => coordination.getCheckpoint(),
    snapshotWindows: false,
    writeCheckpointPrefix: 'syncline-wc:bench',
    rowStateCacheCapacity: capacity,
  });
  const feed = new InsertFeed(g, processor, reader, coordination, redis, Number(args.batch), gc);
  const close = async (): Promise<void> => {
    await coordination.deleteAll();
    redis.disconnect();
  };
  return { feed, close };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const capacity = Number(args.capacity);
  const window = Number(args.window);
  const repeat = Number(args.repeat);
  const sizes = args.sizes.split(',').map(Number);
  if (window % ROWS_PER_TRANSACTION !== 0) throw new Error('--window must be a multiple of 100');
  const gc = new GcClock();
  // Warm up the compiler on a table of its own first, so the 1x figure is not the cold one.
  const warm = setUp('benchgrowthwarm', capacity, gc);
  try {
    await warm.feed.insert(Number(args.warmup));
  } finally {
    await warm.close();
  }
  const { feed, close } = setUp('benchgrowth', capacity, gc);
  const profiler = args.profile === undefined ? null : new WindowProfiler(args.profile);
  print(
    `row-state cache ${capacity} rows; ${repeat} windows of ${window} inserts at each size ` +
      '(100-row transactions, 2 bucket ops per row); ratios to the first size',
  );
  let first: { median: number; min: number } | null = null;
  let last: { median: number; min: number } | null = null;
  try {
    for (const size of sizes) {
      const fill = size * capacity - feed.rows;
      if (fill > 0) await feed.insert(Math.ceil(fill / ROWS_PER_TRANSACTION) * ROWS_PER_TRANSACTION);
      const inTable = feed.rows;
      const costs: Cost[] = [];
      await profiler?.start();
      for (let r = 0; r < repeat; r++) costs.push(await feed.insert(window));
      await profiler?.stop(`row-state-growth-${size}x`);
      const us = (f: (c: Cost) => number): number[] => costs.map((c) => (f(c) * 1e6) / c.rows);
      const perRow = { median: median(us((c) => c.cpuSeconds)), min: Math.min(...us((c) => c.cpuSeconds)) };
      first ??= perRow;
      last = perRow;
      print(
        `${size}x (${inTable} rows in the table): evaluator CPU per row ${perRow.median.toFixed(1)} µs ` +
          `(${(perRow.median / first.median).toFixed(2)}x), min ${perRow.min.toFixed(1)} µs ` +
          `(${(perRow.min / first.min).toFixed(2)}x); GC pauses ${median(us((c) => c.gcSeconds)).toFixed(1)} µs, ` +
          `Redis ${median(us((c) => c.redisSeconds)).toFixed(1)} µs per row; ` +
          `${Math.round(median(costs.map((c) => c.rows / c.wallSeconds)))} rows/s; ` +
          `heap ${Math.round(process.memoryUsage().heapUsed / 1e6)} MB`,
      );
    }
    if (first !== null && last !== null)
      print(
        `largest size against the first: median ${(last.median / first.median).toFixed(2)}x, ` +
          `min ${(last.min / first.min).toFixed(2)}x (target: at most ${GROWTH_TARGET}x, the noise of a ` +
          'shared 2-core machine; the row-state cache of issue 14 gave 1.8x - 3.0x at 2x its 200,000 rows)',
      );
  } finally {
    gc.stop();
    await close();
  }
}

runBenchmark(main);
