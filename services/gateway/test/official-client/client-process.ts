// The test side of driver.mjs: starts it as a child process and sends it commands.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface DriverOptions {
  readonly endpoint: string;
  readonly token: string;
  readonly uploadUrl: string;
}

export class OfficialClient {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private next = 0;
  private stderr = '';

  constructor(options: DriverOptions) {
    this.child = spawn(process.execPath, [path.join(__dirname, 'driver.mjs')], {
      env: {
        ...process.env,
        SYNC_ENDPOINT: options.endpoint,
        SYNC_TOKEN: options.token,
        UPLOAD_URL: options.uploadUrl,
        DB_DIR: mkdtempSync(path.join(tmpdir(), 'powersync-node-')),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-20_000)));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith('{')) {
        // Not an answer (something printed to stdout after all): kept with the log, not parsed.
        this.stderr = (this.stderr + line + '\n').slice(-20_000);
        return;
      }
      const message = JSON.parse(line) as { id: number; ok: boolean; result?: unknown; error?: string };
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.result);
      else waiter?.reject(new Error(`${message.error}\n--- client stderr ---\n${this.stderr}`));
    });
    this.child.on('exit', (code) => {
      for (const w of this.pending.values())
        w.reject(new Error(`the client exited (${code}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** The last 20 kB the client logged (the SDK's "[PowerSync] ..." lines among them). */
  get log(): string {
    return this.stderr;
  }

  call<T = unknown>(cmd: string, args?: unknown, timeoutMs = 60_000): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new Error(`${cmd} did not answer within ${timeoutMs} ms\n--- client stderr ---\n${this.stderr}`),
        );
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => (clearTimeout(timer), resolve(v as T)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }

  getAll<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.call<T[]>('getAll', { sql, params });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.call('close', undefined, 15_000).catch(() => this.child.kill('SIGKILL'));
  }
}
