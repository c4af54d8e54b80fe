// The side-by-side benchmark's phases after the initial snapshot, run the same way against any
// system under test: 100-row insert batches, single-row updates from concurrent clients, and a
// steady rate of single-row updates with latency probes. Each phase ends when the system has a
// checkpoint covering its last commit, and reports wall time, rows/s and the CPU each process spent.
import type { Client } from 'pg';
import type { ShapeSql } from './side-by-side-shape';
import {
  parseLsn,
  rowsUpdatedBy,
  shareOf,
  type Phase,
  type SideBySideWorkload,
} from './side-by-side-workload';
import { startCpuMeter, type CpuUse } from './stack-processes';

/** One system measured: Syncline's pipeline, or the PowerSync Service. */
export interface SystemUnderTest {
  readonly name: string;
  /** A new client on the benchmark's database, its search_path at the table's schema. */
  connect(): Promise<Client>;
  /** The processes whose CPU counts, by name (the stack's and the system's own). */
  pids(): Record<string, number | undefined>;
  /**
   * When (ms) the system published a checkpoint covering every commit so far; `lastLsn` is the
   * WAL position of the last one (the write position inside it, just before its commit).
   */
  coveredAt(lastLsn: bigint, timeoutMs: number): Promise<number>;
  /**
   * Commits a single-row update of `rowId` carrying latency probe `n` of steady client `client`;
   * returns its WAL position as ShapeSql.updateRowLsn does.
   */
  probedUpdate(pg: Client, rowId: string, client: number, n: number): Promise<bigint>;
  /** After the steady phase is covered: each probe's latency, commit to covering checkpoint (ms). */
  probeLatencies(): Promise<number[]>;
  /** A one-line check that the covering checkpoint holds `rows` rows, when the system can tell. */
  verifyRows(rows: number): Promise<string>;
}

export interface PhaseResult {
  readonly phase: Phase;
  /** Rows changed (inserted or updated) and transactions committed. */
  readonly rows: number;
  readonly transactions: number;
  /** From the phase's start to its last commit, and to the covering checkpoint. */
  readonly commitSeconds: number;
  readonly wallSeconds: number;
  /** The covering checkpoint after the last commit. */
  readonly lagSeconds: number;
  readonly cpu: CpuUse;
  /** Steady phase only: the rate reached and the probes' latencies (ascending, ms). */
  readonly achievedRate?: number;
  readonly latenciesMs?: readonly number[];
  /** Syncline only: the evaluator's latency breakdown for the phase's transactions. */
  readonly stages?: string;
  readonly check?: string;
}

/** What the system had covered when a phase began: its next row number. */
export interface PhaseContext {
  readonly system: SystemUnderTest;
  readonly workload: SideBySideWorkload;
  /** The table's statements. */
  readonly sql: ShapeSql;
  readonly timeoutMs: number;
  readonly progress: (line: string) => void;
}

const lsnOf = (rows: { lsn: string }[]): bigint => parseLsn(rows[0]!.lsn);

