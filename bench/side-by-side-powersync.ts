// The PowerSync Service (open edition, built from source outside this repository; see
// docs/benchmarks-powersync.md) as the side-by-side benchmark's system under test. The harness
// fills a fixed schema, starts the service on the stack's Postgres with Postgres bucket storage
// in a database of its own, and reads the service's progress from that storage: a checkpoint
// covers a commit once `sync_rules.last_checkpoint_lsn` of the active rules reaches its LSN.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { getTestStack } from '@syncline/test-kit';
import { processTreeCpuSeconds } from './cpu-time';
import { cleanUpOnInterrupt } from './interrupt';
import {
  runBatches,
  runSteady,
  runUpdates,
  type PhaseContext,
  type PhaseResult,
  type SystemUnderTest,
} from './side-by-side-phases';
import type { SystemRun } from './side-by-side-syncline';
import type { ShapeSql } from './side-by-side-shape';
import { parseLsn, type Phase, type SideBySideWorkload } from './side-by-side-workload';
import { stackPids, startCpuMeter } from './stack-processes';

export interface PowerSyncOptions {
  /** The built source tree (its `service/lib/entry.js`). */
  readonly dir: string;
  /** A Node.js of the version the service wants (22 or later). */
  readonly node: string;
  readonly storageDatabase: string;
  readonly port: number;
}

/** The schema the service replicates; its publication is the service's default name. */
const SCHEMA = 'bench_powersync';
const PUBLICATION = 'powersync';
const POLL_MS = 10;

/** The stack's Postgres URL with a password (the service refuses URLs without; the stack trusts local users). */
function urlWithPassword(url: string, database?: string): string {
  const u = new URL(url);
  if (u.password === '') u.password = 'unused';
  if (database !== undefined) u.pathname = `/${database}`;
  return u.toString();
}

function configYaml(o: PowerSyncOptions, pgUrl: string, sql: ShapeSql): string {
  const rules = sql.rules
    .replaceAll('FROM items', `FROM ${SCHEMA}.items`)
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `replication:
  connections:
    - type: postgresql
      uri: ${urlWithPassword(pgUrl)}
      sslmode: disable
storage:
  type: postgresql
  uri: ${urlWithPassword(pgUrl, o.storageDatabase)}
  sslmode: disable
port: ${o.port}
sync_rules:
  content: |
${rules}
client_auth:
  jwks:
    keys:
      - { kty: oct, alg: HS256, kid: bench, k: YmVuY2gtb25seS1ub3QtYS1zZWNyZXQtYmVuY2gtb25seQ }
  audience: ['powersync']
telemetry:
  disable_telemetry_sharing: true
system:
  logging:
    level: warn
    format: text
`;
}

async function connect(url: string, schema?: string): Promise<Client> {
  const pg = new Client({ connectionString: url });
  await pg.connect();
  if (schema !== undefined) await pg.query(`SET search_path TO ${schema}`);
  return pg;
}

/** A fresh schema with the snapshot rows and the publication; the service's old slots and storage gone. */
async function prepare(o: PowerSyncOptions, workload: SideBySideWorkload, sql: ShapeSql): Promise<bigint> {
  const pgUrl = getTestStack().endpoints.pgUrl;
  const pg = await connect(pgUrl);
  try {
    await dropLeftovers(pg);
    await pg.query(`CREATE SCHEMA ${SCHEMA}; SET search_path TO ${SCHEMA}; ${sql.table}`);
    await pg.query(sql.insertRows, [1, workload.snapshotRows]);
    await pg.query(`CREATE PUBLICATION ${PUBLICATION} FOR TABLE ${SCHEMA}.items`);
    await pg.query(`CREATE DATABASE ${o.storageDatabase}`).catch((e: { code?: string }) => {
      if (e.code !== '42P04') throw e; // it exists already
    });
    const storage = await connect(urlWithPassword(pgUrl, o.storageDatabase));
    await storage.query('DROP SCHEMA IF EXISTS powersync CASCADE');
    await storage.end();
    const { rows } = await pg.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
    return parseLsn(rows[0]!.lsn);
  } finally {
    await pg.end();
  }
}

