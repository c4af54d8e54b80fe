// Compaction benchmark (issue 13): 10,000 rows in three buckets each, then N updates (1,000,000 by
// default) through Postgres -> Debezium -> Kafka -> evaluator -> Redis, with the evaluator's
// compaction off and on. Prints, side by side, the evaluator's throughput (first update commit ->
// the checkpoint covering the last), the deployment's Redis bytes after the inserts and at the end
// (once compaction settled), their ratio against the target "end <= 2x after inserts", the ops
// stored and the bytes per live op. A benchmark: it exits 0 whether the target is met or not.
// Usage: npx tsx bench/compaction.ts [--updates 1000000] [--mode both|on|off]
//   [--pattern uniform|round-robin|hot-cold] [--tx-rows 100] [--clients 2] [--rows 10000]
//   [--interval-ms N] [--step-ops N] [--settle-timeout-s 300] [--seed 1]
//   [--repeat 1] (the modes alternate, off first; the comparison takes the medians)
import { parseArgs } from 'node:util';
import { formatBytes, MEMORY_CATEGORIES, type MemoryReport } from '@syncline/bucket-store';
import { useShellStack } from '@syncline/test-kit';
import { BUCKETS_PER_ROW, runCompactionBench, type CompactionMode, type RunResult } from './compaction-run';
import { workloadProblem, type UpdatePattern, type Workload } from './compaction-workload';
import { print, runBenchmark } from './script';

const { values: args } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000000' },
    rows: { type: 'string', default: '10000' },
    mode: { type: 'string', default: 'both' },
    pattern: { type: 'string', default: 'uniform' },
    'tx-rows': { type: 'string', default: '100' },
    clients: { type: 'string', default: '2' },
    'interval-ms': { type: 'string' },
    'step-ops': { type: 'string' },
    'settle-timeout-s': { type: 'string', default: '300' },
    repeat: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
  },
});

/** The evaluator's default SYNCLINE_COMPACTION_INTERVAL_MS, for the settle window when none is set. */
const DEFAULT_INTERVAL_MS = 5000;
const TARGET_RATIO = 2;
const MODES: Record<string, CompactionMode[]> = { both: ['off', 'on'], on: ['on'], off: ['off'] };

/** The compaction settings passed to the evaluator: the flag's value, else the environment's. */
function compactionEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const interval = args['interval-ms'] ?? process.env.SYNCLINE_COMPACTION_INTERVAL_MS;
  const step = args['step-ops'] ?? process.env.SYNCLINE_COMPACTION_STEP_OPS;
  if (interval !== undefined) env.SYNCLINE_COMPACTION_INTERVAL_MS = interval;
  if (step !== undefined) env.SYNCLINE_COMPACTION_STEP_OPS = step;
  return env;
}

// ---- the table --------------------------------------------------------------------------------

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const bytesOf = (r: MemoryReport): string => `${formatBytes(r.bytes)} (${int(r.bytes)} B)`;
const ratio = (r: RunResult): number => r.atEnd.bytes / r.afterInserts.bytes;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function rowsFor(w: Workload): [string, (r: RunResult) => string][] {
  const liveOps = w.rows * BUCKETS_PER_ROW;
  const perUpdate = (s: number) => (w.updates === 0 ? '-' : `${((s * 1e6) / w.updates).toFixed(1)} µs`);
  const category = (c: (typeof MEMORY_CATEGORIES)[number]) =>
    [
      `  ${c} (after inserts -> end)`,
      (r: RunResult) =>
        `${formatBytes(r.afterInserts.categories[c].bytes)} -> ${formatBytes(r.atEnd.categories[c].bytes)}`,
    ] as [string, (r: RunResult) => string];
  return [
    ['SYNCLINE_COMPACTION', (r) => r.mode],
    [
      'updates committed in',
      (r) => `${r.commitSeconds.toFixed(1)} s (${int(w.updates / r.commitSeconds)} rows/s)`,
    ],
    [
      'evaluator throughput',
      (r) => `${int(w.updates / r.pipelineSeconds)} rows/s (${r.pipelineSeconds.toFixed(1)} s)`,
    ],
    ['covering checkpoint after last commit', (r) => `${r.checkpointLagSeconds.toFixed(1)} s`],
    [
      'Debezium: all events in Kafka',
      (r) => `${int(w.updates / r.debeziumSeconds)} rows/s (${r.debeziumSeconds.toFixed(1)} s)`,
    ],
    ['covering checkpoint after last event in Kafka', (r) => `${r.evaluatorBehindSeconds.toFixed(1)} s`],
    ['evaluator CPU per update', (r) => perUpdate(r.evaluatorCpuSeconds)],
    ['Redis CPU per update (whole server)', (r) => perUpdate(r.redisCpuSeconds)],
    ['Redis bytes after inserts', (r) => bytesOf(r.afterInserts)],
    ['Redis bytes at end', (r) => bytesOf(r.atEnd)],
    ...MEMORY_CATEGORIES.map(category),
    [`end / after inserts (target <= ${TARGET_RATIO})`, (r) => `${ratio(r).toFixed(2)}x`],
    ['ops written', () => int((w.rows + w.updates) * BUCKETS_PER_ROW)],
    ['ops stored after inserts -> end', (r) => `${int(r.afterInserts.ops)} -> ${int(r.atEnd.ops)}`],
    ['live ops (rows x buckets)', () => int(liveOps)],
    [
      'floor of ops a MOVE/CLEAR compaction keeps',
      (r) => `${int(r.floorOps)} (${(r.floorOps / liveOps).toFixed(2)}x live)`,
    ],
    [
      'bytes per live op (all / buckets)',
      (r) => `${int(r.atEnd.bytes / liveOps)} / ${int(r.atEnd.categories.buckets.bytes / liveOps)}`,
    ],
    [
      'bytes per op stored (buckets)',
      (r) => int(r.atEnd.categories.buckets.bytes / Math.max(1, r.atEnd.ops)),
    ],
    ['settled after', (r) => `${r.settleSeconds.toFixed(0)} s${r.settled ? '' : ' (timed out)'}`],
    ['evaluator CPU while settling', (r) => `${r.settleCpuSeconds.toFixed(1)} s`],
  ];
}

