// `syncline stack ...` through the real binary, against the run's local stack, plus the error
// paths users hit first: an occupied port, a Java that is too old, a failed Maven download, a
// component that fails while others have started.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { getTestStack, PRIVATE_PORT_VARS, privateStackEnv } from '@syncline/test-kit';
import { DownloadError, isPortFree, loadStackConfig } from '@syncline/stack';
import { ensureDownloads } from '@syncline/stack/src/downloads';

const exec = promisify(execFile);
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'syncline.js');

async function syncline(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 180000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const stack = getTestStack();
const local = stack.kind === 'local';
if (!local) {
  // Loud on purpose: these checks need the processes `stack up` runs.
  process.stderr.write(
    `SKIPPING syncline stack command tests: the test stack is '${stack.kind}', not 'local'\n`,
  );
}
const localIt = local ? it : it.skip;

describe('syncline stack (real binary)', () => {
  localIt('status --json reports every component healthy, with pids', async () => {
    const r = await syncline(['stack', 'status', '--json']);
    expect(r.code).toBe(0);
    const status = JSON.parse(r.stdout) as {
      healthy: boolean;
      components: Array<{ name: string; healthy: boolean; pid?: number }>;
    };
    expect(status.healthy).toBe(true);
    expect(status.components.map((c) => c.name).sort()).toEqual([
      'connect',
      'connector',
      'kafka',
      'postgres',
      'redis',
      'registry',
    ]);
    for (const c of status.components.filter((x) => x.name !== 'connector')) expect(c.pid).toBeGreaterThan(0);
  });

  localIt('env prints the run stack endpoints as shell exports', async () => {
    const r = await syncline(['stack', 'env']);
    expect(r.code).toBe(0);
    const vars = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => /^export (\w+)=(.*)$/.exec(l)!.slice(1, 3) as [string, string]),
    );
    expect(vars).toEqual({
      PG_URL: stack.endpoints.pgUrl,
      KAFKA_BROKERS: stack.endpoints.kafkaBrokers.join(','),
      REDIS_URL: stack.endpoints.redisUrl,
      CONNECT_URL: stack.endpoints.connectUrl,
      SCHEMA_REGISTRY_URL: stack.endpoints.schemaRegistryUrl,
      TOPIC_PREFIX: stack.endpoints.topicPrefix,
      SYNCLINE_JWT_SECRET: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    // The same secret every time: tokens signed with it stay valid.
    expect((await syncline(['stack', 'env'])).stdout).toBe(r.stdout);
  });

  localIt('a second up reuses the running stack', async () => {
    const r = await syncline(['stack', 'up']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/already running, nothing started/);
    expect(r.stderr).toMatch(/kafka\s+reused/);
  });

  it('refuses to start on an occupied port, naming the port and the variable', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-port-'));
    try {
      const r = await syncline(['stack', 'up'], {
        ...privateStackEnv(dir),
        SYNCLINE_REDIS_PORT: String(port),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} for redis is already in use`);
      expect(r.stderr).toContain('SYNCLINE_REDIS_PORT');
    } finally {
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('explains a registry Java that is too old before starting anything', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-java-'));
    try {
      // A JDK 17 home: Apicurio 3.3 needs 21+.
      const jdk17 = ['/usr/lib/jvm/java-17-openjdk-amd64', '/usr/lib/jvm/openjdk-17'].find((p) =>
        fs.existsSync(path.join(p, 'bin', 'java')),
      );
      const home = jdk17 ?? '/nonexistent-jdk';
      const r = await syncline(['stack', 'up'], {
        ...privateStackEnv(dir),
        SYNCLINE_REGISTRY_JAVA_HOME: home,
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Apicurio Registry 3\.3 needs Java 21 or newer/);
      expect(r.stderr).toMatch(/what to do:/);
      // Nothing was started, so nothing is left to stop.
      expect(fs.existsSync(path.join(dir, 'state.json'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops what it started when a component fails part-way, so no port stays taken', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-partial-'));
    // A Postgres whose initdb fails: Redis, Kafka, the registry and Connect start meanwhile.
    const fakeBin = path.join(dir, 'pg-bin');
    fs.mkdirSync(fakeBin);
    fs.writeFileSync(
      path.join(fakeBin, 'initdb'),
      '#!/bin/sh\necho "initdb: simulated failure" >&2\nexit 1\n',
      {
        mode: 0o755,
      },
    );
    const env: NodeJS.ProcessEnv = { ...privateStackEnv(path.join(dir, 'stack')), SYNCLINE_PG_BIN: fakeBin };
    try {
      const r = await syncline(['stack', 'up'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/initdb failed: .*simulated failure/s);
      for (const v of PRIVATE_PORT_VARS.filter((name) => name !== 'SYNCLINE_PG_PORT'))
        expect([v, await isPortFree(Number(env[v]))]).toEqual([v, true]);
      const status = await syncline(['stack', 'status', '--json'], env);
      const report = JSON.parse(status.stdout) as { components: Array<{ name: string; pid?: number }> };
      expect(report.components.filter((c) => c.pid !== undefined)).toEqual([]);
    } finally {
      await syncline(['stack', 'down'], env);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a failed Maven download with the Maven error and what to do', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-mvn-'));
    try {
      fs.mkdirSync(path.join(root, 'infra', 'kafka-stack'), { recursive: true });
      const pom = fs.readFileSync(path.resolve(__dirname, '../../../../infra/kafka-stack/pom.xml'), 'utf8');
      fs.writeFileSync(
        path.join(root, 'infra', 'kafka-stack', 'pom.xml'),
        pom.replace('<kafka.version>4.3.1<', '<kafka.version>0.0.0-does-not-exist<'),
      );
      const config = loadStackConfig({}, root);
      const error = await ensureDownloads(config, 'java').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DownloadError);
      expect((error as DownloadError).message).toMatch(/Maven download .* failed/);
      expect((error as DownloadError).message).toMatch(/0\.0\.0-does-not-exist/);
      expect((error as DownloadError).hint).toMatch(/Maven Central/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
