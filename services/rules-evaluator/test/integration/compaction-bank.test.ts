// Compaction under the real pipeline: the bank workload with two evaluator processes whose leader
// compacts every 200 ms in steps of 20 ops, the leader killed with SIGKILL mid-run (a compaction
// cut short; the next leader starts over). Every checkpoint a client could still complete keeps
// the invariant and its stored checksum, the bucket ends compacted (MOVEs and a CLEAR) and equal
// to Postgres for a new client, and a full replay of the change topics by a restarted evaluator
// (the group rewound to the start, compaction off) changes no op and no checksum at or below the
// checkpoint (docs/consistency.md 2.6, "Why the published checkpoint is a safe op id": a
// restarted instance skips covered transactions; the rebalance case, replanned and stopped by the
// row state, is change-processor.test.ts's replay test, and ADD_OPS's guard below a CLEAR is
// compaction-store.test.ts's).
import { Kafka, logLevel } from 'kafkajs';
import { parseOpId } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  startCapture,
  startEvaluatorProcess,
  syncTo,
  waitFor,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { loadConfig } from '../../src/config';
import { BankChecker, BANK_BUCKET, BANK_RULES, BANK_SETUP_SQL, insertAccounts, transfers } from '../bank';

jest.setTimeout(240_000);

const PARTITIONS = 4;

describe('compaction under the bank workload', () => {
  let capture: CdcCapture;
  let env: Record<string, string>;
  let state: DeploymentState;
  let checker: BankChecker;
  const children: EvaluatorProcess[] = [];

  beforeAll(async () => {
    capture = await startCapture({ label: 'eval_compact', setupSql: BANK_SETUP_SQL, partitions: PARTITIONS });
    env = evaluatorEnv(capture, writeRulesFile(BANK_RULES), {
      SYNCLINE_BUCKET_TOPIC: 'off',
      SYNCLINE_SESSION_TIMEOUT_MS: '6000',
      SYNCLINE_COMPACTION_INTERVAL_MS: '200',
      SYNCLINE_COMPACTION_STEP_OPS: '20',
    });
    state = openDeploymentState(loadConfig(env).keyPrefix);
    checker = new BankChecker(state);
    await checker.start();
  });

  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    await checker?.close();
    await state?.close();
    await capture?.close();
  });

  const stored = (upTo: bigint) => state.reader.opsBetween(BANK_BUCKET, 0n, upTo, 1_000_000);

  it('keeps every completable checkpoint right through a killed leader, and ends compacted and equal to Postgres', async () => {
    await insertAccounts(capture);
    const named = (i: number) =>
      startEvaluatorProcess({ ...env, SYNCLINE_INSTANCE_ID: `compact-${i}` }, [
        '--rules',
        env.SYNCLINE_RULES_FILE!,
      ]);
    for (let i = 0; i < 2; i++) children.push(named(i));
    await syncTo(capture, state, 90_000);

    const run = transfers(capture, { workers: 6, each: 120, partitions: PARTITIONS, pauseMs: 100 });
    await waitFor(
      'a compaction during the transfers',
      async () => (await stored(2n ** 62n)).some((op) => op.op === 'MOVE'),
      60_000,
    );
    const holder = (await state.coordination.leaseHolder())!;
    const index = Number(holder.replace('compact-', ''));
    children[index]!.child.kill('SIGKILL');
    await children[index]!.exited;
    children[index] = named(index);
    await run;

    const final = await syncTo(capture, state, 120_000);
    const last = parseOpId(final.lastOpId);
    await checker.settled();
    expect(checker.violations).toEqual([]);
    expect(checker.verified).toBeGreaterThanOrEqual(3);
    // The leader compacts up to the final checkpoint: a CLEAR heads the bucket, MOVEs follow.
    await waitFor(
      'compaction at the final checkpoint',
      async () => {
        const ops = await stored(last);
        return ops[0]?.op === 'CLEAR' && ops.filter((op) => op.op === 'PUT').length <= 24;
      },
      60_000,
    );
    const client = await materialize(state, BANK_BUCKET, last);
    expect(client.complete).toBe(true);
    const [sums] = await state.reader.checksumsAt([BANK_BUCKET], last);
    expect(client.checksum).toBe(sums!.checksum);
    const { bucket, postgres } = await checker.bucketAndPostgres(capture, final);
    expect(bucket).toEqual(postgres);
  });

  it('changes no op and no checksum at or below the checkpoint when every change is replayed after compaction', async () => {
    for (const c of children) c.child.kill('SIGTERM');
    expect(await Promise.all(children.map((c) => c.exited))).toEqual([0, 0]);
    children.length = 0;
    const cp = (await state.reader.currentCheckpoint())!;
    const upTo = parseOpId(cp.lastOpId);
    const before = await stored(upTo);
    expect(before[0]?.op).toBe('CLEAR');
    const [checksumBefore] = await state.reader.checksumsAt([BANK_BUCKET], upTo);

    const kafka = new Kafka({
      brokers: [...getTestStack().endpoints.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({
      groupId: loadConfig(env).groupId,
      topic: capture.tableTopic('accounts'),
      earliest: true,
    });
    await admin.disconnect();
    for (let p = 0; p < PARTITIONS; p++)
      await state.coordination.setTransactionLow(`${capture.tableTopic('accounts')}/${p}`, 0n);

    // Compaction off: whatever changes below the checkpoint now, the replay wrote it.
    const replayEnv = { ...env, SYNCLINE_COMPACTION: 'off' };
    children.push(startEvaluatorProcess(replayEnv, ['--rules', env.SYNCLINE_RULES_FILE!]));
    await capture.pg.query('UPDATE accounts SET balance = balance WHERE id = 1');
    const after = await syncTo(capture, state, 120_000);
    expect(await stored(upTo)).toEqual(before);
    const [checksumAfter] = await state.reader.checksumsAt([BANK_BUCKET], upTo);
    expect(checksumAfter).toEqual(checksumBefore);
    const { bucket, postgres } = await checker.bucketAndPostgres(capture, after);
    expect(bucket).toEqual(postgres);
  });
});
