// Side-by-side benchmark (issue 14): the same workloads against Syncline and, when asked, the
// PowerSync Service open edition, one after the other on the same stack's Postgres, with a
// 10-column table and a global plus a per-owner bucket by default (--columns, --buckets). Per
// phase and system: wall time, rows/s, the lag of the covering checkpoint after the last commit,
// CPU per process and per row, and Syncline's ratio to PowerSync. A benchmark: prints figures
// and exits 0.
// Usage: npx tsx bench/side-by-side.ts [--snapshot-rows 200000] [--batch-transactions 1000]
//   [--batch-rows 100] [--updates 20000] [--update-clients 4] [--steady-rate 2800]
//   [--steady-seconds 30] [--steady-clients 8] [--probe-every 10] [--phases snapshot,batches,updates,steady]
//   [--powersync-dir /work/scratch-powersync --powersync-node PATH] [--systems syncline,powersync]
//   [--timeout-s 900] [--columns 10] [--buckets 2]
//   [--growth table|buckets|columns [--growth-points 1,4,16] [--growth-repeat 1] [--cache-rows 10000]]
// With --growth, each point of that kind runs on each system (fresh table, capture, evaluator and
// service) and the phases' growth tables are printed (side-by-side-growth.ts); the growth runs
// default to --snapshot-rows = --cache-rows, --batch-transactions 50 and --phases
// snapshot,batches,updates.
import { parseArgs } from 'node:util';
import { useShellStack } from '@syncline/test-kit';
import { keyValueSettings, positiveInteger, print, runBenchmark } from './script';
import { parseCacheRows, parseGrowth, parsePoints, type GrowthPlan } from './side-by-side-growth';
import { runGrowth } from './side-by-side-growth-run';
import type { PhaseResult } from './side-by-side-phases';
import { runPowerSync } from './side-by-side-powersync';
import { DEFAULT_SHAPE, shapeProblem, shapeSql, type ShapeSql, type TableShape } from './side-by-side-shape';
import { runSyncline, type SystemRun } from './side-by-side-syncline';
import {
  percentile,
  PHASES,
  sideBySideProblem,
  type Phase,
  type SideBySideWorkload,
} from './side-by-side-workload';

const { values: args } = parseArgs({
  options: {
    /** Defaults: 200000 and 1000, or for --growth the cache's rows and 50. */
    'snapshot-rows': { type: 'string' },
    'batch-transactions': { type: 'string' },
    'batch-rows': { type: 'string', default: '100' },
    updates: { type: 'string', default: '20000' },
    'update-clients': { type: 'string', default: '4' },
    'steady-rate': { type: 'string', default: '2800' },
    'steady-seconds': { type: 'string', default: '30' },
    'steady-clients': { type: 'string', default: '8' },
    'probe-every': { type: 'string', default: '10' },
    /** Default: every phase, or for --growth snapshot,batches,updates. */
    phases: { type: 'string' },
    columns: { type: 'string', default: String(DEFAULT_SHAPE.columns) },
    buckets: { type: 'string', default: String(DEFAULT_SHAPE.buckets) },
    growth: { type: 'string' },
    'growth-points': { type: 'string' },
    'growth-repeat': { type: 'string', default: '1' },
    /** The evaluator's row-state cache in growth runs (SYNCLINE_ROW_STATE_CACHE_ROWS). */
    'cache-rows': { type: 'string', default: '10000' },
    'powersync-dir': { type: 'string' },
    'powersync-node': { type: 'string', default: 'node' },
    'powersync-storage-db': { type: 'string', default: 'powersync_bench_storage' },
    'powersync-port': { type: 'string', default: '18090' },
    'timeout-s': { type: 'string', default: '900' },
    /** Which of the two to run (PowerSync only with --powersync-dir). */
    systems: { type: 'string', default: 'syncline,powersync' },
    /** Syncline's connector settings over the template's, `key=value`, repeatable (tuning runs). */
    'connector-set': { type: 'string', multiple: true, default: [] },
  },
});

