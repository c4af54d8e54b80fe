// The gateway on a real three-master Redis Cluster (REDIS_URL=redis+cluster://..., as the
// evaluator's): a verification client that checks every checksum syncs a user's buckets (their
// checksums read in per-slot batches), gets live changes through the cluster's pub/sub, and sees
// its write checkpoint.
import pino from 'pino';
import { loadSyncRulesFile } from '@syncline/service-runtime';
import { SyncClient } from '@syncline/sync-client';
import {
  evaluatorEnv,
  openDeploymentState,
  startCapture,
  startEvaluatorProcess,
  startRedisCluster,
  syncTo,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
  type LocalRedisCluster,
} from '@syncline/test-kit';
import { Gateway } from '../../src/gateway';
import { loadGatewayConfig } from '../../src/config';
import { gatewayEnv, RULES, SETUP, token } from './todo-app';

jest.setTimeout(180_000);

describe('the gateway on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let capture: CdcCapture;
  let evaluator: EvaluatorProcess;
  let state: DeploymentState;
  let gateway: Gateway;
  let endpoint: string;
  const clients: SyncClient[] = [];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    capture = await startCapture({ label: 'gw_cluster', setupSql: SETUP, partitions: 3 });
    const rulesFile = writeRulesFile(RULES);
    const extra = { SYNCLINE_BUCKET_TOPIC: 'off', REDIS_URL: cluster.url };
    evaluator = startEvaluatorProcess(evaluatorEnv(capture, rulesFile, extra), ['--rules', rulesFile]);
    const config = loadGatewayConfig(gatewayEnv(capture, rulesFile, cluster.url));
    state = openDeploymentState(config.keyPrefix, cluster.url);
    await capture.pg.query(`
      INSERT INTO lists SELECT i, 'alice', 'list ' || i FROM generate_series(1, 8) i;
      INSERT INTO members SELECT i, 'alice' FROM generate_series(1, 8) i;
      INSERT INTO todos SELECT 100 + i, 1 + i % 8, 'todo ' || i, i FROM generate_series(1, 40) i;
    `);
    await syncTo(capture, state, 120_000);
    const rules = await loadSyncRulesFile(config.rulesFile, { defaultSchema: config.defaultSchema });
    gateway = new Gateway(config, rules, pino({ level: 'warn' }));
    endpoint = `http://127.0.0.1:${await gateway.start()}`;
  });

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gateway?.stop();
    evaluator?.child.kill('SIGTERM');
    await evaluator?.exited;
    await state?.close();
    await capture?.close();
    await cluster?.stop();
  });

  async function expectedKeys(): Promise<string[]> {
    const { rows } = await capture.pg.query<{ key: string }>(`
      SELECT 'lists/' || id AS key FROM lists WHERE owner = 'alice'
      UNION ALL SELECT 'todos/' || t.id FROM todos t JOIN members m USING (list_id) WHERE m.user_id = 'alice'`);
    return rows.map((r) => r.key).sort();
  }

  it("syncs a user's buckets with every checksum right, then live changes and a write checkpoint", async () => {
    const t = await token('alice');
    const alice = new SyncClient({ endpoint, token: t, clientId: 'alice-device' });
    clients.push(alice);
    await alice.connect();
    const first = await alice.waitFor('first sync', (cp) => cp.rows.size === 48);
    expect([...first.rows.keys()].sort()).toEqual(await expectedKeys());
    // own_lists["alice"] and shared_todos[1..8]: buckets of many slots in one checksum batch.
    expect(first.buckets).toHaveLength(9);

    await capture.pg.query(`INSERT INTO todos VALUES (500, 3, 'live', 0)`);
    await alice.waitFor('the live change', (cp) => cp.rows.has('todos/500'));
    expect(alice.lines.some((l) => 'checkpoint_diff' in l)).toBe(true);

    const res = await fetch(`${endpoint}/write-checkpoint2.json?client_id=alice-device`, {
      headers: { authorization: `Token ${t}` },
    });
    expect(res.status).toBe(200);
    const n = BigInt(((await res.json()) as { data: { write_checkpoint: string } }).data.write_checkpoint);
    const cp = await alice.waitFor('write checkpoint', (x) => (x.writeCheckpoint ?? 0n) >= n);
    expect(cp.writeCheckpoint).toBe(n);
    expect([...cp.rows.keys()].sort()).toEqual(await expectedKeys());
    expect(alice.state.failures).toEqual([]);
  });
});
