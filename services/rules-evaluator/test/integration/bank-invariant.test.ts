// The bank invariant: concurrent transfers between accounts in different partitions, three
// evaluator processes (CLI children) on 6 partitions, one killed with SIGKILL and restarted.
// At EVERY published checkpoint the balances read from Redis at that checkpoint sum to the
// constant; at the end Redis equals Postgres. Then replay: restart (and rewind) with nothing
// reset, and no op id, op or checksum changes.
import { Kafka, logLevel } from 'kafkajs';
import { parseOpId } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  startCapture,
  startEvaluatorProcess,
  syncTo,
  waitFor,
  openDeploymentState,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { loadConfig } from '../../src/config';
import { BankChecker, BANK_BUCKET, BANK_RULES, BANK_SETUP_SQL, insertAccounts, transfers } from '../bank';

jest.setTimeout(240_000); // longer than the kit's default: three processes, a kill and a replay

const PARTITIONS = 6;
const BUCKET = BANK_BUCKET;

describe('bank invariant with three evaluator processes', () => {
  let capture: CdcCapture;
  let env: Record<string, string>;
  let state: DeploymentState;
  let checker: BankChecker;
  const children: EvaluatorProcess[] = [];

  beforeAll(async () => {
    capture = await startCapture({ label: 'eval_bank', setupSql: BANK_SETUP_SQL, partitions: PARTITIONS });
    env = evaluatorEnv(capture, writeRulesFile(BANK_RULES), {
      SYNCLINE_BUCKET_TOPIC: 'off',
      SYNCLINE_SESSION_TIMEOUT_MS: '6000',
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

  it('holds at every checkpoint through a kill -9 and a restart, and ends equal to Postgres', async () => {
    await insertAccounts(capture);
    const named = (i: number) =>
      startEvaluatorProcess({ ...env, SYNCLINE_INSTANCE_ID: `bank-${i}` }, [
        '--rules',
        env.SYNCLINE_RULES_FILE!,
      ]);
    for (let i = 0; i < 3; i++) children.push(named(i));
    await syncTo(capture, state, 90_000);

    // Paced so the run spans the kill, the rebalance and the restart.
    const run = transfers(capture, { workers: 8, each: 150, partitions: PARTITIONS, pauseMs: 150 });
    const seen = checker.seen;
    const before = seen.length;
    await waitFor('checkpoints during the transfers', async () => seen.length >= before + 15, 60_000);
    // Kill the coordinator itself: the lease must pass to another instance.
    const holder = (await state.coordination.leaseHolder())!;
    const index = Number(holder.replace('bank-', ''));
    const victim = children[index]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const checkpointsAtKill = seen.length;
    await waitFor('another coordinator', async () => {
      const now = await state.coordination.leaseHolder();
      return now !== null && now !== holder;
    });
    children[index] = named(index);
    await waitFor('a checkpoint after the kill', async () => seen.length > checkpointsAtKill, 60_000).catch(
      (e: unknown) => {
        process.stderr.write(children.map((c) => c.output().slice(-5000)).join('\n=====\n'));
        throw e;
      },
    );
    await run;

    const final = await syncTo(capture, state, 120_000);
    await checker.settled();
    expect(checker.violations).toEqual([]);
    expect(checker.verified).toBeGreaterThanOrEqual(15);
    const { bucket, postgres } = await checker.bucketAndPostgres(capture, final);
    expect(bucket).toEqual(postgres);
    // Op ids are strictly increasing across published checkpoints.
    expect(checker.notIncreasing()).toEqual([]);
  });

  it('replays with nothing reset: same op ids, no duplicate op, checksums unchanged', async () => {
    // Stopped before the ops are read, and replayed without compaction: a compaction pass turns
    // superseded PUTs into MOVEs (same op ids and checksums), so one running between the two reads
    // would change the stored ops without the replay having changed anything.
    for (const c of children) c.child.kill('SIGTERM');
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes).toEqual([0, 0, 0]);
    children.length = 0;
    const before = await state.reader.opsBetween(BUCKET, 0n, 2n ** 63n - 1n, 1_000_000);
    const cp = (await state.reader.currentCheckpoint())!;
    const [checksumBefore] = await state.reader.checksumsAt([BUCKET], parseOpId(cp.lastOpId));

    // Rewind the group to the start, as if no offset had ever been committed.
    const kafka = new Kafka({
      brokers: [...getTestStack().endpoints.kafkaBrokers],
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    const config = loadConfig(env);
    await admin.resetOffsets({
      groupId: config.groupId,
      topic: capture.tableTopic('accounts'),
      earliest: true,
    });
    await admin.disconnect();
    // A rewind past committed offsets needs the transaction reader to start at the beginning.
    for (let p = 0; p < PARTITIONS; p++)
      await state.coordination.setTransactionLow(`${capture.tableTopic('accounts')}/${p}`, 0n);

    const replayEnv = { ...env, SYNCLINE_COMPACTION: 'off' };
    children.push(
      startEvaluatorProcess(replayEnv, ['--rules', env.SYNCLINE_RULES_FILE!]),
      startEvaluatorProcess(replayEnv, ['--rules', env.SYNCLINE_RULES_FILE!]),
    );
    await capture.pg.query('UPDATE accounts SET balance = balance WHERE id = 1');
    const after = await syncTo(capture, state, 120_000);
    const replayed = await state.reader.opsBetween(BUCKET, 0n, parseOpId(cp.lastOpId), 1_000_000);
    expect(replayed).toEqual(before.filter((o) => o.opId <= parseOpId(cp.lastOpId)));
    const [checksumAfter] = await state.reader.checksumsAt([BUCKET], parseOpId(cp.lastOpId));
    expect(checksumAfter).toEqual(checksumBefore);
    const members = (await state.reader.opsBetween(BUCKET, 0n, parseOpId(after.lastOpId), 1_000_000)).map(
      (o) => `${o.opId}/${'objectId' in o ? o.objectId : o.op}`,
    );
    expect(new Set(members).size).toBe(members.length);
  });
});