/** The processes each figure names, in print order (a system's own first). */
const PROCESSES = ['evaluator', 'powersync', 'connect', 'kafka', 'redis', 'postgres'];

const int = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const secs = (s: number): string => `${s.toFixed(2)} s`;
const perRow = (cpuSeconds: number, rows: number): string => `${((cpuSeconds * 1e6) / rows).toFixed(1)} µs`;

function describe(r: PhaseResult): string[] {
  const rate = r.rows / r.wallSeconds;
  const lines = [
    `  ${r.phase}: ${int(r.rows)} rows in ${int(r.transactions)} tx; commits ${secs(r.commitSeconds)}, ` +
      `covered after ${secs(r.wallSeconds)} (${int(rate)} rows/s, ${int(r.transactions / r.wallSeconds)} tx/s); ` +
      `lag after the last commit ${secs(r.lagSeconds)}`,
  ];
  const processes = PROCESSES.filter((p) => r.cpu[p] !== undefined)
    .map((p) => `${p} ${r.cpu[p]!.toFixed(1)} s (${perRow(r.cpu[p]!, r.rows)})`)
    .join(', ');
  lines.push(
    `    CPU (per row): machine ${r.cpu.machine!.toFixed(1)} s (${perRow(r.cpu.machine!, r.rows)}); ${processes}`,
  );
  if (r.latenciesMs !== undefined) {
    const l = r.latenciesMs;
    lines.push(
      `    steady: reached ${int(r.achievedRate ?? NaN)} tx/s; ${l.length} probes, lag p50 ${int(percentile(l, 50))} ms, ` +
        `p99 ${int(percentile(l, 99))} ms, max ${int(l[l.length - 1] ?? NaN)} ms (target p99 < 100 ms)`,
    );
  }
  if (r.stages !== undefined) lines.push(`    ${r.stages}`);
  if (r.check !== undefined) lines.push(`    check: ${r.check}`);
  return lines;
}

/** Syncline against PowerSync for one phase: above 1 means Syncline is ahead. */
function ratios(s: PhaseResult, p: PhaseResult): string {
  const rate = (r: PhaseResult) => r.rows / r.wallSeconds;
  const cpuPerRow = (r: PhaseResult) => r.cpu.machine! / r.rows;
  const parts = [
    // A steady phase's rows/s is the rate it was given: its figure is the latency.
    s.phase === 'steady'
      ? `rate reached ${int(s.achievedRate ?? NaN)} vs ${int(p.achievedRate ?? NaN)} tx/s`
      : `rows/s ${(rate(s) / rate(p)).toFixed(2)}x (target >= 1.5x)`,
    `machine CPU per row ${(cpuPerRow(p) / cpuPerRow(s)).toFixed(2)}x (PowerSync's / Syncline's; target >= 1)`,
    `lag after the last commit ${secs(s.lagSeconds)} vs ${secs(p.lagSeconds)}`,
  ];
  if (s.latenciesMs && p.latenciesMs)
    parts.push(
      `lag p50 ${int(percentile(s.latenciesMs, 50))} vs ${int(percentile(p.latenciesMs, 50))} ms, ` +
        `p99 ${int(percentile(s.latenciesMs, 99))} vs ${int(percentile(p.latenciesMs, 99))} ms`,
    );
  return `  ${s.phase}: ${parts.join('; ')}`;
}

function printRun(run: SystemRun): void {
  print(`${run.system}:`);
  for (const r of run.results) describe(r).forEach(print);
}

function parsePhases(text: string): Set<Phase> {
  const phases = new Set(text.split(',').map((p) => p.trim()));
  for (const p of phases)
    if (!(PHASES as readonly string[]).includes(p))
      throw new Error(`--phases: unknown phase '${p}' (${PHASES.join(', ')})`);
  return phases as Set<Phase>;
}

