// Port checks before start-up, so an occupied port is a clear error and not a JVM stack trace,
// and (Linux) who holds a port, so a message can name the other process.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { PortInUseError } from './errors';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that is free now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export async function assertPortFree(component: string, port: number, envVar: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new PortInUseError(
      `port ${port} for ${component} is already in use by another process`,
      `stop that process (e.g. \`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with ${envVar}=<port>`,
      component,
      port,
      envVar,
    );
  }
}

/** A process listening on a port: its pid, name (`/proc/<pid>/comm`) and working directory. */
export interface PortHolder {
  readonly pid: number;
  readonly command: string;
  /** Where it runs; for the stack's processes this names the checkout or stack directory. */
  readonly cwd: string | undefined;
}

const TCP_LISTEN = '0A';

/** Socket inodes listening on `port`, from the text of /proc/net/tcp or /proc/net/tcp6. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const [, local = '', , state, , , , , , inode = '0'] = line.trim().split(/\s+/);
    if (state !== TCP_LISTEN || inode === '0') continue;
    if (Number.parseInt(local.slice(local.lastIndexOf(':') + 1), 16) === port) inodes.push(inode);
  }
  return inodes;
}

function tryRead<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined; // gone, or not ours to inspect
  }
}

function holdsSocket(pid: number, sockets: ReadonlySet<string>): boolean {
  const fds = tryRead(() => fs.readdirSync(`/proc/${pid}/fd`)) ?? [];
  return fds.some((fd) => sockets.has(tryRead(() => fs.readlinkSync(`/proc/${pid}/fd/${fd}`)) ?? ''));
}

/**
 * Best effort, Linux only: the process listening on a local TCP port, found through /proc (the
 * socket's inode, then the lowest pid holding it). Undefined when it cannot be seen (another
 * user's process without root, no /proc).
 */
export function portHolder(port: number): PortHolder | undefined {
  const sockets = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = tryRead(() => fs.readFileSync(table, 'utf8')) ?? '';
    for (const inode of listeningInodes(text, port)) sockets.add(`socket:[${inode}]`);
  }
  if (sockets.size === 0) return undefined;
  const pids = (tryRead(() => fs.readdirSync('/proc')) ?? [])
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
  const pid = pids.find((p) => holdsSocket(p, sockets));
  if (pid === undefined) return undefined;
  return {
    pid,
    command: tryRead(() => fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim()) ?? '?',
    cwd: tryRead(() => fs.readlinkSync(`/proc/${pid}/cwd`)),
  };
}
