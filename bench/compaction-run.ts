// One run of the compaction benchmark (bench/compaction.ts) in one mode, through the real
// pipeline: a private capture (schema, connector, slot, topics), an evaluator child process with
// SYNCLINE_COMPACTION=<mode>, inserts, updates from concurrent Postgres clients, then the
// deployment's Redis memory (bucket-store's readMemoryUsage) once compaction has settled.
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { readMemoryUsage, type MemoryReport } from '@syncline/bucket-store';
import { getTestStack, syncTo, testKafka, waitFor } from '@syncline/test-kit';
import { compactionFloor, transactionsOf, type Workload } from './compaction-workload';
import { processCpuSeconds, redisCpuSeconds } from './cpu-time';
import { withPipeline, type Pipeline } from './pipeline-run';
import { recordsInTopic } from './topic-records';

/** Every row is in three buckets: the global one, its owner's (100 owners) and its project's (1,000). */
export const BUCKETS_PER_ROW = 3;
const OWNERS = 100;
const PROJECTS = 1000;
const RULES = `bucket_definitions:
  everything:
    data:
      - SELECT id, owner, project, n, body FROM items
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, n, body FROM items WHERE owner = bucket.owner
  by_project:
    parameters: SELECT token_parameters.project AS project
    data:
      - SELECT id, project, n FROM items WHERE project = bucket.project
`;
/** The buckets of row `id`, as the rules and the inserted owner and project put it. */
const bucketsOfRow = (id: number): string[] => ['everything', `o${id % OWNERS}`, `p${id % PROJECTS}`];
const TABLE =
  'CREATE TABLE items (id int PRIMARY KEY, owner text NOT NULL, project text NOT NULL, n bigint NOT NULL, body text NOT NULL);';
const INSERT_TX_ROWS = 1000;

export type CompactionMode = 'on' | 'off';

export interface RunOptions {
  readonly mode: CompactionMode;
  readonly workload: Workload;
  /** SYNCLINE_COMPACTION_INTERVAL_MS and SYNCLINE_COMPACTION_STEP_OPS, when set. */
  readonly compactionEnv: Readonly<Record<string, string>>;
  readonly intervalMs: number;
  readonly settleTimeoutMs: number;
  readonly progress: (line: string) => void;
}

export interface RunResult {
  readonly mode: CompactionMode;
  readonly afterInserts: MemoryReport;
  readonly atEnd: MemoryReport;
  /** Wall time of the commits, and from the first commit to the checkpoint covering the last. */
  readonly commitSeconds: number;
  readonly pipelineSeconds: number;
  /** The checkpoint covering the last update, after its commit. */
  readonly checkpointLagSeconds: number;
  /** From the first commit until every change event was in Kafka (Debezium's share). */
  readonly debeziumSeconds: number;
  /** The covering checkpoint after the last change event reached Kafka (the evaluator's own lag). */
  readonly evaluatorBehindSeconds: number;
  readonly evaluatorCpuSeconds: number;
  readonly redisCpuSeconds: number;
  /** After the catch-up: how long until ops stored stopped falling, the evaluator's CPU meanwhile. */
  readonly settleSeconds: number;
  readonly settled: boolean;
  readonly settleCpuSeconds: number;
  /** compactionFloor of the rows as they were written (updates in the order their commits returned). */
  readonly floorOps: number;
}

interface Run extends Pipeline {
  readonly options: RunOptions;
}

export async function runCompactionBench(options: RunOptions): Promise<RunResult> {
  return withPipeline(
    {
      label: 'bench_compaction',
      setupSql: TABLE,
      rules: RULES,
      partitions: 4,
      evaluatorEnv: {
        SYNCLINE_BUCKET_TOPIC: 'off',
        SYNCLINE_COMPACTION: options.mode,
        ...options.compactionEnv,
      },
    },
    (pipeline) => measure({ ...pipeline, options }),
  );
}

