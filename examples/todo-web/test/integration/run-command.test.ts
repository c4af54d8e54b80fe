// The README's run command, `npm run demo`, as a user runs it: it brings the demo up (the stack is
// the run's local one, so `stack up` reuses it), prints one URL that serves the app, and Ctrl-C
// (SIGINT to its process group, as a terminal sends it) stops it with nothing left behind.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { getTestStack } from '@syncline/test-kit';

jest.setTimeout(420_000);

const ROOT = path.resolve(__dirname, '../../../..');
const kind = getTestStack().kind;
if (kind !== 'local')
  process.stderr.write(
    `SKIPPING the run-command test: it runs the demo on this checkout's local stack, and the test stack is '${kind}'\n`,
  );

/** Whether any process of the group is still alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

(kind === 'local' ? it : it.skip)(
  'npm run demo serves the app at the URL it prints and stops cleanly on Ctrl-C',
  async () => {
    const child = spawn('npm', ['run', 'demo'], {
      cwd: ROOT,
      detached: true, // its own process group, like a terminal's foreground job
      env: { ...process.env, DEMO_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // 'close' comes once every process holding the output pipes (run.ts inherits them) is gone and
    // their last output is read; npm itself may exit before run.ts has printed it.
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no URL within 360 s:\n${output}`)), 360_000);
        const check = () => {
          const m = /Open (http:\/\/\S+)/.exec(output);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        };
        child.stdout!.on('data', check);
        void exited.then((code) =>
          reject(new Error(`npm run demo exited (${code}) before printing a URL:\n${output}`)),
        );
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Shared todos');
      const token = await fetch(new URL('/api/token?user=alice', url));
      expect(((await token.json()) as { endpoint?: string }).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(output).toContain('[demo] checkpoint');
    } finally {
      if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGINT');
    }
    // npm's own exit status after a Ctrl-C is npm's business (130 or 0); what matters is that the
    // demo stopped its services and nothing of the group survives.
    await exited;
    await Promise.race([closed, new Promise((r) => setTimeout(r, 30_000))]);
    const deadline = Date.now() + 30_000;
    while (groupAlive(child.pid!) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(groupAlive(child.pid!)).toBe(false);
    expect(output).toContain('[demo] stopped');
  },
);
