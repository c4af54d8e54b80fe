// Gateway benchmarks against the running local stack (`syncline stack up`), with the verification
// client (libs/sync-client) as load generator in this process and the evaluator and the gateway as
// `syncline` child processes (the gateway's memory is its own process's RSS):
//  A. N streaming connections (users u0..uN-1, each with the shared bucket and a bucket of its own):
//     time until every one has its first checkpoint_complete; the gateway's RSS with them idle.
//  B. fan-out: one committed row in the bucket every connection holds; time from the commit until
//     each connection has a completed checkpoint with it, p50/p99/max, and the gateway's share:
//     from the evaluator publishing that checkpoint to the client's checkpoint_complete.
//  D. interactive: one row of the shared bucket updated at a paced rate (--paced-rate per second for
//     --paced-seconds; 0 skips it); each version from the UPDATE's send until each connection
//     completes a checkpoint showing it (or a newer one), with the evaluator's stages and the
//     gateway's share over those versions. `--connections 1` is one app user's view.
//  C. download: a fresh client of a user with a bucket of R rows; ops/s until checkpoint_complete.
// Usage: npx tsx bench/gateway-fanout.ts [--connections 1000] [--rows 200000]
//          [--paced-rate 5] [--paced-seconds 20] [--override key=value ... (connector settings)]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { keyPrefixFor, RedisBucketReader, RedisCoordination } from '@syncline/bucket-store';
import { SyncClient, type CompletedCheckpoint } from '@syncline/sync-client';
import { freePort } from '@syncline/stack';
import { startCapture, useShellStack, type CdcCapture } from '@syncline/test-kit';
import { cleanUpOnInterrupt } from './interrupt';
import { keyValueSettings, runBenchmark } from './script';
import { histogramBuckets, histogramQuantile } from './prometheus-histogram';
import { stageBreakdown } from './latency-stages';

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    rows: { type: 'string', default: '200000' },
    'paced-rate': { type: 'string', default: '5' },
    'paced-seconds': { type: 'string', default: '20' },
    override: { type: 'string', multiple: true, default: [] },
  },
});
const OVERRIDES = keyValueSettings(args.override, '--override');
const PACED_RATE = Number(args['paced-rate']);
const PACED_SECONDS = Number(args['paced-seconds']);
const CONNECTIONS = Number(args.connections);
const ROWS = Number(args.rows);
/** Connections opened at once. */
const CONNECT_WAVE = 250;
const REPO = path.resolve(__dirname, '..');
const SECRET = 'bench-secret-bench-secret-bench-secret';
const RULES = `bucket_definitions:
  shared:
    data:
      - SELECT id, body FROM items
  mine:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, body FROM bulk WHERE owner = bucket.owner
`;

