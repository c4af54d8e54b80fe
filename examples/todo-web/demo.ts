// The todo demo's processes, for the run command (run.ts) and the browser test alike: the demo
// schema and seed data in Postgres, the web app built by Vite, then the rules evaluator, the
// gateway and examples/backend (which serves the app and its tokens) as child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { keyPrefixFor, RedisBucketReader } from '@syncline/bucket-store';
import { freePort, isPortFree } from '@syncline/stack';

const ROOT = path.resolve(__dirname, '../..');
const SYNCLINE = path.join(ROOT, 'services/cli/bin/syncline.js');
const TSX = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
export const RULES_FILE = path.join(__dirname, 'sync-rules.yaml');
export const DIST = path.join(__dirname, 'dist');
/** The columns the app writes through examples/backend; everything else is refused there. */
export const WRITABLE = {
  todos: ['list_id', 'description', 'completed', 'completed_at', 'created_by', 'completed_by', 'created_at'],
};

/** `port` when nothing listens there, else a free one. */
export async function portOr(port: number): Promise<number> {
  return (await isPortFree(port, '0.0.0.0')) ? port : freePort();
}

/**
 * The demo tables (infra/stack/config/demo-schema.sql, idempotent) and seed data in `schema`.
 * With `publication`, a table missing from it (a stack created before list_members existed) is
 * added, so Debezium captures it without a connector restart.
 */
export async function prepareDatabase(pgUrl: string, schema: string, publication?: string): Promise<void> {
  const pg = new Client({ connectionString: pgUrl });
  await pg.connect();
  try {
    await pg.query(`SET search_path TO "${schema}"`);
    await pg.query(fs.readFileSync(path.join(ROOT, 'infra/stack/config/demo-schema.sql'), 'utf8'));
    if (publication !== undefined) {
      const missing = await pg.query<{ table: string }>(
        `SELECT c.relname AS table FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = ANY($2) AND c.relkind = 'r'
           AND EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = $3 AND NOT p.puballtables)
           AND NOT EXISTS (SELECT 1 FROM pg_publication_tables t
                           WHERE t.pubname = $3 AND t.schemaname = $1 AND t.tablename = c.relname)`,
        [schema, ['lists', 'todos', 'list_members'], publication],
      );
      for (const { table } of missing.rows)
        await pg.query(`ALTER PUBLICATION "${publication}" ADD TABLE "${schema}"."${table}"`);
    }
    await pg.query(fs.readFileSync(path.join(__dirname, 'seed.sql'), 'utf8'));
  } finally {
    await pg.end();
  }
}

/** Builds the web app into dist/ with Vite (about 10-30 s). */
export async function buildWebApp(): Promise<void> {
  const vite = path.join(ROOT, 'node_modules/vite/bin/vite.js');
  const child = spawn(
    process.execPath,
    [vite, 'build', '--config', path.join(__dirname, 'vite.config.mts')],
    {
      cwd: __dirname,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`building the web app failed (vite exit ${code}):\n${output}`);
}

export interface DemoOptions {
  /** The services' environment: stack endpoints, SYNCLINE_DEPLOYMENT, SYNCLINE_JWT_SECRET, ... */
  readonly env: Record<string, string>;
  /** The schema the demo tables are in (the backend writes there). */
  readonly schema: string;
  /** Where the page is served (0: any free port). */
  readonly port: number;
  /** 'inherit': the services' warnings go to this process's stderr; 'capture': kept for output(). */
  readonly output: 'inherit' | 'capture';
}

export interface RunningDemo {
  readonly url: string;
  readonly gatewayUrl: string;
  readonly children: readonly ChildProcess[];
  /** The services' captured output (with output: 'capture'). */
  output(): string;
  /** Resolves when a service exits on its own, with what exited. */
  readonly failed: Promise<string>;
  /** Stops every service (SIGTERM, then SIGKILL after 10 s) and waits for them. */
  stop(): Promise<void>;
}

/** Starts the evaluator, the gateway and the backend; resolves once all three answer. */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  let captured = '';
  const children: ChildProcess[] = [];
  const start = (name: string, args: string[], env: Record<string, string>): ChildProcess => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, SYNCLINE_LOG_LEVEL: 'warn', ...options.env, ...env },
      stdio: ['ignore', 'pipe', options.output === 'inherit' ? 'inherit' : 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (captured += `[${name}] ${d.toString()}`));
    Object.defineProperty(child, 'demoName', { value: name });
    children.push(child);
    return child;
  };
  let stopping = false;
  const failed = new Promise<string>((resolve) => {
    const watch = (child: ChildProcess) =>
      child.once('exit', (code, signal) => {
        if (!stopping)
          resolve(`${(child as unknown as { demoName: string }).demoName} exited (${signal ?? code})`);
      });
    queueMicrotask(() => children.forEach(watch));
  });
  start('evaluator', [SYNCLINE, 'evaluator', '--rules', RULES_FILE], { SYNCLINE_HTTP_PORT: '0' });
  start('gateway', [SYNCLINE, 'gateway', '--rules', RULES_FILE], {
    SYNCLINE_GATEWAY_PORT: String(gatewayPort),
    SYNCLINE_HTTP_PORT: '0',
  });
  const backend = start('backend', [TSX, path.join(ROOT, 'examples/backend/server.ts')], {
    BACKEND_PORT: String(options.port),
    BACKEND_SCHEMA: options.schema,
    BACKEND_ALLOW: JSON.stringify(WRITABLE),
    BACKEND_DEMO_TOKENS: 'on',
    BACKEND_SYNC_ENDPOINT: gatewayUrl,
    BACKEND_STATIC_DIR: DIST,
  });
  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }),
    );
  };
  try {
    const backendPort = await Promise.race([
      listeningPort(backend),
      failed.then((what) => Promise.reject(new Error(`${what} while starting:\n${captured}`))),
    ]);
    await waitForHttp(`${gatewayUrl}/readyz`, failed, () => captured);
    return {
      url: `http://127.0.0.1:${backendPort}/`,
      gatewayUrl,
      children,
      output: () => captured,
      failed,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The port from examples/backend's "listening on N" line. */
function listeningPort(backend: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    let buffer = '';
    backend.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const m = /listening on (\d+)/.exec(buffer);
      if (m) resolve(Number(m[1]));
    });
  });
}

async function waitForHttp(url: string, failed: Promise<string>, output: () => string): Promise<void> {
  let failure: string | null = null;
  void failed.then((what) => (failure = what));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (failure !== null) throw new Error(`${failure} while starting:\n${output()}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 120 s:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits until the deployment has published a checkpoint (the evaluator caught up once). */
export async function firstCheckpoint(
  redisUrl: string,
  deployment: string,
  timeoutMs: number,
): Promise<string> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const reader = new RedisBucketReader(redis, keyPrefixFor(deployment, '1'));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const checkpoint = await reader.currentCheckpoint();
      if (checkpoint !== null) return checkpoint.lastOpId;
      if (Date.now() > deadline) throw new Error(`no checkpoint within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    redis.disconnect();
  }
}