/** The schema, publication and inactive replication slots a PowerSync run leaves. */
async function dropLeftovers(pg: Client): Promise<void> {
  await pg.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  await pg.query(`DROP PUBLICATION IF EXISTS ${PUBLICATION}`);
  await pg.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'powersync\\_%' AND NOT active`,
  );
}

async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
}

/** Runs the same phases as runSyncline against a PowerSync Service the harness starts. */
export async function runPowerSync(
  o: PowerSyncOptions,
  workload: SideBySideWorkload,
  sql: ShapeSql,
  phases: ReadonlySet<Phase>,
  options: { timeoutMs: number; progress: (line: string) => void },
): Promise<SystemRun> {
  const pgUrl = getTestStack().endpoints.pgUrl;
  options.progress(
    `PowerSync: ${workload.snapshotRows.toLocaleString('en-US')} rows in ${SCHEMA}, then the service's snapshot`,
  );
  const snapshotLsn = await prepare(o, workload, sql);
  const configFile = path.join(mkdtempSync(path.join(tmpdir(), 'bench-powersync-')), 'powersync.yaml');
  writeFileSync(configFile, configYaml(o, pgUrl, sql));
  const storage = await connect(urlWithPassword(pgUrl, o.storageDatabase));
  const started = Date.now();
  const child = spawn(
    o.node,
    [path.join(o.dir, 'service/lib/entry.js'), 'start', '-r', 'unified', '-c', configFile],
    // The service writes its probe files (`.probes/`) in its working directory: the config's.
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: path.dirname(configFile) },
  );
  // Started right after the spawn: the service has used next to no CPU yet.
  const pids = () => ({ powersync: child.pid, ...stackPids() });
  const meter = startCpuMeter(pids);
  let output = '';
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-8000)));
  const system = powerSyncSystem(
    storage,
    pgUrl,
    sql,
    pids,
    () => child.exitCode !== null || child.signalCode !== null,
  );
  const close = async (): Promise<void> => {
    await system.close();
    await stopService(child);
    // The service's bucket storage holds every op of the run: not left in the shared Postgres.
    await storage.query('DROP SCHEMA IF EXISTS powersync CASCADE').catch(() => undefined);
    await storage.end().catch(() => undefined);
    const pg = await connect(pgUrl);
    await dropLeftovers(pg).finally(() => pg.end());
  };
  const release = cleanUpOnInterrupt(close);
  try {
    const covered = await system.coveredAt(snapshotLsn, options.timeoutMs);
    const snapshot: PhaseResult = {
      phase: 'snapshot',
      rows: workload.snapshotRows,
      transactions: 1,
      commitSeconds: 0,
      wallSeconds: (covered - started) / 1000,
      lagSeconds: (covered - started) / 1000,
      cpu: { ...meter.read(), powersync: processTreeCpuSeconds(child.pid) },
      check: await system.verifyRows(workload.snapshotRows),
    };
    const ctx: PhaseContext = { system, workload, sql, ...options };
    const results = [snapshot];
    const runners = { batches: runBatches, updates: runUpdates, steady: runSteady } as const;
    for (const phase of ['batches', 'updates', 'steady'] as const)
      if (phases.has(phase)) {
        options.progress(`PowerSync: phase ${phase}`);
        results.push(await runners[phase](ctx));
      }
    return { system: 'PowerSync', results };
  } catch (error) {
    throw new Error(`${String(error)}\nthe PowerSync Service's last output:\n${output || '(none)'}`, {
      cause: error,
    });
  } finally {
    release();
    await close();
  }
}

function powerSyncSystem(
  storage: Client,
  pgUrl: string,
  sql: ShapeSql,
  pids: () => Record<string, number | undefined>,
  exited: () => boolean,
): SystemUnderTest & { close(): Promise<void> } {
  /** Each change of the service's checkpoint LSN, when this harness saw it (polled every 10 ms). */
  const seen: { lsn: bigint; at: number }[] = [];
  const probes: { lsn: bigint; at: number }[] = [];
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      const { rows } = await storage
        .query<{ lsn: string | null }>(
          `SELECT last_checkpoint_lsn AS lsn FROM powersync.sync_rules WHERE state = 'ACTIVE' AND snapshot_done`,
        )
        .catch(() => ({ rows: [] as { lsn: string | null }[] })); // storage not migrated yet
      const text = rows[0]?.lsn ?? null;
      const lsn = text === null ? null : parseLsn(text);
      if (lsn !== null && (seen.length === 0 || seen[seen.length - 1]!.lsn < lsn))
        seen.push({ lsn, at: Date.now() });
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  const polling = poll();
  return {
    name: 'PowerSync',
    connect: () => connect(pgUrl, SCHEMA),
    pids,
    async coveredAt(lastLsn, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find((s) => s.lsn >= lastLsn);
        if (found !== undefined) return found.at;
        if (exited()) throw new Error('the PowerSync Service exited');
        if (Date.now() > deadline)
          throw new Error(`PowerSync's checkpoint did not reach LSN ${lastLsn} in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    },
    async probedUpdate(pg, rowId) {
      const { rows } = await pg.query<{ lsn: string }>(sql.updateRowLsn, [rowId]);
      const lsn = parseLsn(rows[0]!.lsn);
      probes.push({ lsn, at: Date.now() });
      return lsn;
    },
    probeLatencies() {
      // A checkpoint seen before the probe's commit returned can cover it only by the clocks' grain.
      return Promise.resolve(probes.map((p) => (seen.find((s) => s.lsn >= p.lsn)?.at ?? NaN) - p.at));
    },
    async verifyRows(rows) {
      const { rows: counted } = await storage.query<{ n: string }>(
        // Storage names a bucket after the rules' version: `1#global[]`.
        `SELECT count(*) AS n FROM powersync.bucket_data WHERE bucket_name ~ '(^|#)global\\[\\]$'`,
      );
      const n = Number(counted[0]!.n);
      return n === rows ? `global bucket holds ${rows} ops: ok` : `global bucket holds ${n} ops, not ${rows}`;
    },
    close() {
      stopped = true;
      return polling;
    },
  };
}
