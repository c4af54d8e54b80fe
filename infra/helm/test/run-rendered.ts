// Runs a rendered container as a local process: its ConfigMap volumes written to a temporary
// directory (paths under the mount rewritten in the command, args and environment), the image's
// entrypoint `syncline` played by `npx syncline` of this checkout.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT } from './chart';
import type { ResolvedContainer } from './pod';

export interface RenderedProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<number | null>;
  /**
   * SIGTERM to the process group, so the service gets it as the image's entrypoint would from the
   * kubelet (npx passes it only to its shell, which dies and leaves the service running); resolves
   * when every process holding the output pipes has exited, the service included.
   */
  stop(): Promise<void>;
  /** SIGKILL to the whole process group: cleanup after a failed test. */
  kill(): void;
}

/** The container's files on this machine, and a function that maps its paths to them. */
function materializeMounts(c: ResolvedContainer): (s: string) => string {
  const dir = fs.mkdtempSync(path.join(tmpdir(), 'syncline-pod-'));
  const moved: [string, string][] = Object.entries(c.mounts).map(([mountPath, files], i) => {
    const local = path.join(dir, `mount-${i}`);
    fs.mkdirSync(local);
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(local, name), content);
    return [mountPath, local];
  });
  return (s) =>
    moved.reduce((acc, [from, to]) => (acc.startsWith(`${from}/`) ? to + acc.slice(from.length) : acc), s);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

export function startRendered(c: ResolvedContainer): RenderedProcess {
  const local = materializeMounts(c);
  const argv = [...(c.command.length > 0 ? c.command : ['npx', 'syncline']), ...c.args].map(local);
  const env = Object.fromEntries(Object.entries(c.env).map(([k, v]) => [k, local(v)]));
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, so a signal reaches the service under npx
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      signalGroup(child, 'SIGTERM');
      await closed;
    },
    kill: () => signalGroup(child, 'SIGKILL'),
  };
}
