// The initial snapshot ('r' events, no transaction) is fully processed before the first
// checkpoint, with op ids below every streaming op id; a snapshot with no later write is
// checkpointed through the connector's transactional heartbeat, also when heartbeat transactions
// are already in Kafka when the evaluator starts.
import { parseOpId, snapshotCheckpointOpId, firstGeneration } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  recordCheckpoints,
  startCapture,
  syncTo,
  testKafka,
  waitFor,
  writeRulesFile,
  type CdcCapture,
} from '@syncline/test-kit';
import { startInProcess, type InProcessEvaluator } from './harness';
import { loadConfig } from '../../src/config';

const ROWS = 2000;

describe('initial snapshot', () => {
  let capture: CdcCapture;
  let running: InProcessEvaluator | undefined;

  let idle: CdcCapture | undefined;

  afterAll(async () => {
    await running?.stop();
    await capture?.close();
    await idle?.close();
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
      writeRulesFile('bucket_definitions:\n  things:\n    data:\n      - SELECT * FROM things\n'),
      {
        SYNCLINE_BUCKET_TOPIC: 'off',
      },
    );
    const state = openDeploymentState(loadConfig(env).keyPrefix);
    const { published, close } = await recordCheckpoints(state);
    try {
      running = await startInProcess(env);
      await capture.pg.query(`INSERT INTO things VALUES (${ROWS + 1}, 'streamed')`);
      const last = await syncTo(capture, state, 90_000);
      const first = published[0]!;
      const { rows, ops } = await materialize(state, 'things[]', parseOpId(first.lastOpId));
      expect(rows.size).toBeGreaterThanOrEqual(ROWS);
      const snapshotOps = ops.filter((o) => o.opId <= snapshotCheckpointOpId(firstGeneration()));
      expect(snapshotOps).toHaveLength(ROWS);
      const all = await materialize(state, 'things[]', parseOpId(last.lastOpId));
      expect(all.rows.size).toBe(ROWS + 1);
      expect(JSON.parse(all.rows.get(`things/${ROWS + 1}`)!).name).toBe('streamed');
    } finally {
      close();
      await running?.stop();
      await state.close();
    }
  });

  it('checkpoints a snapshot with no later write through the transactional heartbeat', async () => {
    const rows = 500;
    idle = await startCapture({
      label: 'eval_snap_idle',
      setupSql: `CREATE TABLE things (id int PRIMARY KEY, name text); INSERT INTO things SELECT g, 'n' || g FROM generate_series(1, ${rows}) g;`,
      partitions: 4,
      // The template's transactional heartbeat action, every second instead of every 10 s.
      overrides: { 'snapshot.mode': 'initial', 'heartbeat.interval.ms': '1000' },
    });
    // Heartbeat transactions (BEGIN/END with 0 events) are in Kafka before the evaluator starts,
    // so its coordinator sees ENDs at once, possibly before its consumer has subscribed.
    const admin = testKafka(getTestStack().endpoints.kafkaBrokers).admin();
    await admin.connect();
    try {
      const tx = idle.transactionTopic;
      await waitFor(
        'heartbeat transactions',
        async () =>
          (await admin.listTopics()).includes(tx) &&
          Number((await admin.fetchTopicOffsets(tx))[0]!.high) >= 4,
      );
    } finally {
      await admin.disconnect();
    }
    const env = evaluatorEnv(
      idle,
      writeRulesFile('bucket_definitions:\n  things:\n    data:\n      - SELECT * FROM things\n'),
      { SYNCLINE_BUCKET_TOPIC: 'off' },
    );
    const state = openDeploymentState(loadConfig(env).keyPrefix);
    const { published, close } = await recordCheckpoints(state);
    const evaluator = await startInProcess(env);
    try {
      await waitFor('the first checkpoint', async () => published.length > 0);
      expect(published.length).toBeGreaterThan(0);
      const first = published[0]!;
      expect(first.endOffset).not.toBe('-1');
      const { rows: synced } = await materialize(state, 'things[]', parseOpId(first.lastOpId));
      expect(synced.size).toBe(rows);
    } finally {
      close();
      await evaluator.stop();
      await state.close();
    }
  });
});
