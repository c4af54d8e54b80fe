// What one Redis round trip costs the client and the server in CPU on this machine, against the same
// command sent in pipelines: the price of each sequential step of the evaluator's batch (check
// progress, keep the transaction low, read row states, write ops, write row states, count, clear
// the low), which a small batch pays for few events. A short HGET of a missing field, so the
// figures are the round trip's own (syscalls, wake-ups, the client's command and promise), not the
// command's work. Both sides charged: this process (process.cpuUsage) and the server (INFO cpu; its
// other clients' work included, so run it on a quiet Redis).
// Usage: npx tsx bench/redis-round-trip.ts [--commands 20000] [--pipeline 100]
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { redisCpuSeconds } from './cpu-time';
import { positiveInteger, print, runBenchmark } from './script';

const { values: args } = parseArgs({
  options: {
    commands: { type: 'string', default: '20000' },
    pipeline: { type: 'string', default: '100' },
  },
});
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:63799';

interface Cost {
  readonly clientUs: number;
  readonly serverUs: number;
  readonly wallUs: number;
}

async function measure(redis: Redis, commands: number, send: () => Promise<void>): Promise<Cost> {
  const server = await redisCpuSeconds(redis);
  const client = process.cpuUsage();
  const started = process.hrtime.bigint();
  await send();
  const wallUs = Number(process.hrtime.bigint() - started) / 1000 / commands;
  const used = process.cpuUsage(client);
  const serverUs = (((await redisCpuSeconds(redis)) - server) * 1e6) / commands;
  return { clientUs: (used.user + used.system) / commands, serverUs, wallUs };
}

async function main(): Promise<void> {
  const commands = positiveInteger('--commands', args.commands);
  const depth = positiveInteger('--pipeline', args.pipeline);
  const redis = new Redis(REDIS_URL);
  const key = `bench:round-trip:${process.pid}`;
  const sequential = () =>
    measure(redis, commands, async () => {
      for (let i = 0; i < commands; i++) await redis.hget(key, 'f');
    });
  const pipelined = () =>
    measure(redis, commands, async () => {
      for (let sent = 0; sent < commands; sent += depth) {
        const pipeline = redis.pipeline();
        for (let j = 0; j < Math.min(depth, commands - sent); j++) pipeline.hget(key, 'f');
        await pipeline.exec();
      }
    });
  await sequential(); // warm-up: connection, JIT
  const line = (what: string, c: Cost) =>
    `${what}: client ${c.clientUs.toFixed(1)} µs, Redis ${c.serverUs.toFixed(1)} µs of CPU and ${c.wallUs.toFixed(1)} µs of wall time per command`;
  // Alternated, twice each: the host's speed drifts within a minute.
  const runs: Array<[string, Cost]> = [];
  for (let pass = 0; pass < 2; pass++) {
    runs.push(['sequential (one round trip each)', await sequential()]);
    runs.push([`pipelined (${depth} per round trip)`, await pipelined()]);
  }
  for (const [what, cost] of runs) print(line(what, cost));
  const mean = (i: number, f: (c: Cost) => number) => (f(runs[i]![1]) + f(runs[i + 2]![1])) / 2;
  print(
    `a round trip costs the client ${(mean(0, (c) => c.clientUs) - mean(1, (c) => c.clientUs)).toFixed(1)} µs and Redis ${(mean(0, (c) => c.serverUs) - mean(1, (c) => c.serverUs)).toFixed(1)} µs of CPU more than a pipelined command`,
  );
  redis.disconnect();
}

runBenchmark(main);
