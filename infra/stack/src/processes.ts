// Starting and stopping the stack's long-running processes: detached, each in its own process
// group with its output in a log file, so `stack down` can stop the whole group and nothing
// is left behind when the terminal that ran `stack up` goes away.
import { spawn, execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { StackError } from './errors';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface DaemonSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly logFile: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** Spawns a detached process group writing to `logFile`; resolves with the leader's pid. */
export async function spawnDaemon(spec: DaemonSpec): Promise<number> {
  const log = fs.openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Waits for a spawned daemon to become ready and stops it when it does not, so a failed start
 * leaves no process behind that no state file knows about.
 */
export async function readyOrStopped(pid: number, ready: Promise<unknown>): Promise<void> {
  try {
    await ready;
  } catch (err) {
    await stopProcessGroup(pid, 5000).catch(() => undefined);
    throw err;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Stops a process group: SIGTERM (JVMs shut down cleanly on it), then SIGKILL once
 * `graceMs` has passed. Resolves when the leader is gone.
 */
export async function stopProcessGroup(
  pid: number,
  graceMs = 15000,
): Promise<'stopped' | 'killed' | 'not-running'> {
  if (!isAlive(pid)) return 'not-running';
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return 'stopped';
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, 5000);
  return 'killed';
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid) || isZombie(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** A detached child we started may linger as a zombie until reaped; treat it as exited. */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return execFileAsync(command, [...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    timeout: options.timeoutMs ?? 120000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Last lines of a log file, for error messages. */
export function tailFile(file: string, lines = 15): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * A readiness `check` that fails at once, with the log's tail, when the process being waited
 * for has died: no point polling a component that is gone.
 */
export function failIfExited(pid: number, what: string, logFile: string): () => void {
  return () => {
    if (!isAlive(pid))
      throw new StackError(`${what} exited during start-up:\n${tailFile(logFile)}`, `see ${logFile}`);
  };
}
