// "Run what it renders": the chart rendered for the run's stack, then its connector hook Job,
// evaluator and gateway containers started as local processes with exactly the rendered
// command, args, environment (Secret and ConfigMap values resolved) and mounted files; the
// image's entrypoint `syncline` is played by `npx syncline`. Both services must become ready
// (/readyz), a client must receive a row through them, and a SIGTERM must stop each within the
// rendered terminationGracePeriodSeconds.
import { spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { Client } from 'pg';
import { freePort, removeConnector } from '@syncline/stack';
import { getTestStack, testKafka, uniqueName, waitFor } from '@syncline/test-kit';
import { find, findHelm, render, type Manifest } from '../chart';
import { podSpecOf, resolveContainer } from '../pod';
import { startRendered, type RenderedProcess } from '../run-rendered';

jest.setTimeout(240_000);

const SECRET = 'rendered-services-test-secret-0123456789';
const RULES = `bucket_definitions:
  user_lists:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT id, name FROM lists WHERE owner_id = bucket.user_id
`;

/** A probe as the kubelet makes it: a new connection each time (a kept-alive one that the server
 * closes while idle would otherwise be reused by the next request). */
const ready = (port: number, path = '/readyz') =>
  new Promise<boolean>((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });

function valuesFor(name: string, ports: { evaluator: number; gateway: number }): object {
  const { endpoints, connectorPgUrl } = getTestStack();
  const db = new URL(connectorPgUrl);
  return {
    syncRules: RULES,
    deployment: name,
    defaultSchema: name,
    logLevel: 'warn',
    kafka: { topicPrefix: name, changeTopicPartitions: 2 },
    connections: {
      kafkaBrokers: endpoints.kafkaBrokers.join(','),
      redisUrl: endpoints.redisUrl,
      schemaRegistryUrl: endpoints.schemaRegistryUrl,
      pgUrl: endpoints.pgUrl,
    },
    auth: { secret: SECRET },
    evaluator: {
      replicas: 1,
      httpPort: ports.evaluator,
      env: {
        SYNCLINE_TOPIC_REFRESH_MS: '500',
        SYNCLINE_SESSION_TIMEOUT_MS: '10000',
        SYNCLINE_LEASE_TTL_MS: '2000',
      },
    },
    gateway: { port: ports.gateway },
    connector: {
      mode: 'job',
      name,
      database: {
        host: db.hostname,
        port: Number(db.port || '5432'),
        user: decodeURIComponent(db.username),
        dbname: db.pathname.slice(1),
        password: decodeURIComponent(db.password) || 'unused', // trust auth, as the stack's renderer does
      },
      schemaIncludeList: [name],
      slotName: `${name}_slot`,
      publicationName: `${name}_pub`,
      job: { connectUrl: endpoints.connectUrl, timeoutSeconds: 120 },
    },
  };
}

/** A sync stream read on demand: until() resolves with everything read once `text` has arrived. */
async function openStream(port: number, token: string) {
  const res = await fetch(`http://127.0.0.1:${port}/sync/stream`, {
    method: 'POST',
    headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(120_000),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  return {
    async until(text: string): Promise<string> {
      while (!seen.includes(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`the stream ended before "${text}": ${seen}`);
        seen += decoder.decode(value, { stream: true });
      }
      return seen;
    },
    close: () => reader.cancel().catch(() => undefined),
  };
}

const graceMs = (m: readonly Manifest[], nameEnd: string): number =>
  Number(
    (podSpecOf(find(m, 'Deployment', nameEnd)) as unknown as Record<string, number>)
      .terminationGracePeriodSeconds,
  ) * 1000;

const helmPresent = findHelm() !== null;
if (!helmPresent)
  process.stderr.write('SKIPPING the rendered-services test: run infra/bootstrap.sh to install helm\n');

(helmPresent ? describe : describe.skip)('the services the chart renders', () => {
  const name = uniqueName('helm');
  const processes: RenderedProcess[] = [];
  let pg: Client;
  let manifests: Manifest[];
  let ports: { evaluator: number; gateway: number };

  beforeAll(async () => {
    const { endpoints } = getTestStack();
    pg = new Client({ connectionString: endpoints.pgUrl });
    await pg.connect();
    await pg.query(`CREATE SCHEMA ${name}`);
    await pg.query(`CREATE TABLE ${name}.lists (id text PRIMARY KEY, name text, owner_id text)`);
    // A row for the snapshot: Debezium creates a table's topic with its first record, and an
    // evaluator is ready only once a change topic of its rules exists (docs/deploy.md).
    await pg.query(`INSERT INTO ${name}.lists VALUES ('l1', 'Groceries from the snapshot', 'user-1')`);
    ports = { evaluator: await freePort(), gateway: await freePort() };
    manifests = render([valuesFor(name, ports)]);
  });

  afterAll(async () => {
    for (const p of processes) p.kill();
    // The deployment's Redis keys and consumer group go with `syncline evaluator --reset`, run as
    // the rendered evaluator container would run it.
    const evaluator = resolveContainer(manifests, 'Deployment', '-evaluator', `${name}-evaluator-reset`);
    const reset = startRendered({ ...evaluator, args: [...evaluator.args, '--reset'] });
    if ((await reset.exited) !== 0) process.stderr.write(`evaluator --reset failed: ${reset.output()}\n`);
    const { endpoints } = getTestStack();
    await removeConnector(endpoints.connectUrl, {
      name,
      pgUrl: endpoints.pgUrl,
      slotName: `${name}_slot`,
      publicationName: `${name}_pub`,
    }).catch(() => undefined);
    await pg.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
    await pg.end();
  });

  it('registers the connector with the rendered hook Job', async () => {
    const job = startRendered(resolveContainer(manifests, 'Job', '-connector', `${name}-connector`));
    processes.push(job);
    const code = await job.exited;
    expect({ code, output: job.output() }).toEqual({
      code: 0,
      output: expect.stringContaining('is running'),
    });
  });

  it('starts the rendered evaluator and gateway until both are ready', async () => {
    const evaluator = startRendered(
      resolveContainer(manifests, 'Deployment', '-evaluator', `${name}-evaluator-0`),
    );
    const gateway = startRendered(resolveContainer(manifests, 'Deployment', '-gateway', `${name}-gateway-0`));
    processes.push(evaluator, gateway);
    const exitedEarly = (p: RenderedProcess) => p.exited.then((code) => `exited ${code}: ${p.output()}`);
    const both = Promise.all([
      waitFor('the evaluator /readyz', () => ready(ports.evaluator), 180_000),
      waitFor('the gateway /readyz', () => ready(ports.gateway), 180_000),
    ]);
    const outcome = await Promise.race([
      both.then(() => 'ready'),
      exitedEarly(evaluator),
      exitedEarly(gateway),
    ]);
    expect(outcome).toBe('ready');
    expect(await ready(ports.evaluator, '/healthz')).toBe(true);
  });

  it('syncs the snapshot and a new row to a client through the rendered services', async () => {
    const token = spawnSync('npx', ['syncline', 'token', '--sub', 'user-1'], {
      encoding: 'utf8',
      env: { ...process.env, SYNCLINE_JWT_SECRET: SECRET },
    }).stdout.trim();
    const stream = await openStream(ports.gateway, token);
    try {
      expect(await stream.until('Groceries from the snapshot')).toContain('"checkpoint"');
      await pg.query(`INSERT INTO ${name}.lists VALUES ('l2', 'Added after start', 'user-1')`);
      expect(await stream.until('Added after start')).toContain('"checkpoint_diff"');
    } finally {
      await stream.close();
    }
  });

  it('stops each service on SIGTERM within its rendered grace period', async () => {
    for (const [p, nameEnd] of [
      [processes[1]!, '-evaluator'],
      [processes[2]!, '-gateway'],
    ] as const) {
      const t0 = Date.now();
      await p.stop();
      expect(Date.now() - t0).toBeLessThan(graceMs(manifests, nameEnd));
      expect(p.output()).not.toMatch(/SYNC_E\d+/);
    }
    // The evaluator left its consumer group on the way out (a killed one would stay a member
    // until its session timed out).
    const admin = testKafka(getTestStack().endpoints.kafkaBrokers).admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups([`syncline-evaluator.${name}.1`]);
      expect(groups[0]?.members).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  });
});