async function measure(run: Run): Promise<RunResult> {
  const { options, state } = run;
  const rows = options.workload.rows;
  options.progress(
    `mode ${options.mode}: inserting ${rows.toLocaleString('en-US')} rows (${run.capture.name})`,
  );
  await insertRows(run);
  const afterInserts = await readMemoryUsage(state.redis, state.keyPrefix);
  const pid = run.evaluator.child.pid;
  const redis = new Redis(getTestStack().endpoints.redisUrl);
  const [cpu0, redis0] = [processCpuSeconds(pid), await redisCpuSeconds(redis)];
  const delivered = whenInKafka(run, rows + options.workload.updates);
  delivered.catch(() => undefined); // awaited below; a failed run must not end on its rejection first
  const commits = await runUpdates(run);
  options.progress(`mode ${options.mode}: waiting for the checkpoint covering the last update`);
  const covering = await run.whileEvaluatorRuns(syncTo(run.capture, state, catchUpTimeoutMs(run)));
  const inKafka = await delivered;
  const [cpu1, redis1] = [processCpuSeconds(pid), await redisCpuSeconds(redis)];
  redis.disconnect();
  options.progress(`mode ${options.mode}: caught up; waiting for compaction to settle`);
  const settleStart = Date.now();
  const floorOps = compactionFloor(writtenRows(rows, commits.order), bucketsOfRow);
  const settled = await settle(run, floorOps);
  return {
    mode: options.mode,
    afterInserts,
    atEnd: settled.report,
    commitSeconds: (commits.last - commits.first) / 1000,
    pipelineSeconds: (covering.publishedAtMs - commits.first) / 1000,
    checkpointLagSeconds: (covering.publishedAtMs - commits.last) / 1000,
    debeziumSeconds: (inKafka - commits.first) / 1000,
    evaluatorBehindSeconds: (covering.publishedAtMs - inKafka) / 1000,
    evaluatorCpuSeconds: cpu1 - cpu0,
    redisCpuSeconds: redis1 - redis0,
    settleSeconds: (Date.now() - settleStart) / 1000,
    settled: settled.settled,
    settleCpuSeconds: processCpuSeconds(pid) - cpu1,
    floorOps,
  };
}

/** The rows as transactions of 1,000, then the checkpoint that covers them. */
async function insertRows(run: Run): Promise<void> {
  const { pg } = run.capture;
  const rows = run.options.workload.rows;
  for (let from = 1; from <= rows; from += INSERT_TX_ROWS)
    await pg.query(
      `INSERT INTO items SELECT g, 'o' || (g % ${OWNERS}), 'p' || (g % ${PROJECTS}), 0, 'row ' || g || ' v0'
       FROM generate_series($1::int, $2::int) g`,
      [from, Math.min(rows, from + INSERT_TX_ROWS - 1)],
    );
  // Start-up of the evaluator included: generous.
  await run.whileEvaluatorRuns(syncTo(run.capture, run.state, 300_000));
}

function* writtenRows(rows: number, updated: readonly (readonly number[])[]): Generator<number> {
  for (let id = 1; id <= rows; id++) yield id;
  for (const ids of updated) yield* ids;
}

/**
 * Commits the workload's updates from its concurrent clients: the times of the first and last
 * commit, and the transactions' rows in the order their commits returned.
 */