function readWorkload(growing: boolean, cacheRows: number): SideBySideWorkload {
  const workload: SideBySideWorkload = {
    snapshotRows: Number(args['snapshot-rows'] ?? (growing ? cacheRows : 200_000)),
    batchTransactions: Number(args['batch-transactions'] ?? (growing ? 50 : 1000)),
    batchRows: Number(args['batch-rows']),
    updates: Number(args.updates),
    updateClients: Number(args['update-clients']),
    steadyRate: Number(args['steady-rate']),
    steadySeconds: Number(args['steady-seconds']),
    steadyClients: Number(args['steady-clients']),
    probeEvery: Number(args['probe-every']),
  };
  const problem = sideBySideProblem(workload);
  if (problem !== null) throw new Error(problem);
  return workload;
}

function readShape(): TableShape {
  const shape = { columns: Number(args.columns), buckets: Number(args.buckets) };
  const problem = shapeProblem(shape);
  if (problem !== null) throw new Error(`--columns/--buckets: ${problem}`);
  return shape;
}

/** The systems asked for, one after the other on one workload, each printed as it ends. */
function systemsRunner(
  phases: ReadonlySet<Phase>,
  evaluatorEnv: Readonly<Record<string, string>>,
): (workload: SideBySideWorkload, sql: ShapeSql) => Promise<SystemRun[]> {
  const options = { timeoutMs: Number(args['timeout-s']) * 1000, progress };
  const systems = args.systems.split(',');
  const connector = keyValueSettings(args['connector-set'], '--connector-set');
  const powersyncDir = args['powersync-dir'];
  return async (workload, sql) => {
    const runs: SystemRun[] = [];
    if (systems.includes('syncline')) {
      runs.push(await runSyncline(workload, sql, phases, { ...options, connector, evaluatorEnv }));
      printRun(runs[runs.length - 1]!);
    }
    if (powersyncDir !== undefined && systems.includes('powersync')) {
      const powersync = {
        dir: powersyncDir,
        node: args['powersync-node'],
        storageDatabase: args['powersync-storage-db'],
        port: Number(args['powersync-port']),
      };
      runs.push(await runPowerSync(powersync, workload, sql, phases, options));
      printRun(runs[runs.length - 1]!);
    }
    return runs;
  };
}

async function main(): Promise<void> {
  const growth = args.growth === undefined ? undefined : parseGrowth(args.growth);
  const cacheRows = parseCacheRows(args['cache-rows']);
  const workload = readWorkload(growth !== undefined, cacheRows);
  const shape = readShape();
  const phases = parsePhases(
    args.phases ?? (growth === undefined ? PHASES.join(',') : 'snapshot,batches,updates'),
  );
  if (useShellStack() === undefined)
    progress(
      'no stack in the environment (eval "$(npx syncline stack env)"): using the one a test run recorded',
    );
  if (growth !== undefined) {
    const plan: GrowthPlan = {
      growth,
      cacheRows,
      base: shape,
      baseSnapshotRows: workload.snapshotRows,
      points: parsePoints(growth, args['growth-points']),
      repeat: positiveInteger('--growth-repeat', args['growth-repeat']),
    };
    const env = { SYNCLINE_ROW_STATE_CACHE_ROWS: String(cacheRows) };
    print(`side-by-side benchmark, growth: ${JSON.stringify(workload)}; phases ${[...phases].join(', ')}`);
    await runGrowth(plan, workload, systemsRunner(phases, env), progress);
    return;
  }
  print(
    `side-by-side benchmark: ${JSON.stringify(workload)}; ${shape.columns} columns, ${shape.buckets} buckets ` +
      `per row; phases ${[...phases].join(', ')}`,
  );
  printRatios(await systemsRunner(phases, {})(workload, shapeSql(shape)));
}

function printRatios(runs: SystemRun[]): void {
  const syncline = runs.find((r) => r.system === 'Syncline');
  const powersync = runs.find((r) => r.system === 'PowerSync');
  if (syncline === undefined || powersync === undefined) {
    print(
      'not both systems measured (--powersync-dir, --systems): no ratios; see docs/benchmarks-powersync.md',
    );
    return;
  }
  print('Syncline / PowerSync:');
  for (const s of syncline.results) {
    const p = powersync.results.find((r) => r.phase === s.phase);
    if (p !== undefined) print(ratios(s, p));
  }
}

runBenchmark(main);

function progress(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}
