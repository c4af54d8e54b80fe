// Benchmark: cold and warm start of the local stack through the real `syncline` binary, and the
// stack's resident memory. Uses its own ports and directory so a running stack is untouched.
//   npx tsx bench/stack-start.ts [--runs N]
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { repoRoot } from '@syncline/stack';

const exec = promisify(execFile);
const WARM_TARGET_S = 45;

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2' } } });
const runs = Math.max(1, Number(values.runs));
const root = repoRoot();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-bench-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  SYNCLINE_STACK_DIR: dir,
  SYNCLINE_PG_PORT: '55329',
  SYNCLINE_REDIS_PORT: '64799',
  SYNCLINE_KAFKA_PORT: '29192',
  SYNCLINE_KAFKA_CONTROLLER_PORT: '29193',
  SYNCLINE_CONNECT_PORT: '28183',
  SYNCLINE_REGISTRY_PORT: '28181',
  SYNCLINE_REGISTRY_MANAGEMENT_PORT: '29101',
  SYNCLINE_TOPIC_PREFIX: 'bench',
};

async function syncline(...args: string[]): Promise<{ ms: number; stdout: string }> {
  const t0 = process.hrtime.bigint();
  const r = await exec(process.execPath, [path.join(root, 'services/cli/bin/syncline.js'), ...args], {
    env,
    maxBuffer: 1 << 24,
  });
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout: r.stdout };
}

async function rssMb(): Promise<{ total: number; parts: string }> {
  const s = JSON.parse((await syncline('stack', 'status', '--json')).stdout) as {
    components: Array<{ name: string; rssBytes?: number }>;
  };
  const parts = s.components
    .filter((c) => c.rssBytes)
    .map((c) => `${c.name} ${Math.round((c.rssBytes ?? 0) / 1048576)}`);
  return {
    total: Math.round(s.components.reduce((n, c) => n + (c.rssBytes ?? 0), 0) / 1048576),
    parts: parts.join(', '),
  };
}

/** Some load, so memory is measured on a stack that has done work: 200 transactions of 10 rows. */
async function load(): Promise<void> {
  const pg = new Client({ connectionString: `postgres://postgres@127.0.0.1:55329/syncline` });
  await pg.connect();
  for (let i = 0; i < 200; i++) {
    await pg.query('BEGIN');
    await pg.query(
      "INSERT INTO lists (name, owner_id) SELECT 'bench ' || g, 'u' || (g % 7) FROM generate_series(1, 10) g",
    );
    await pg.query('COMMIT');
  }
  await pg.end();
  await new Promise((r) => setTimeout(r, 3000));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const cold: number[] = [];
  const warm: number[] = [];
  let peak = { total: 0, parts: '' };
  try {
    for (let i = 0; i < runs; i++) {
      if (i > 0) await syncline('stack', 'down', '--purge');
      cold.push((await syncline('stack', 'up')).ms);
      await syncline('stack', 'down');
      warm.push((await syncline('stack', 'up')).ms);
      await load();
      const m = await rssMb();
      if (m.total > peak.total) peak = m;
    }
  } finally {
    await syncline('stack', 'down', '--purge').catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const s = (ms: number) => (ms / 1000).toFixed(1);
  process.stdout.write(
    `machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB; runs: ${runs}\n`,
  );
  process.stdout.write(
    `cold start (empty stack dir, jars present): ${cold.map(s).join(', ')} s; median ${s(median(cold))} s\n`,
  );
  process.stdout.write(
    `warm start (down, then up):                 ${warm.map(s).join(', ')} s; median ${s(median(warm))} s\n`,
  );
  process.stdout.write(
    `warm target ${WARM_TARGET_S} s: median is ${(median(warm) / 1000 / WARM_TARGET_S).toFixed(2)} of the target\n`,
  );
  process.stdout.write(`resident memory after 200 transactions: ${peak.total} MB (${peak.parts})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