function syncline(command: string, env: Record<string, string>, rules: string): ChildProcess {
  // BENCH_NODE_ARGS (e.g. --cpu-prof) go to the gateway's node, to profile it.
  const nodeArgs =
    command === 'gateway' ? (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const script = path.join(REPO, 'services/cli/bin/syncline.js');
  return spawn(process.execPath, [...nodeArgs, script, command, '--rules', rules], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function until(what: string, done: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const token = async (sub: string): Promise<string> => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setAudience('syncline')
    .setIssuedAt(now)
    .setExpirationTime(now + 7200)
    .sign(new TextEncoder().encode(SECRET));
};

/** The version `v<n>` the row items/1 shows in a completed checkpoint (-1: none yet). */
function versionOf(checkpoint: CompletedCheckpoint): number {
  const data = checkpoint.rows.get('items/1');
  const body = data === undefined ? null : (JSON.parse(data) as { body?: unknown }).body;
  return typeof body === 'string' && body.startsWith('v') ? Number(body.slice(1)) : -1;
}

/** D: paced updates of items/1, each version timed at every connection. */
async function pacedUpdates(
  capture: CdcCapture,
  clients: readonly SyncClient[],
  published: ReadonlyMap<string, number>,
  evaluatorMetrics: string,
): Promise<void> {
  const versions = Math.round(PACED_RATE * PACED_SECONDS);
  const sent: number[] = [];
  const latencies: number[] = [];
  const gatewayShare: number[] = [];
  const before = await (await fetch(evaluatorMetrics)).text();
  const watching = clients.map(async (client) => {
    let shown = -1;
    while (shown < versions - 1) {
      const checkpoint = await client.waitFor('the paced versions', (cp) => versionOf(cp) > shown, 60_000);
      const now = Date.now();
      const version = versionOf(checkpoint);
      for (let v = shown + 1; v <= version; v++) latencies.push(now - sent[v]!);
      const at = published.get(checkpoint.lastOpId.toString());
      if (at !== undefined) gatewayShare.push(now - at);
      shown = version;
    }
  });
  const start = Date.now();
  for (let v = 0; v < versions; v++) {
    const due = start + (v * 1000) / PACED_RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    sent[v] = Date.now();
    await capture.pg.query('UPDATE items SET body = $1 WHERE id = 1', [`v${v}`]);
  }
  await Promise.all(watching);
  const after = await (await fetch(evaluatorMetrics)).text();
  latencies.sort((a, b) => a - b);
  gatewayShare.sort((a, b) => a - b);
  process.stdout.write(
    `D  ${versions} versions of one row at ${PACED_RATE}/s to ${clients.length} connection(s): UPDATE sent -> ` +
      `checkpoint_complete showing it at the client p50 ${pct(latencies, 0.5)} ms, p99 ${pct(latencies, 0.99)} ms, ` +
      `max ${latencies[latencies.length - 1]} ms; the gateway's share (checkpoint published -> at the client, ` +
      `±5 ms) p50 ${pct(gatewayShare, 0.5)} ms, p99 ${pct(gatewayShare, 0.99)} ms\n` +
      `D  ${stageBreakdown(after, before)}\n`,
  );
}

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function main(): Promise<void> {
  useShellStack();
  const capture: CdcCapture = await startCapture({
    label: 'bench_gateway',
    setupSql:
      'CREATE TABLE items (id int PRIMARY KEY, body text); CREATE TABLE bulk (id int PRIMARY KEY, owner text, body text);',
    partitions: 2,
    overrides: OVERRIDES,
  });
  const children: ChildProcess[] = [];
  const clients: SyncClient[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const child of children) child.kill('SIGTERM');
    // The evaluator's Redis state (a 200,000-op bucket is about 100 MB) goes with the run.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:63799');
    await new RedisCoordination(redis, keyPrefixFor(capture.name, '1')).deleteAll().catch(() => undefined);
    redis.disconnect();
    await capture.close();
  };
  const unregister = cleanUpOnInterrupt(cleanup);
  try {
    const rules = path.join(mkdtempSync(path.join(tmpdir(), 'bench-gw-')), 'rules.yaml');
    writeFileSync(rules, RULES);
    const stack = {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '127.0.0.1:19092',
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:63799',
      PG_URL: process.env.PG_URL ?? 'postgres://postgres@127.0.0.1:54329/syncline',
    };
    const common = {
      ...stack,
      SYNCLINE_DEPLOYMENT: capture.name,
      SYNCLINE_DEFAULT_SCHEMA: capture.schema,
      SYNCLINE_LOG_LEVEL: 'warn',
    };
    const evaluatorPort = await freePort();
    children.push(
      syncline(
        'evaluator',
        {
          ...common,
          SYNCLINE_TOPIC_PREFIX: capture.topicPrefix,
          SYNCLINE_BUCKET_TOPIC: 'off',
          SYNCLINE_HTTP_PORT: String(evaluatorPort),
        },
        rules,
      ),
    );
    const port = 18000 + Math.floor(Math.random() * 1000);
    const gateway = syncline(
      'gateway',
      {
        ...common,
        SYNCLINE_GATEWAY_PORT: String(port),
        SYNCLINE_JWT_SECRET: SECRET,
        SYNCLINE_MAX_BUCKETS: '10',
      },
      rules,
    );
    children.push(gateway);
    const endpoint = `http://127.0.0.1:${port}`;
    await capture.pg.query(`INSERT INTO items VALUES (0, 'first')`);
    // The gateway answers once the evaluator published a checkpoint.
    const probe = new SyncClient({ endpoint, token: await token('probe') });
    await until(
      'a first checkpoint through the gateway',
      async () =>
        probe.connect().then(
          () => true,
          () => false,
        ),
      120_000,
    );
    await probe.close();
    const baseRss = rssMb(gateway.pid!);

    // A. connections
    const startA = Date.now();
    for (let i = 0; i < CONNECTIONS; i++) {
      const c = new SyncClient({ endpoint, token: await token(`u${i}`), clientId: `c${i}` });
      clients.push(c);
    }
    // Opened in waves, as clients arrive in practice: 10,000 simultaneous connects overflow the
    // listen backlog, and the SYN retries that follow measure the kernel, not the gateway.
    for (let i = 0; i < clients.length; i += CONNECT_WAVE)
      await Promise.all(clients.slice(i, i + CONNECT_WAVE).map((c) => c.connect()));
    await until(
      'every first checkpoint',
      () => clients.every((c) => c.state.lastCompleted !== null),
      600_000,
    );
    const allFirstMs = Date.now() - startA;
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = rssMb(gateway.pid!);
    process.stdout.write(
      `A  ${CONNECTIONS} connections: all had their first checkpoint in ${(allFirstMs / 1000).toFixed(1)} s; ` +
        `gateway RSS ${idleRss.toFixed(0)} MB idle with them (${baseRss.toFixed(0)} MB before)\n`,
    );

    // B. fan-out of one row to every connection
    const redis = new Redis(stack.REDIS_URL);
    const reader = new RedisBucketReader(redis, keyPrefixFor(capture.name, '1'));
    const published = new Map<string, number>();
    const listening = new AbortController();
    void (async () => {
      for await (const cp of reader.checkpoints(listening.signal))
        published.set(cp.lastOpId, cp.publishedAtMs);
    })();
    const seen = new Map<SyncClient, number>();
    const gatewayShare: number[] = [];
    const committed = Date.now();
    await capture.pg.query(`INSERT INTO items VALUES (1, 'fan-out')`);
    await until(
      'the row at every connection',
      () => {
        for (const c of clients) {
          const cp = c.state.lastCompleted;
          if (seen.has(c) || !cp?.rows.has('items/1')) continue;
          const now = Date.now();
          seen.set(c, now - committed);
          const at = published.get(cp.lastOpId.toString());
          if (at !== undefined) gatewayShare.push(now - at);
        }
        return seen.size === clients.length;
      },
      300_000,
    );
    const lat = [...seen.values()].sort((a, b) => a - b);
    process.stdout.write(
      `B  one row to ${CONNECTIONS} connections: p50 ${pct(lat, 0.5)} ms, p99 ${pct(lat, 0.99)} ms, max ${lat[lat.length - 1]} ms ` +
        `(commit -> checkpoint_complete at the client, through Debezium and the evaluator)\n`,
    );
    const share = gatewayShare.sort((a, b) => a - b);
    process.stdout.write(
      `B  the gateway's share (checkpoint published -> checkpoint_complete at the client, ${share.length} clients, ` +
        `±5 ms polling): p50 ${pct(share, 0.5)} ms, p99 ${pct(share, 0.99)} ms, max ${share[share.length - 1]} ms\n`,
    );
    const delivery = histogramBuckets(
      await (await fetch(`${endpoint}/metrics`)).text(),
      'syncline_gateway_checkpoint_delivery_seconds',
    );
    const quantile = (q: number): string => `${Math.round(histogramQuantile(delivery, q) * 1000)} ms`;
    process.stdout.write(
      `B  the gateway's own timing (checkpoint published -> checkpoint_complete written, all connections ` +
        `since it started, interpolated in histogram buckets): p50 ${quantile(0.5)}, p90 ${quantile(0.9)}, ` +
        `p99 ${quantile(0.99)}\n`,
    );
    if (PACED_RATE > 0 && PACED_SECONDS > 0)
      await pacedUpdates(capture, clients, published, `http://127.0.0.1:${evaluatorPort}/metrics`);
    listening.abort();
    await reader.close();
    redis.disconnect();
    const failures = clients.flatMap((c) => c.state.failures);
    if (failures.length > 0) throw new Error(`checksum failures: ${failures.slice(0, 3).join('; ')}`);
    for (const c of clients.splice(0)) await c.close();

    // C. download of one large bucket
    await capture.pg.query(
      `INSERT INTO bulk SELECT g, 'downloader', 'row ' || g || ' ' || repeat('x', 40) FROM generate_series(1, ${ROWS}) g`,
    );
    const marker = new SyncClient({ endpoint, token: await token('downloader') });
    await marker.connect();
    await marker.waitFor('the bulk rows in a checkpoint', (cp) => cp.rows.size >= ROWS + 2, 600_000);
    await marker.close();
    const downloader = new SyncClient({ endpoint, token: await token('downloader'), clientId: 'fresh' });
    clients.push(downloader);
    const startC = Date.now();
    await downloader.connect();
    await downloader.waitFor('the download', (cp) => cp.rows.size >= ROWS + 2, 600_000);
    const seconds = (Date.now() - startC) / 1000;
    process.stdout.write(
      `C  one client downloaded ${downloader.state.opsReceived} ops in ${seconds.toFixed(1)} s: ` +
        `${Math.round(downloader.state.opsReceived / seconds)} ops/s (checksums verified)\n`,
    );
  } finally {
    unregister();
    await cleanup();
  }
}

runBenchmark(main);
