// Redis from the Debian package, with an append-only file in the stack directory so its data
// survives `stack down` / `stack up` like Kafka's does.
import * as fs from 'node:fs';
import Redis from 'ioredis';
import type { Component } from '../component';
import { componentDir, logFileOf } from '../component';
import { MissingToolError } from '../errors';
import { readyOrStopped, run, spawnDaemon, stopProcessGroup, tailFile } from '../processes';
import { waitUntil } from '../readiness';

async function ping(port: number): Promise<string> {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // failures surface through connect()/ping() below
  try {
    await client.connect();
    return await client.ping();
  } finally {
    client.disconnect();
  }
}

async function assertRedisInstalled(): Promise<void> {
  try {
    await run('redis-server', ['--version'], { timeoutMs: 10000 });
  } catch {
    throw new MissingToolError(
      'redis-server is not installed',
      'install it with `apt-get install redis-server` (or run `npm run setup`)',
    );
  }
}

export const redis: Component = {
  name: 'redis',
  ports: (c) => [{ port: c.ports.redis, envVar: 'SYNCLINE_REDIS_PORT' }],

  preflight: assertRedisInstalled,

  async start(ctx) {
    const c = ctx.config;
    const dir = componentDir(c, 'redis');
    fs.mkdirSync(dir, { recursive: true });
    const log = logFileOf(c, 'redis');
    const pid = await spawnDaemon({
      command: 'redis-server',
      args: [
        '--port',
        String(c.ports.redis),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--daemonize',
        'no',
        '--protected-mode',
        'no',
      ],
      logFile: log,
    });
    await readyOrStopped(
      pid,
      waitUntil(async () => (await ping(c.ports.redis)) === 'PONG', {
        what: 'Redis',
        timeoutMs: c.readyTimeoutMs,
        hint: `see ${log}:\n${tailFile(log, 5)}`,
      }),
    );
    return { pid, detail: `127.0.0.1:${c.ports.redis}` };
  },

  async probe(ctx) {
    try {
      const answer = await ping(ctx.config.ports.redis);
      return { healthy: answer === 'PONG', detail: `PING -> ${answer}` };
    } catch (err) {
      return { healthy: false, detail: (err as Error).message };
    }
  },

  async stop(_ctx, pid) {
    if (pid) await stopProcessGroup(pid, 10000);
  },
};
