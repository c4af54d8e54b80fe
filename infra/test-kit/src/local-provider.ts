// The `local` test stack: the processes `syncline stack up` runs, from this checkout. A stack this
// checkout started is reused as it is; when a port the run needs is held by a process this
// checkout's stack did not start (typically `syncline stack up` in another checkout), the run uses
// a private stack on free ports. docs/local-stack.md ("Tests next to a running stack") says why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  endpointsOf,
  loadStackConfig,
  portHolder,
  PortInUseError,
  repoRoot,
  stackDown,
  stackStop,
  stackUp,
  type ComponentName,
  type StackConfig,
  type UpReporter,
  type UpResult,
} from '@syncline/stack';
import { freePrivateStackEnv, PRIVATE_PORT_VARS } from './private-stack';
import type { ProvidedStack, StackProvider } from './provided-stack';

type Log = (line: string) => void;

/** What release() does with a stack, decided from what acquire() started and the environment. */
type EndAction = 'leave' | 'keep' | 'stop' | 'delete';

const AT_THE_END: Record<EndAction, string> = {
  leave: 'it was running before this run and stays running',
  keep: 'what this run started keeps running (SYNCLINE_TEST_KEEP_STACK=1)',
  stop: 'what this run started is stopped at the end (SYNCLINE_TEST_KEEP_STACK=1 keeps it)',
  delete: 'it is stopped and its directory deleted at the end (SYNCLINE_TEST_KEEP_STACK=1 keeps it running)',
};

/** The private stack's record: the variables it was started with, so a later run finds it. */
const RECORD_FILE = 'test-stack.json';

export function localStackProvider(env: NodeJS.ProcessEnv): StackProvider {
  return { kind: 'local', acquire: (log) => acquireLocal(env, log) };
}

async function acquireLocal(env: NodeJS.ProcessEnv, log: Log): Promise<ProvidedStack> {
  const config = loadStackConfig(env, repoRoot());
  let up: UpResult;
  try {
    up = await stackUp(config, progress(log));
  } catch (err) {
    // stackUp checks every port before it starts anything: nothing of ours is half started.
    if (err instanceof PortInUseError) return acquirePrivate(env, config, err, log);
    throw err;
  }
  const action = endAction(up, env, 'stop');
  log(`${outcome("this checkout's stack", config, up)}; ${AT_THE_END[action]}`);
  return provided(config, {}, up, action);
}

/** The stack in SYNCLINE_TEST_STACK_DIR: one left by an earlier run if it can run again, else a new one. */
async function acquirePrivate(
  env: NodeJS.ProcessEnv,
  own: StackConfig,
  conflict: PortInUseError,
  log: Log,
): Promise<ProvidedStack> {
  const dir = path.resolve(own.rootDir, env.SYNCLINE_TEST_STACK_DIR ?? path.join('.syncline', 'test-stack'));
  const held =
    `port ${conflict.port} (${conflict.component}) is held by ${holderText(conflict.port)}, ` +
    `not by this checkout's stack at ${own.stateDir}`;
  const recorded = readRecord(dir);
  if (recorded) {
    const config = loadStackConfig({ ...env, ...recorded }, own.rootDir);
    try {
      const up = await stackUp(config, progress(log));
      const action = endAction(up, env, reusedProcesses(up).length ? 'stop' : 'delete');
      log(`${held}; ${outcome('the private stack an earlier run left', config, up)}; ${AT_THE_END[action]}`);
      return provided(config, recorded, up, action);
    } catch (err) {
      if (!(err instanceof PortInUseError)) throw err;
      log(`the private stack at ${dir} cannot start on its ports again (${err.message}); starting a new one`);
    }
  }
  // Whatever is left there is this checkout's own test stack; its Kafka storage remembers its old
  // controller port, so a new block of ports needs a new directory.
  if (fs.existsSync(dir))
    await stackDown(loadStackConfig({ ...env, SYNCLINE_STACK_DIR: dir }, own.rootDir), { purge: true });
  const overrides = await freePrivateStackEnv(dir, own.topicPrefix);
  const config = loadStackConfig({ ...env, ...overrides }, own.rootDir);
  writeRecord(dir, overrides);
  const planned: EndAction = keepStack(env) ? 'keep' : 'delete';
  log(`${held}; using a private stack at ${dir} (${portsText(config)}); ${AT_THE_END[planned]}`);
  const up = await stackUp(config, progress(log));
  return provided(config, overrides, up, endAction(up, env, 'delete'));
}

