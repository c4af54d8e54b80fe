// The initial snapshot ('r' events, no transaction) is fully processed before the first
// checkpoint, with op ids below every streaming op id.
import { Redis } from 'ioredis';
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId, snapshotCheckpointOpId, firstGeneration } from '@syncline/protocol';
import { getTestStack, startCapture, type CdcCapture } from '@syncline/test-kit';
import {
  evaluatorEnv,
  materialize,
  startInProcess,
  storeFor,
  syncTo,
  writeRules,
  type InProcessEvaluator,
} from './harness';
import { loadConfig } from '../../src/config';

jest.setTimeout(120_000);

const ROWS = 2000;

describe('initial snapshot', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator | undefined;

  afterAll(async () => {
    await running?.stop();
    await capture?.close();
  });

  it('covers every snapshot row in the first checkpoint, below all streaming op ids', async () => {
    capture = await startCapture({
      label: 'eval_snap',
      setupSql: `CREATE TABLE things (id int PRIMARY KEY, name text); INSERT INTO things SELECT g, 'n' || g FROM generate_series(1, ${ROWS}) g;`,
      partitions: 4,
      overrides: { 'snapshot.mode': 'initial' },
    });
    const env = evaluatorEnv(
      capture,
      writeRules('bucket_definitions:\n  things:\n    data:\n      - SELECT * FROM things\n'),
      {
        SYNCLINE_BUCKET_TOPIC: 'off',
      },
    );
    const { store, redis } = storeFor(loadConfig(env));
    const subscriber = new Redis(getTestStack().endpoints.redisUrl);
    const published: Checkpoint[] = [];
    await subscriber.subscribe(store.keys.checkpointChannel);
    subscriber.on('message', (_c: string, json: string) => published.push(JSON.parse(json) as Checkpoint));
    try {
      running = await startInProcess(env);
      await capture.pg.query(`INSERT INTO things VALUES (${ROWS + 1}, 'streamed')`);
      const last = await syncTo(capture, store, 90_000);
      const first = published[0]!;
      const { rows, ops } = await materialize(store, 'things[]', parseOpId(first.lastOpId));
      expect(rows.size).toBeGreaterThanOrEqual(ROWS);
      const snapshotOps = ops.filter((o) => parseOpId(o.op_id) <= snapshotCheckpointOpId(firstGeneration()));
      expect(snapshotOps).toHaveLength(ROWS);
      const all = await materialize(store, 'things[]', parseOpId(last.lastOpId));
      expect(all.rows.size).toBe(ROWS + 1);
      expect(JSON.parse(all.rows.get(`things/${ROWS + 1}`)!).name).toBe('streamed');
    } finally {
      subscriber.disconnect();
      await running?.stop();
      await store.deleteAll();
      redis.disconnect();
    }
  });
});
