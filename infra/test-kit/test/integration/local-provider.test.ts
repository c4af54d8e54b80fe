// A test run next to a stack another checkout started: the local provider neither fails on the
// ports that stack holds nor borrows it; it runs a private stack, says so, and stops only what it
// started. The real defaults (54329, ...) belong to whoever runs the suite with them, so this file
// plays both checkouts on a free block of ports: "other" runs `stack up` from its own directory on
// that block, and "mine" asks for the same block, as two checkouts both default to 54329.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';
import {
  endpointsOf,
  isPortFree,
  loadStackConfig,
  repoRoot,
  stackDown,
  stackStatus,
  stackUp,
  type StackConfig,
  type StackEndpoints,
} from '@syncline/stack';
import { freePrivateStackEnv, localStackProvider, testKafka, type ProvidedStack } from '@syncline/test-kit';

const quiet = { starting: () => undefined, note: () => undefined, ready: () => undefined };
const START_MS = 300000;

async function healthy(config: StackConfig): Promise<boolean> {
  return (await stackStatus(config)).every((s) => s.healthy);
}

async function expectEndpointsAnswer(e: StackEndpoints): Promise<void> {
  const pg = new Client({ connectionString: e.pgUrl });
  await pg.connect();
  try {
    expect((await pg.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level).toBe('logical');
  } finally {
    await pg.end();
  }
  const redis = new Redis(e.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await redis.connect();
    expect(await redis.ping()).toBe('PONG');
  } finally {
    redis.disconnect();
  }
  const admin = testKafka(e.kafkaBrokers).admin();
  await admin.connect();
  try {
    expect((await admin.describeCluster()).brokers).toHaveLength(1);
  } finally {
    await admin.disconnect();
  }
  const connectors = await fetch(`${e.connectUrl}/connectors`);
  expect(await connectors.json()).toContain(`${e.topicPrefix}-postgres`);
  expect((await fetch(`${e.schemaRegistryUrl}/subjects`)).status).toBe(200);
}

/** The ports a private stack's variables name, to check they are free again after release. */
function portsOf(stack: ProvidedStack): number[] {
  return Object.values(loadStackConfig(stack.stackEnv ?? {}, repoRoot()).ports);
}

describe('the local test provider next to a stack another checkout started', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncline-checkouts-'));
  const otherStackDir = path.join(root, 'other', '.syncline', 'stack');
  const mineStackDir = path.join(root, 'mine', '.syncline', 'stack');
  const mineTestStackDir = path.join(root, 'mine', '.syncline', 'test-stack');
  let shared: NodeJS.ProcessEnv = {};
  let other: StackConfig;

  /** A test run's environment in checkout "mine": the shared ports, its own directories. */
  function mine(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      ...shared,
      SYNCLINE_STACK_DIR: mineStackDir,
      SYNCLINE_TEST_STACK_DIR: mineTestStackDir,
      SYNCLINE_TOPIC_PREFIX: 'mine',
      SYNCLINE_TEST_KEEP_STACK: undefined,
      ...extra,
    };
  }

  beforeAll(async () => {
    shared = await freePrivateStackEnv(otherStackDir, 'other');
    other = loadStackConfig(shared, repoRoot());
    await stackUp(other, quiet);
  }, START_MS);

  afterAll(async () => {
    // Stopping needs only a stack's directory (pids and the Postgres data dir), not its ports.
    for (const dir of [mineTestStackDir, mineStackDir, otherStackDir])
      await stackDown(loadStackConfig({ SYNCLINE_STACK_DIR: dir }, repoRoot()), { purge: true }).catch(
        () => undefined,
      );
    fs.rmSync(root, { recursive: true, force: true });
  }, 120000);

  it(
    "uses a private stack on free ports, naming the other checkout's process, and deletes it at the end",
    async () => {
      const lines: string[] = [];
      const stack = await localStackProvider(mine()).acquire((l) => lines.push(l));
      try {
        const said = lines.find((l) => l.includes('using a private stack'));
        expect(said).toContain(`port ${other.ports.postgres} (postgres) is held by pid `);
        // The other checkout's Postgres runs in its data directory, which names the checkout.
        expect(said).toContain(otherStackDir);
        expect(said).toContain(`not by this checkout's stack at ${mineStackDir}`);
        expect(said).toContain(`using a private stack at ${mineTestStackDir}`);
        expect(said).toContain('deleted at the end');
        expect(portsOf(stack).filter((p) => Object.values(other.ports).includes(p))).toEqual([]);
        await expectEndpointsAnswer(stack.endpoints);
      } finally {
        await stack.release();
      }
      expect(fs.existsSync(mineTestStackDir)).toBe(false);
      for (const port of portsOf(stack)) expect([port, await isPortFree(port)]).toEqual([port, true]);
      expect(await healthy(other)).toBe(true);
    },
    START_MS,
  );

  it('reuses a healthy stack its own checkout started, and leaves it running', async () => {
    const lines: string[] = [];
    const stack = await localStackProvider({
      ...process.env,
      ...shared,
      SYNCLINE_TEST_STACK_DIR: path.join(root, 'other', '.syncline', 'test-stack'),
      SYNCLINE_TEST_KEEP_STACK: undefined,
    }).acquire((l) => lines.push(l));
    await stack.release();
    expect(lines).toContainEqual(
      `reusing this checkout's stack at ${otherStackDir} (postgres :${other.ports.postgres}, ` +
        `redis :${other.ports.redis}, kafka :${other.ports.kafka}, connect :${other.ports.connect}, ` +
        `registry :${other.ports.registry}), healthy; it was running before this run and stays running`,
    );
    expect(stack.endpoints).toEqual(endpointsOf(other));
    expect(await healthy(other)).toBe(true);
  });

  it(
    'keeps its private stack running with SYNCLINE_TEST_KEEP_STACK=1, and the next run reuses it',
    async () => {
      const first = await localStackProvider(mine({ SYNCLINE_TEST_KEEP_STACK: '1' })).acquire(
        () => undefined,
      );
      await first.release();
      const kept = loadStackConfig(first.stackEnv ?? {}, repoRoot());
      expect(await healthy(kept)).toBe(true);

      const lines: string[] = [];
      const second = await localStackProvider(mine()).acquire((l) => lines.push(l));
      await second.release();
      expect(second.endpoints).toEqual(first.endpoints);
      expect(lines).toContainEqual(
        expect.stringMatching(
          /held by pid .*; reusing the private stack an earlier run left at .*, healthy; it was running before this run and stays running$/,
        ),
      );
      // The second run started nothing, so it stopped nothing; afterAll removes the stack.
      expect(await healthy(kept)).toBe(true);
    },
    START_MS,
  );
});
