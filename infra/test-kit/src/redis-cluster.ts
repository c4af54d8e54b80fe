// A real Redis Cluster for tests: three (or more) masters of the Debian redis-server, each on a
// free port with its cluster bus on port + 10000, in a temporary directory, joined by
// `redis-cli --cluster create`. Ready once every node says `cluster_state:ok`; stop() ends them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { isPortFree } from '@syncline/stack';
import { waitFor } from './wait';

const run = promisify(execFile);
const BUS_OFFSET = 10_000;

export interface LocalRedisCluster {
  /** `127.0.0.1:<port>` of every master. */
  readonly nodes: readonly string[];
  /** The REDIS_URL of the cluster: `redis+cluster://<every node>`. */
  readonly url: string;
  /** The directory of the nodes' data, configs and logs. */
  readonly dir: string;
  /** Stops every node and deletes the directory. */
  stop(): Promise<void>;
}

/** Ports p with p and p + 10000 (its cluster bus) free, none taken twice. */
async function clusterPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (ports.some((p) => Math.abs(p - port) < 2)) continue;
    if ((await isPortFree(port)) && (await isPortFree(port + BUS_OFFSET))) ports.push(port);
  }
  return ports;
}

function startNode(dir: string, port: number): ChildProcess {
  const log = openSync(path.join(dir, `redis-${port}.log`), 'a');
  // The local stack's durability settings: the evaluator checks every master's.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no'];
  args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
  args.push('--cluster-node-timeout', '5000', '--dir', dir, '--appendonly', 'yes', '--save', '');
  args.push('--appendfilename', `appendonly-${port}.aof`, '--appenddirname', `aof-${port}`);
  const child = spawn('redis-server', args, { stdio: ['ignore', log, log] });
  closeSync(log);
  return child;
}

async function clusterState(port: number): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), 'cluster', 'info'], { timeout: 5000 });
  return /cluster_state:(\w+)/.exec(stdout)?.[1] ?? 'unknown';
}

/** Starts a cluster of `masters` masters (at least 3, as redis-cli requires) with no replicas. */
export async function startRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncline-redis-cluster-'));
  const ports = await clusterPorts(masters);
  const children = ports.map((port) => startNode(dir, port));
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  const stop = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports)
      await waitFor(`redis-server on ${port} (${dir})`, async () => {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => ({ stdout: '' }));
        return stdout.trim() === 'PONG';
      });
    await run('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 60_000,
    });
    for (const port of ports)
      await waitFor(`cluster_state:ok on ${port}`, async () => (await clusterState(port)) === 'ok');
  } catch (error) {
    const logs = ports.map((p) => readFileSync(path.join(dir, `redis-${p}.log`), 'utf8').slice(-500));
    await stop();
    throw new Error(`the Redis Cluster did not start: ${(error as Error).message}\n${logs.join('\n')}`);
  }
  return { nodes, url: `redis+cluster://${nodes.join(',')}`, dir, stop };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