function keepStack(env: NodeJS.ProcessEnv): boolean {
  return env.SYNCLINE_TEST_KEEP_STACK === '1';
}

/** Processes `up` started (not the connector: it lives in Connect and goes when Connect stops). */
function startedProcesses(up: UpResult): ComponentName[] {
  return up.started.filter((n) => n !== 'connector');
}

/** Processes `up` found running and healthy. */
function reusedProcesses(up: UpResult): ComponentName[] {
  return up.reused.filter((n) => n !== 'connector');
}

function endAction(up: UpResult, env: NodeJS.ProcessEnv, ifStarted: 'stop' | 'delete'): EndAction {
  if (startedProcesses(up).length === 0) return 'leave';
  return keepStack(env) ? 'keep' : ifStarted;
}

function provided(
  config: StackConfig,
  stackEnv: NodeJS.ProcessEnv,
  up: UpResult,
  action: EndAction,
): ProvidedStack {
  const endpoints = endpointsOf(config);
  const started = startedProcesses(up);
  const release: Record<EndAction, () => Promise<unknown>> = {
    leave: async () => undefined,
    keep: async () => undefined,
    // Only what this run started: a component it found running was someone's before the run.
    stop: () => stackStop(config, started),
    delete: () => stackDown(config, { purge: true }),
  };
  return {
    kind: 'local',
    endpoints,
    connectorPgUrl: endpoints.pgUrl,
    stackEnv,
    release: async () => void (await release[action]()),
  };
}

function outcome(what: string, config: StackConfig, up: UpResult): string {
  const where = `${what} at ${config.stateDir} (${portsText(config)})`;
  const started = startedProcesses(up);
  if (started.length === 0) return `reusing ${where}, healthy`;
  const reused = reusedProcesses(up);
  return `started ${started.join(', ')} of ${where}${reused.length ? `, reused ${reused.join(', ')}` : ''}`;
}

function portsText(config: StackConfig): string {
  const p = config.ports;
  return `postgres :${p.postgres}, redis :${p.redis}, kafka :${p.kafka}, connect :${p.connect}, registry :${p.registry}`;
}

function holderText(port: number): string {
  const holder = portHolder(port);
  if (!holder) return 'another process';
  return `pid ${holder.pid} (${holder.command}${holder.cwd ? ` in ${holder.cwd}` : ''})`;
}

function progress(log: Log): UpReporter {
  return {
    starting: () => undefined,
    note: () => undefined,
    ready: (name, ms, _detail, reused) => log(`stack: ${name} ${reused ? 'reused' : `ready in ${ms} ms`}`),
  };
}

function readRecord(dir: string): NodeJS.ProcessEnv | undefined {
  try {
    const env = (
      JSON.parse(fs.readFileSync(path.join(dir, RECORD_FILE), 'utf8')) as { env?: NodeJS.ProcessEnv }
    ).env;
    const complete = env && PRIVATE_PORT_VARS.every((v) => /^\d+$/.test(env[v] ?? ''));
    return complete && env.SYNCLINE_STACK_DIR === dir ? env : undefined;
  } catch {
    return undefined; // no record (or an unreadable one): start a new private stack
  }
}

function writeRecord(dir: string, env: NodeJS.ProcessEnv): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, RECORD_FILE), JSON.stringify({ env }, null, 2) + '\n');
}
