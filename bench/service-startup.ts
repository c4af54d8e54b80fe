// Start-up of the evaluator and the gateway: wall time and CPU time of the process from its start
// to the first 200 on /readyz, compiled (`node --conditions=syncline-dist`, as in the image) and
// from source (tsx, `npx syncline`). Against the running stack (`eval "$(npx syncline stack env)"`).
// Usage: npm run build && npx tsx bench/service-startup.ts [--runs 5]
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from '@syncline/stack';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const RUNS = Number(args.runs);
const TARGET_CPU_MS = 500;
const REPO = path.resolve(__dirname, '..');
const BIN = path.join(REPO, 'services/cli/bin/syncline.js');
const RULES = path.join(REPO, 'examples/todo-web/sync-rules.yaml');
const DEPLOYMENT = `bench_startup_${process.pid}`;
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run eval "$(npx syncline stack env)" first`);
  return value;
}

const baseEnv = (): Record<string, string> => ({
  KAFKA_BROKERS: need('KAFKA_BROKERS'),
  REDIS_URL: need('REDIS_URL'),
  SCHEMA_REGISTRY_URL: need('SCHEMA_REGISTRY_URL'),
  SYNCLINE_TOPIC_PREFIX: need('TOPIC_PREFIX'),
  SYNCLINE_JWT_SECRET: need('SYNCLINE_JWT_SECRET'),
  SYNCLINE_DEPLOYMENT: DEPLOYMENT,
  SYNCLINE_LOG_LEVEL: 'warn',
});

interface Case {
  readonly name: string;
  readonly command: 'evaluator' | 'gateway';
  readonly env: Record<string, string>;
}

const CASES: Case[] = [
  { name: 'evaluator, bucket topic off', command: 'evaluator', env: { SYNCLINE_BUCKET_TOPIC: 'off' } },
  { name: 'evaluator, bucket topic on', command: 'evaluator', env: { SYNCLINE_BUCKET_TOPIC: 'on' } },
  { name: 'gateway', command: 'gateway', env: {} },
];

/** CPU time (user + system) the process has used so far, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
}

async function startOnce(c: Case, compiled: boolean): Promise<{ wallMs: number; cpuMs: number }> {
  const port = await freePort();
  const portVar = c.command === 'gateway' ? 'SYNCLINE_GATEWAY_PORT' : 'SYNCLINE_HTTP_PORT';
  const nodeArgs = compiled ? ['--conditions=syncline-dist'] : [];
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, BIN, c.command, '--rules', RULES], {
    env: { ...process.env, ...baseEnv(), ...c.env, [portVar]: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${c.name} exited ${child.exitCode}`);
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return { wallMs: performance.now() - t0, cpuMs: cpuMs(child.pid!) };
      if (performance.now() - t0 > 120_000) throw new Error(`${c.name}: not ready within 120 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function cleanUp(): Promise<void> {
  // The evaluator's own reset (Redis keys, consumer groups), then the bucket topic it created.
  await new Promise((resolve) =>
    spawn(process.execPath, ['--conditions=syncline-dist', BIN, 'evaluator', '--rules', RULES, '--reset'], {
      env: { ...process.env, ...baseEnv() },
      stdio: 'ignore',
    }).once('exit', resolve),
  );
  const admin = new Kafka({ brokers: need('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.includes(`.buckets.${DEPLOYMENT}.`));
  if (topics.length > 0) await admin.deleteTopics({ topics });
  await admin.disconnect();
}

/** CPU (ms) of a node that loads `code` and exits: the floor under a service's start-up. */
function loadCpuMs(code: string): number {
  const probe = `${code};const u=process.cpuUsage();process.stdout.write(String((u.user+u.system)/1000))`;
  const out = execFileSync(process.execPath, ['--conditions=syncline-dist', '-e', probe], {
    encoding: 'utf8',
  });
  return Number(out);
}

function printFloors(): void {
  const floors: [string, string][] = [
    ['node alone', '0'],
    ["the evaluator's modules", "require('@syncline/rules-evaluator')"],
    ['+ the bucket-topic adapter', "require('@syncline/rules-evaluator');require('@syncline/bucket-topic')"],
    ["the gateway's modules", "require('@syncline/gateway')"],
  ];
  for (const [name, code] of floors) {
    const cpu = median(Array.from({ length: RUNS }, () => loadCpuMs(code)));
    process.stdout.write(`floor: ${name.padEnd(28)} CPU ${cpu.toFixed(0).padStart(5)} ms\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `start-up to the first 200 on /readyz, median of ${RUNS} (target: ${TARGET_CPU_MS} ms CPU)\n`,
  );
  try {
    for (const c of CASES)
      for (const compiled of [true, false]) {
        const runs = [];
        for (let i = 0; i < RUNS; i++) runs.push(await startOnce(c, compiled));
        const cpu = median(runs.map((r) => r.cpuMs));
        const wall = median(runs.map((r) => r.wallMs));
        const how = compiled ? 'compiled' : 'tsx     ';
        process.stdout.write(
          `${c.name.padEnd(28)} ${how}  wall ${wall.toFixed(0).padStart(5)} ms  CPU ${cpu.toFixed(0).padStart(5)} ms` +
            `  (${(cpu / TARGET_CPU_MS).toFixed(2)}x target)\n`,
        );
      }
    printFloors();
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
