// Syncline as the side-by-side benchmark's system under test: a private capture whose table holds
// the snapshot rows before its connector starts (snapshot.mode initial), one evaluator process,
// checkpoints read from the deployment's Redis, latency probes as write checkpoints committed in
// the probed transaction itself.
import { Client } from 'pg';
import { formatWriteCheckpoint, writeCheckpointPrefix } from '@syncline/protocol';
import { getTestStack, recordCheckpoints, syncTo } from '@syncline/test-kit';
import { freePort } from '@syncline/stack';
import { processTreeCpuSeconds } from './cpu-time';
import { stageBreakdown } from './latency-stages';
import { withPipeline, type Pipeline } from './pipeline-run';
import {
  runBatches,
  runSteady,
  runUpdates,
  type PhaseContext,
  type PhaseResult,
  type SystemUnderTest,
} from './side-by-side-phases';
import type { ShapeSql } from './side-by-side-shape';
import { type Phase, type SideBySideWorkload, parseLsn } from './side-by-side-workload';
import { stackPids, startCpuMeter, type CpuMeter } from './stack-processes';

export interface SystemRun {
  readonly system: string;
  readonly results: PhaseResult[];
}

const PROBE_USER = 'bench_probe';

/** Runs the phases in `phases` (the snapshot always: it fills the table) against Syncline. */
export async function runSyncline(
  workload: SideBySideWorkload,
  sql: ShapeSql,
  phases: ReadonlySet<Phase>,
  options: {
    timeoutMs: number;
    progress: (line: string) => void;
    /** Connector settings over the template's (tuning runs). */
    connector?: Readonly<Record<string, string>>;
    /** Evaluator settings over the benchmark's (e.g. SYNCLINE_ROW_STATE_CACHE_ROWS). */
    evaluatorEnv?: Readonly<Record<string, string>>;
  },
): Promise<SystemRun> {
  const metricsPort = await freePort();
  let started = 0;
  let meter: CpuMeter | undefined;
  let evaluatorPid: number | undefined;
  const pids = () => ({ evaluator: evaluatorPid, ...stackPids() });
  options.progress(
    `Syncline: ${workload.snapshotRows.toLocaleString('en-US')} rows, then the capture's snapshot`,
  );
  return withPipeline(
    {
      label: 'bench_sbs',
      setupSql: `${sql.table}\n${sql.insertRows.replace('$1::int', '1').replace('$2::int', String(workload.snapshotRows))};`,
      rules: sql.rules,
      partitions: 4,
      evaluatorEnv: {
        SYNCLINE_BUCKET_TOPIC: 'off',
        SYNCLINE_HTTP_PORT: String(metricsPort),
        ...options.evaluatorEnv,
      },
      connectorOverrides: { 'snapshot.mode': 'initial', ...options.connector },
      onSetupDone: () => {
        started = Date.now();
        meter = startCpuMeter(pids);
      },
    },
    async (pipeline) => {
      evaluatorPid = pipeline.evaluator.child.pid;
      const system = await synclineSystem(pipeline, sql, pids);
      try {
        const covered = await pipeline.whileEvaluatorRuns(
          syncTo(pipeline.capture, pipeline.state, options.timeoutMs),
        );
        const cpu = meter!.read();
        const snapshot: PhaseResult = {
          phase: 'snapshot',
          rows: workload.snapshotRows,
          transactions: 1,
          commitSeconds: 0,
          wallSeconds: (covered.publishedAtMs - started) / 1000,
          lagSeconds: (covered.publishedAtMs - started) / 1000,
          // The evaluator's CPU since it started: its start-up (~2.5 s) is in the snapshot's figure.
          cpu: { ...cpu, evaluator: processTreeCpuSeconds(evaluatorPid) },
          check: await system.verifyRows(workload.snapshotRows),
        };
        const ctx: PhaseContext = { system, workload, sql, ...options };
        const results = [snapshot];
        const runners = { batches: runBatches, updates: runUpdates, steady: runSteady } as const;
        for (const phase of ['batches', 'updates', 'steady'] as const)
          if (phases.has(phase)) {
            options.progress(`Syncline: phase ${phase}`);
            const before = await evaluatorMetrics(metricsPort);
            const result = await pipeline.whileEvaluatorRuns(runners[phase](ctx));
            results.push({ ...result, stages: stageBreakdown(await evaluatorMetrics(metricsPort), before) });
          }
        return { system: 'Syncline', results };
      } finally {
        system.close();
      }
    },
  );
}

/** The evaluator's /metrics text. */
async function evaluatorMetrics(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!response.ok) throw new Error(`the evaluator's /metrics answered ${response.status}`);
  return response.text();
}

async function synclineSystem(
  pipeline: Pipeline,
  sql: ShapeSql,
  pids: () => Record<string, number | undefined>,
): Promise<SystemUnderTest & { close(): void }> {
  const { capture, state } = pipeline;
  const deployment = capture.name;
  /** Per steady client, when each probe committed (index n - 1) and when a checkpoint first listed it. */
  const committedAt = new Map<number, number[]>();
  const coveredAt = new Map<number, number[]>();
  const recording = await recordCheckpoints(state, (checkpoint) => {
    for (const wc of checkpoint.writeCheckpoints) {
      if (wc.userId !== PROBE_USER) continue;
      const client = Number(wc.clientId.slice('steady'.length));
      const seen = coveredAt.get(client) ?? [];
      // A checkpoint names a client's newest write checkpoint: it covers every earlier probe too.
      for (let n = seen.length + 1; n <= Number(wc.n); n++) seen.push(checkpoint.publishedAtMs);
      coveredAt.set(client, seen);
    }
  });
  return {
    name: 'Syncline',
    async connect() {
      const pg = new Client({ connectionString: getTestStack().endpoints.pgUrl });
      await pg.connect();
      await pg.query(`SET search_path TO ${capture.schema}`);
      return pg;
    },
    pids,
    async coveredAt(_lastLsn, timeoutMs) {
      // A write checkpoint emitted now is after every commit so far.
      return (await syncTo(capture, state, timeoutMs)).publishedAtMs;
    },
    async probedUpdate(pg, rowId, client, n) {
      const content = formatWriteCheckpoint({
        userId: PROBE_USER,
        clientId: `steady${client}`,
        n: String(n),
      });
      const { rows } = await pg.query<{ lsn: string }>(sql.updateRowProbe, [
        rowId,
        writeCheckpointPrefix(deployment),
        content,
      ]);
      const times = committedAt.get(client) ?? [];
      times[n - 1] = Date.now();
      committedAt.set(client, times);
      return parseLsn(rows[0]!.lsn);
    },
    probeLatencies() {
      const latencies: number[] = [];
      for (const [client, times] of committedAt) {
        const seen = coveredAt.get(client) ?? [];
        times.forEach((t, i) => latencies.push((seen[i] ?? NaN) - t));
      }
      return Promise.resolve(latencies);
    },
    async verifyRows(rows) {
      const checkpoint = await state.reader.currentCheckpoint();
      if (checkpoint === null) return 'no checkpoint';
      const [global] = await state.reader.checksumsAt(['global[]'], BigInt(checkpoint.lastOpId));
      const count = global?.count ?? 0;
      return count === rows
        ? `global bucket holds ${rows} ops: ok`
        : `global bucket holds ${count} ops, not ${rows}`;
    },
    close: () => recording.close(),
  };
}