function printTable(w: Workload, results: RunResult[]): void {
  const rows = rowsFor(w);
  const labelWidth = Math.max(...rows.map(([label]) => label.length));
  const cells = rows.map(([, cell]) => results.map(cell));
  const widths = results.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  rows.forEach(([label], i) =>
    print(`${label.padEnd(labelWidth)}  ${cells[i]!.map((c, j) => c.padStart(widths[j]!)).join('  ')}`),
  );
}

function printVerdicts(w: Workload, results: RunResult[]): void {
  for (const r of results) {
    const met = ratio(r) <= TARGET_RATIO ? 'met' : 'NOT met';
    print(
      `target "end <= ${TARGET_RATIO}x after inserts", compaction ${r.mode}: ${ratio(r).toFixed(2)}x, ${met}`,
    );
    const written = (w.rows + w.updates) * BUCKETS_PER_ROW;
    if (r.mode === 'on' && w.updates > 0 && r.atEnd.ops >= written)
      print(
        `  compaction on, yet all ${int(written)} ops written are still stored: this evaluator has no ` +
          `compaction worker (SYNCLINE_COMPACTION is ignored), or it did not run before the settle timeout`,
      );
  }
  const of = (mode: CompactionMode) => results.filter((r) => r.mode === mode);
  const [off, on] = [of('off'), of('on')];
  if (off.length === 0 || on.length === 0) return;
  const rate = (rs: RunResult[]) => median(rs.map((r) => w.updates / r.pipelineSeconds));
  const cpu = (rs: RunResult[]) => median(rs.map((r) => r.evaluatorCpuSeconds));
  print(
    `evaluator throughput with compaction / without: ${(rate(on) / rate(off)).toFixed(2)} ` +
      `(wall clock, noisy when the stack shares the machine); evaluator CPU per update with / without: ` +
      `${(cpu(on) / Math.max(1e-9, cpu(off))).toFixed(2)}${off.length > 1 ? ` (medians of ${off.length} runs each)` : ''}`,
  );
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const workload: Workload = {
    rows: Number(args.rows),
    updates: Number(args.updates),
    txRows: Number(args['tx-rows']),
    clients: Number(args.clients),
    pattern: args.pattern as UpdatePattern,
    seed: Number(args.seed),
  };
  const problem = workloadProblem(workload);
  const modes = MODES[args.mode];
  if (problem !== null || modes === undefined)
    throw new Error(problem ?? `--mode must be both, on or off, not '${args.mode}'`);
  if (useShellStack() === undefined)
    progress(
      'no stack in the environment (eval "$(npx syncline stack env)"): using the one a test run recorded',
    );
  const env = compactionEnv();
  const intervalMs = Number(env.SYNCLINE_COMPACTION_INTERVAL_MS ?? DEFAULT_INTERVAL_MS);
  print(
    `compaction benchmark: ${int(workload.rows)} rows x ${BUCKETS_PER_ROW} buckets, ${int(workload.updates)} updates ` +
      `(${workload.pattern}, ${workload.txRows} rows per transaction, ${workload.clients} clients, seed ${workload.seed}); ` +
      `compaction settings: ${
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ') || "the evaluator's defaults"
      }`,
  );
  const started = Date.now();
  const results: RunResult[] = [];
  const repeat = Number(args.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a positive integer');
  for (let i = 0; i < repeat; i++)
    for (const mode of modes)
      results.push(
        await runCompactionBench({
          mode,
          workload,
          compactionEnv: env,
          intervalMs,
          settleTimeoutMs: Number(args['settle-timeout-s']) * 1000,
          progress,
        }),
      );
  printTable(workload, results);
  printVerdicts(workload, results);
  print(`wall time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

runBenchmark(main);

function progress(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