async function withClients<T>(
  ctx: PhaseContext,
  n: number,
  work: (clients: Client[]) => Promise<T>,
): Promise<T> {
  const clients = await Promise.all(Array.from({ length: n }, () => ctx.system.connect()));
  try {
    return await work(clients);
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/** Phase "batches": the insert transactions after the snapshot, from one client. */
export async function runBatches(ctx: PhaseContext): Promise<PhaseResult> {
  const { workload: w, system } = ctx;
  return withClients(ctx, 1, async ([pg]) => {
    const meter = startCpuMeter(() => system.pids());
    const start = Date.now();
    let lsn = 0n;
    for (let t = 0; t < w.batchTransactions; t++) {
      const from = w.snapshotRows + t * w.batchRows + 1;
      const result = await pg!.query<{ lsn: string }>(ctx.sql.insertRowsLsn, [from, from + w.batchRows - 1]);
      lsn = lsnOf(result.rows);
    }
    const lastCommit = Date.now();
    const covered = await system.coveredAt(lsn, ctx.timeoutMs);
    const cpu = meter.read();
    const rows = w.batchTransactions * w.batchRows;
    return {
      phase: 'batches',
      rows,
      transactions: w.batchTransactions,
      commitSeconds: (lastCommit - start) / 1000,
      wallSeconds: (covered - start) / 1000,
      lagSeconds: (covered - lastCommit) / 1000,
      cpu,
      check: await system.verifyRows(w.snapshotRows + rows),
    };
  });
}

/** Phase "updates": single-row update transactions from concurrent clients, as fast as they go. */
export async function runUpdates(ctx: PhaseContext): Promise<PhaseResult> {
  const { workload: w, system } = ctx;
  return withClients(ctx, w.updateClients, async (clients) => {
    const meter = startCpuMeter(() => system.pids());
    const start = Date.now();
    let [lsn, lastCommit] = [0n, start];
    await Promise.all(
      clients.map(async (pg, c) => {
        const count = shareOf(w.updates, w.updateClients, c);
        for (const id of rowsUpdatedBy(w.snapshotRows, w.updateClients, c, count)) {
          const next = lsnOf((await pg.query<{ lsn: string }>(ctx.sql.updateRowLsn, [id])).rows);
          lastCommit = Date.now();
          if (next > lsn) lsn = next;
        }
      }),
    );
    const covered = await system.coveredAt(lsn, ctx.timeoutMs);
    return {
      phase: 'updates',
      rows: w.updates,
      transactions: w.updates,
      commitSeconds: (lastCommit - start) / 1000,
      wallSeconds: (covered - start) / 1000,
      lagSeconds: (covered - lastCommit) / 1000,
      cpu: meter.read(),
    };
  });
}

/**
 * Phase "steady": single-row updates at `steadyRate` tx/s for `steadySeconds`, paced per client
 * (each client keeps its own schedule of rate / clients); every `probeEvery`-th transaction of a
 * client carries a latency probe.
 */
export async function runSteady(ctx: PhaseContext): Promise<PhaseResult> {
  const { workload: w, system } = ctx;
  const total = w.steadyRate * w.steadySeconds;
  return withClients(ctx, w.steadyClients, async (clients) => {
    const meter = startCpuMeter(() => system.pids());
    const start = Date.now();
    let [lsn, lastCommit, committed] = [0n, start, 0];
    const report = setInterval(
      () => ctx.progress(`${system.name}: steady: ${committed} transactions committed`),
      10_000,
    );
    await Promise.all(
      clients.map(async (pg, c) => {
        const count = shareOf(total, w.steadyClients, c);
        const intervalMs = (1000 * w.steadyClients) / w.steadyRate;
        let i = 0;
        for (const id of rowsUpdatedBy(w.snapshotRows, w.steadyClients, c, count)) {
          const due = start + i * intervalMs;
          if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
          const next =
            i % w.probeEvery === 0
              ? await system.probedUpdate(pg, id, c, i / w.probeEvery + 1)
              : lsnOf((await pg.query<{ lsn: string }>(ctx.sql.updateRowLsn, [id])).rows);
          if (next > lsn) lsn = next;
          lastCommit = Date.now();
          committed++;
          i++;
        }
      }),
    ).finally(() => clearInterval(report));
    ctx.progress(`${system.name}: steady: ${committed} committed; waiting for the covering checkpoint`);
    // Not the WAL's current end: other databases' writes (PowerSync's own storage among them)
    // move it, and a replicator's checkpoint reaches it only with its next keepalive.
    const covered = await system.coveredAt(lsn, ctx.timeoutMs);
    const latenciesMs = [...(await system.probeLatencies())].sort((a, b) => a - b);
    return {
      phase: 'steady',
      rows: committed,
      transactions: committed,
      commitSeconds: (lastCommit - start) / 1000,
      wallSeconds: (covered - start) / 1000,
      lagSeconds: (covered - lastCommit) / 1000,
      cpu: meter.read(),
      achievedRate: committed / Math.max(1e-3, (lastCommit - start) / 1000),
      latenciesMs,
    };
  });
}
