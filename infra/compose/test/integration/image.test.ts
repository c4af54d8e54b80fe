// The production image without a Docker engine: its runtime stage's install (the files
// image-files.ts picks, `npm ci --omit=dev` from the npm cache) in a clean folder, then (1) the
// image's own command and (2) every application service of docker-compose.yml, with its command
// and environment, as local processes against the run's stack, each waited for until ready.
// Compose host names map to the stack's endpoints; names and ports that must be unique per test
// run (topic prefix, deployment, schema, listening ports) are the only other values replaced.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { freePort, repoRoot } from '@syncline/stack';
import { getTestStack, startCapture, waitFor, type CdcCapture } from '@syncline/test-kit';
import { copyFiles, imageFiles } from '../../image-files';

const root = repoRoot();
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
/** The runtime stage's NODE_OPTIONS (the export condition that selects compiled code). */
const NODE_OPTIONS = /NODE_OPTIONS=(\S+)/.exec(dockerfile)![1]!;
const ENTRYPOINT = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(dockerfile)![1]!) as string[];
const CMD = JSON.parse(/^CMD (.+)$/m.exec(dockerfile)![1]!) as string[];

interface ComposeService {
  scale?: number;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
}
const compose = parse(fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

let app: string;
let capture: CdcCapture;
const children: ChildProcess[] = [];

/** Starts argv as the image would (tini aside: here the test is its parent), in the image's WORKDIR. */
function start(argv: string[], env: Record<string, string>): ChildProcess {
  const [program, ...args] = argv.filter((a, i) => !(i < 2 && (a === '/usr/bin/tini' || a === '--')));
  const binary = { syncline: [path.join(app, 'services/cli/bin/syncline.js')], node: [] }[program!];
  if (binary === undefined) throw new Error(`the test cannot run ${program} outside the image`);
  const child = spawn(process.execPath, [...binary, ...args], {
    cwd: app,
    env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), NODE_OPTIONS, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  child.on('exit', (code) => {
    if (code !== null && code !== 0) process.stderr.write(`${argv.join(' ')} exited ${code}: ${err}\n`);
  });
  children.push(child);
  return child;
}

async function ready(url: string): Promise<void> {
  await waitFor(`${url} answering 200`, async () => (await fetch(url).catch(() => null))?.ok, 90_000);
}

beforeAll(async () => {
  // npm run build (incremental: quick when dist/ is current).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: root, stdio: 'pipe' });
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-image-'));
  const files = imageFiles(root);
  copyFiles(root, files.manifests, app);
  execFileSync(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
    {
      cwd: app,
      stdio: 'pipe',
    },
  );
  copyFiles(root, files.build, app);
  const setupSql = fs.readFileSync(path.join(root, 'infra/stack/config/demo-schema.sql'), 'utf8');
  capture = await startCapture({ label: 'image', setupSql });
  // A transaction, so Debezium creates the transaction and table topics the evaluator waits for.
  await capture.pg.query(`INSERT INTO lists (name, owner_id) VALUES ('image test', 'user-1')`);
}, 600_000);

afterAll(async () => {
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  );
  await capture?.close();
  if (app) fs.rmSync(app, { recursive: true, force: true });
}, 120_000);

/** The stack's endpoints for compose's host names, and this run's unique names. */
function composeEnvironment(service: ComposeService, ports: Map<string, string>): Record<string, string> {
  const { endpoints } = getTestStack();
  const hosts: [string, string][] = [
    ['postgres://postgres:syncline@postgres:5432/syncline', endpoints.pgUrl],
    ['redis://redis:6379', endpoints.redisUrl],
    ['http://registry:8080/apis/ccompat/v7', endpoints.schemaRegistryUrl],
    ['kafka:29092', endpoints.kafkaBrokers.join(',')],
  ];
  const unique: Record<string, string> = {
    SYNCLINE_TOPIC_PREFIX: capture.topicPrefix,
    SYNCLINE_DEPLOYMENT: capture.name,
    BACKEND_SCHEMA: capture.schema,
  };
  const mounts = (service.volumes ?? []).map((v) => v.split(':'));
  const env: Record<string, string> = { SYNCLINE_DEFAULT_SCHEMA: capture.schema };
  for (const [name, raw] of Object.entries(service.environment ?? {})) {
    let value = hosts.reduce((v, [from, to]) => v.split(from).join(to), raw);
    for (const [host, container] of mounts) if (value === container) value = path.join(root, host!);
    env[name] = ports.get(value) ?? unique[name] ?? value;
    expect([name, env[name]]).not.toEqual([
      name,
      expect.stringMatching(/\b(kafka|redis|postgres|registry):\d/),
    ]);
  }
  return env;
}

describe('the production image, installed and run without Docker', () => {
  it('holds no devDependency (tsx, TypeScript, jest)', () => {
    for (const dev of ['tsx', 'typescript', 'jest', 'ts-jest'])
      expect([dev, fs.existsSync(path.join(app, 'node_modules', dev))]).toEqual([dev, false]);
  });

  it("runs its ENTRYPOINT: syncline's usage by default, the evaluator until /readyz", async () => {
    const usage = execFileSync(process.execPath, [path.join(app, 'services/cli/bin/syncline.js'), ...CMD], {
      cwd: app,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS },
      encoding: 'utf8',
    });
    expect(usage).toMatch(/syncline evaluator --rules FILE/);
    const port = await freePort();
    const { endpoints } = getTestStack();
    start([...ENTRYPOINT, 'evaluator', '--rules', path.join(root, 'examples/todo-web/sync-rules.yaml')], {
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      REDIS_URL: endpoints.redisUrl,
      SCHEMA_REGISTRY_URL: endpoints.schemaRegistryUrl,
      SYNCLINE_TOPIC_PREFIX: capture.topicPrefix,
      SYNCLINE_DEPLOYMENT: `${capture.name}_entry`,
      SYNCLINE_DEFAULT_SCHEMA: capture.schema,
      SYNCLINE_HTTP_PORT: String(port),
      SYNCLINE_LOG_LEVEL: 'warn',
    });
    await ready(`http://127.0.0.1:${port}/readyz`);
  }, 120_000);

  it("runs docker-compose.yml's evaluators (both replicas), gateway and backend until ready", async () => {
    const urls: string[] = [];
    for (const name of ['evaluator', 'gateway', 'backend']) {
      const service = compose.services[name]!;
      for (let replica = 0; replica < (service.scale ?? 1); replica++) {
        const port = String(await freePort());
        const own = service.environment?.SYNCLINE_HEALTH_PORT;
        const env = composeEnvironment(service, new Map(own ? [[own, port]] : []));
        const argv = [...(service.entrypoint ?? ENTRYPOINT), ...(service.command ?? [])].map((a) =>
          (service.volumes ?? []).reduce(
            (v, m) => (v === m.split(':')[1] ? path.join(root, m.split(':')[0]!) : v),
            a,
          ),
        );
        start(argv, env);
        urls.push(`http://127.0.0.1:${port}/${name === 'backend' ? 'healthz' : 'readyz'}`);
      }
    }
    expect(urls).toHaveLength(4);
    await Promise.all(urls.map(ready));
  }, 180_000);
});
