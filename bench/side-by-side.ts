// Side-by-side benchmark (issue 14): the same workloads against Syncline and, when asked, the
// PowerSync Service open edition, one after the other on the same stack's Postgres, with a
// 10-column table and a global plus a per-owner bucket. Per phase and system: wall time, rows/s,
// the lag of the covering checkpoint after the last commit, CPU per process and per row, and
// Syncline's ratio to PowerSync. A benchmark: prints figures and exits 0.
// Usage: npx tsx bench/side-by-side.ts [--snapshot-rows 200000] [--batch-transactions 1000]
//   [--batch-rows 100] [--updates 20000] [--update-clients 4] [--steady-rate 2800]
//   [--steady-seconds 30] [--steady-clients 8] [--probe-every 10] [--phases snapshot,batches,updates,steady]
//   [--powersync-dir /work/scratch-powersync --powersync-node PATH] [--systems syncline,powersync]
//   [--timeout-s 900]
import { parseArgs } from 'node:util';
import { useShellStack } from '@syncline/test-kit';
import { print, runBenchmark } from './script';
import type { PhaseResult } from './side-by-side-phases';
import { runPowerSync } from './side-by-side-powersync';
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
    'snapshot-rows': { type: 'string', default: '200000' },
    'batch-transactions': { type: 'string', default: '1000' },
    'batch-rows': { type: 'string', default: '100' },
    updates: { type: 'string', default: '20000' },
    'update-clients': { type: 'string', default: '4' },
    'steady-rate': { type: 'string', default: '2800' },
    'steady-seconds': { type: 'string', default: '30' },
    'steady-clients': { type: 'string', default: '8' },
    'probe-every': { type: 'string', default: '10' },
    phases: { type: 'string', default: PHASES.join(',') },
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

/** `key=value` of --connector-set. */
function setting(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`--connector-set wants key=value, got ${JSON.stringify(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
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

async function main(): Promise<void> {
  const workload: SideBySideWorkload = {
    snapshotRows: Number(args['snapshot-rows']),
    batchTransactions: Number(args['batch-transactions']),
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
  const phases = parsePhases(args.phases);
  if (useShellStack() === undefined)
    progress(
      'no stack in the environment (eval "$(npx syncline stack env)"): using the one a test run recorded',
    );
  const options = { timeoutMs: Number(args['timeout-s']) * 1000, progress };
  print(`side-by-side benchmark: ${JSON.stringify(workload)}; phases ${[...phases].join(', ')}`);
  const runs: SystemRun[] = [];
  if (args.systems.split(',').includes('syncline')) {
    const connector = Object.fromEntries(args['connector-set'].map(setting));
    runs.push(await runSyncline(workload, phases, { ...options, connector }));
    printRun(runs[runs.length - 1]!);
  }
  const powersyncDir = args['powersync-dir'];
  if (powersyncDir !== undefined && args.systems.split(',').includes('powersync')) {
    const powersync = {
      dir: powersyncDir,
      node: args['powersync-node'],
      storageDatabase: args['powersync-storage-db'],
      port: Number(args['powersync-port']),
    };
    runs.push(await runPowerSync(powersync, workload, phases, options));
    printRun(runs[runs.length - 1]!);
  }
  printRatios(runs);
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
