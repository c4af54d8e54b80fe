// The evaluator on a real three-master Redis Cluster (REDIS_URL=redis+cluster://...): rows in
// Postgres become buckets spread over every master, parameter lookups resolve as of a
// checkpoint, a truncate reaches every row shard, and checkpoints are published on the cluster.
import { Redis } from 'ioredis';
import { parseOpId } from '@syncline/protocol';
import { slotOf } from '@syncline/bucket-store';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { serializeParameterLookup } from '@syncline/sync-rules';
import {
  evaluatorEnv,
  materialize,
  openDeploymentState,
  recordCheckpoints,
  startCapture,
  startRedisCluster,
  syncTo,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type LocalRedisCluster,
} from '@syncline/test-kit';
import { startInProcess, type InProcessEvaluator } from './harness';

jest.setTimeout(180_000);

const RULES = `
bucket_definitions:
  by_owner:
    parameters: SELECT request.user_id() AS owner
    data:
      - SELECT id, owner, title FROM items WHERE owner = bucket.owner
  by_list:
    parameters: SELECT id AS list_id FROM lists WHERE member = request.user_id()
    data:
      - SELECT * FROM todos WHERE list_id = bucket.list_id
`;

const SETUP = `
CREATE TABLE items (id int PRIMARY KEY, owner text NOT NULL, title text);
CREATE TABLE lists (id int PRIMARY KEY, member text);
CREATE TABLE todos (id int PRIMARY KEY, list_id int, title text);
`;

const OWNERS = Array.from({ length: 12 }, (_, i) => `owner${i}`);

describe('the evaluator on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let capture: CdcCapture;
  let running: InProcessEvaluator;
  let state: DeploymentState;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    capture = await startCapture({ label: 'eval_cluster', setupSql: SETUP, partitions: 3 });
    const env = evaluatorEnv(capture, writeRulesFile(RULES), { REDIS_URL: cluster.url });
    running = await startInProcess(env);
    state = openDeploymentState(running.config.keyPrefix, cluster.url);
  });

  afterAll(async () => {
    await running?.stop();
    await state?.close();
    await capture?.close();
    await cluster?.stop();
  });

  /** What the rules put in `owner`'s bucket, from Postgres now: `items/id` -> row JSON. */
  async function expectedItems(owner: string): Promise<Map<string, unknown>> {
    const { rows } = await capture.pg.query<{ id: number; title: string }>(
      'SELECT id, title FROM items WHERE owner = $1',
      [owner],
    );
    return new Map(rows.map((r) => [`items/${r.id}`, { id: r.id, owner, title: r.title }]));
  }

  async function storedItems(owner: string, checkpoint: bigint): Promise<Map<string, unknown>> {
    const { rows } = await materialize(state, `by_owner["${owner}"]`, checkpoint);
    return new Map([...rows].map(([k, v]) => [k, JSON.parse(v) as unknown]));
  }

  it("writes every owner's bucket, over every master, and publishes the checkpoint", async () => {
    const recording = await recordCheckpoints(state);
    const values = OWNERS.flatMap((o, i) => [`(${i * 2}, '${o}', 'a')`, `(${i * 2 + 1}, '${o}', 'b')`]);
    // One transaction: one batch holds ops of every bucket, i.e. of many slots.
    await capture.pg.query(`INSERT INTO items VALUES ${values.join(', ')}`);
    await capture.pg.query(`UPDATE items SET owner = 'owner1' WHERE id = 0`);
    const cp = await syncTo(capture, state);
    for (const owner of OWNERS)
      expect(await storedItems(owner, parseOpId(cp.lastOpId))).toEqual(await expectedItems(owner));
    expect(recording.published.some((p) => p.lastOpId === cp.lastOpId)).toBe(true);
    recording.close();

    const slots = new Set(OWNERS.map((o) => slotOf(state.keys.bucket(`by_owner["${o}"]`).ops)));
    expect(slots.size).toBe(OWNERS.length);
    const perMaster = await Promise.all(
      cluster.nodes.map(async (node) => {
        const server = new Redis(`redis://${node}`);
        try {
          return (await server.keys(`${state.keyPrefix}:*`)).length;
        } finally {
          server.disconnect();
        }
      }),
    );
    expect(perMaster.every((n) => n > 0)).toBe(true);
  });

  it('resolves parameter lookups as of a checkpoint', async () => {
    await capture.pg.query(`INSERT INTO lists VALUES (7, 'dave'); INSERT INTO todos VALUES (70, 7, 'x')`);
    const before = await syncTo(capture, state);
    await capture.pg.query(`UPDATE lists SET member = 'erin' WHERE id = 7`);
    const after = await syncTo(capture, state);
    const rules = await loadSyncRulesFile(running.config.rulesFile, {
      defaultSchema: running.config.defaultSchema,
    });
    const entry = rules.evaluateParameterRow(`${capture.schema}.lists`, { id: 7n, member: 'dave' })[0]!;
    const key = serializeParameterLookup(entry.lookup);
    expect(await state.reader.lookupAt(key, parseOpId(before.lastOpId))).toEqual([{ list_id: 7 }]);
    expect(await state.reader.lookupAt(key, parseOpId(after.lastOpId))).toEqual([]);
    const todos = await materialize(state, 'by_list[7]', parseOpId(after.lastOpId));
    expect([...todos.rows.keys()]).toEqual(['todos/70']);
  });

  it('empties every bucket of a truncated table (its row shards sit on every master)', async () => {
    await capture.pg.query('TRUNCATE items');
    const cp = await syncTo(capture, state);
    for (const owner of OWNERS) expect((await storedItems(owner, parseOpId(cp.lastOpId))).size).toBe(0);
    const [checksum] = await state.reader.checksumsAt(['by_owner["owner1"]'], parseOpId(cp.lastOpId));
    expect(checksum!.count).toBeGreaterThan(0);
  });
});