async function runUpdates(run: Run): Promise<{ first: number; last: number; order: number[][] }> {
  const { workload, progress, mode } = run.options;
  const clients = await Promise.all(
    Array.from({ length: workload.clients }, async () => {
      const pg = new Client({ connectionString: getTestStack().endpoints.pgUrl });
      await pg.connect();
      await pg.query(`SET search_path TO ${run.capture.schema}`);
      return pg;
    }),
  );
  let [first, last, committed] = [Infinity, 0, 0];
  const order: number[][] = [];
  const report = setInterval(
    () => progress(`mode ${mode}: ${committed.toLocaleString('en-US')} updates committed`),
    15_000,
  );
  try {
    await Promise.all(
      clients.map(async (pg, c) => {
        for (const ids of transactionsOf(workload, c)) {
          // One statement is one transaction: the rows of `ids`, each once.
          await pg.query(
            `UPDATE items SET n = n + 1, body = 'row ' || id || ' v' || (n + 1) WHERE id = ANY($1::int[])`,
            [ids],
          );
          const now = Date.now();
          first = Math.min(first, now);
          last = Math.max(last, now);
          committed += ids.length;
          order.push(ids);
        }
      }),
    );
  } finally {
    clearInterval(report);
    await Promise.all(clients.map((pg) => pg.end()));
  }
  if (committed !== workload.updates)
    throw new Error(`${committed} updates committed, not ${workload.updates}`);
  if (committed === 0) first = last = Date.now();
  return { first, last, order };
}

/** When the capture's change topic holds `events` records, polled every 100 ms. */
async function whenInKafka(run: Run, events: number): Promise<number> {
  const admin = testKafka(getTestStack().endpoints.kafkaBrokers).admin();
  await admin.connect();
  const topic = run.capture.tableTopic('items');
  const stored = (): Promise<number> => recordsInTopic(admin, topic);
  try {
    return await waitFor(
      `${events} change events in ${topic}`,
      async () => (await stored()) >= events && Date.now(),
      catchUpTimeoutMs(run),
    );
  } finally {
    await admin.disconnect();
  }
}

/** At least 1,000 updates a second through Debezium and the evaluator, and 10 minutes. */
const catchUpTimeoutMs = (run: Run): number => Math.max(600_000, run.options.workload.updates);

/** A fall of the deployment's bytes by this fraction between two polls counts as progress. */
const BYTES_PROGRESS = 0.001;

/**
 * Reads the deployment's memory until the ops stored reach `floorOps` (what the design keeps at
 * best) and one more pass ran, or have made no progress for a quiet window, or the settle timeout
 * passes. The quiet window is two compaction intervals and a poll, and at least a minute: the
 * stored ops fall only when a pass's walk of a bucket ends, and one pass over a bucket of a
 * million ops takes longer than two intervals (measured: a 12.5 s window ended a
 * 1,000,000-update run far above the floor), so the bytes its packs free count as progress too
 * (a run on a loaded machine went 60 s without a fall of ops mid-walk and stopped at 29x).
 * With compaction off that is one quiet window.
 */
async function settle(run: Run, floorOps: number): Promise<{ report: MemoryReport; settled: boolean }> {
  const { intervalMs, settleTimeoutMs } = run.options;
  const pollMs = Math.min(5000, Math.max(1000, intervalMs / 2));
  const quietMs = Math.max(2 * intervalMs + pollMs, 60_000);
  const deadline = Date.now() + settleTimeoutMs;
  let report = await readMemoryUsage(run.state.redis, run.state.keyPrefix);
  let lastFall = Date.now();
  let atFloorSince: number | null = null;
  for (;;) {
    if (Date.now() - lastFall >= quietMs) return { report, settled: true };
    // At the floor, one more pass (two intervals) packs what the last one moved.
    if (report.ops <= floorOps) atFloorSince ??= Date.now();
    if (atFloorSince !== null && Date.now() - atFloorSince >= 2 * intervalMs + pollMs)
      return { report, settled: true };
    if (Date.now() >= deadline) return { report, settled: false };
    await run.whileEvaluatorRuns(new Promise((r) => setTimeout(r, pollMs)));
    const next = await readMemoryUsage(run.state.redis, run.state.keyPrefix);
    // Progress is ops stored falling (a walk's CLEAR) or, mid-walk, bytes falling (its packs).
    if (next.ops < report.ops || next.bytes < report.bytes * (1 - BYTES_PROGRESS)) lastFall = Date.now();
    report = next;
  }
}
