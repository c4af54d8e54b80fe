// The bank invariant: concurrent transfers between accounts in different partitions, three
// evaluator processes (CLI children) on 6 partitions, one killed with SIGKILL and restarted.
// At EVERY published checkpoint the balances read from Redis at that checkpoint sum to the
// constant; at the end Redis equals Postgres. Then replay: restart (and rewind) with nothing
// reset, and no op id, op or checksum changes.
import { Client } from 'pg';
import { Kafka, logLevel } from 'kafkajs';
import { murmur2 } from '@syncline/bucket-topic';
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId } from '@syncline/protocol';
import {
  evaluatorEnv,
  getTestStack,
  materialize,
  openDeploymentState,
  recordCheckpoints,
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

jest.setTimeout(240_000); // longer than the kit's default: three processes, a kill and a replay

const ACCOUNTS = 24;
const START_BALANCE = 1000;
const TOTAL = ACCOUNTS * START_BALANCE;
const PARTITIONS = 6;
const BUCKET = 'bank[]';

const RULES = `
bucket_definitions:
  bank:
    data:
      - SELECT id, balance FROM accounts
`;

/** Kafka's default partitioner on Debezium's JSON key `{"id":n}`. */
const partitionOf = (id: number) => (murmur2(Buffer.from(`{"id":${id}}`)) & 0x7fffffff) % PARTITIONS;

describe('bank invariant with three evaluator processes', () => {
  let capture: CdcCapture;
  let env: Record<string, string>;
  let state: DeploymentState;
  let recording: { close(): void } | undefined;
  const children: EvaluatorProcess[] = [];
  const seen: Checkpoint[] = [];
  const violations: string[] = [];
  let verified = 0;
  let verifying = Promise.resolve();

  beforeAll(async () => {
    capture = await startCapture({
      label: 'eval_bank',
      setupSql: `CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL);`,
      partitions: PARTITIONS,
    });
    env = evaluatorEnv(capture, writeRulesFile(RULES), {
      SYNCLINE_BUCKET_TOPIC: 'off',
      SYNCLINE_SESSION_TIMEOUT_MS: '6000',
    });
    state = openDeploymentState(loadConfig(env).keyPrefix);
    recording = await recordCheckpoints(state, (cp) => {
      seen.push(cp);
      verifying = verifying.then(() => verify(cp));
    });
  });

  afterAll(async () => {
    for (const c of children) c.child.kill('SIGKILL');
    recording?.close();
    await state?.close();
    await capture?.close();
  });

  async function verify(cp: Checkpoint): Promise<void> {
    const { rows, checksum } = await materialize(state, BUCKET, parseOpId(cp.lastOpId));
    verified++;
    if (rows.size === 0) return; // before the accounts' insert is covered
    let sum = 0;
    for (const data of rows.values()) sum += Number(JSON.parse(data).balance);
    if (rows.size !== ACCOUNTS || sum !== TOTAL)
      violations.push(`checkpoint ${cp.lastOpId}: ${rows.size} accounts summing to ${sum}`);
    const [stored] = await state.reader.checksumsAt([BUCKET], parseOpId(cp.lastOpId));
    if (stored!.checksum !== checksum)
      violations.push(`checkpoint ${cp.lastOpId}: checksum ${stored!.checksum} != ${checksum}`);
  }

  async function transfers(workers: number, each: number): Promise<void> {
    const pairs: [number, number][] = [];
    for (let a = 1; a <= ACCOUNTS; a++)
      for (let b = 1; b <= ACCOUNTS; b++) if (partitionOf(a) !== partitionOf(b)) pairs.push([a, b]);
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        const pg = new Client({ connectionString: getTestStack().endpoints.pgUrl });
        await pg.connect();
        await pg.query(`SET search_path TO ${capture.schema}`);
        try {
          for (let i = 0; i < each; i++) {
            const [a, b] = pairs[(w * 7919 + i * 104729) % pairs.length]!;
            const amount = 1 + ((w + i) % 50);
            await pg.query('BEGIN');
            // Lock in id order so concurrent transfers cannot deadlock.
            const [first, second] = a < b ? [a, b] : [b, a];
            await pg.query('SELECT 1 FROM accounts WHERE id IN ($1, $2) ORDER BY id FOR UPDATE', [
              first,
              second,
            ]);
            await pg.query('UPDATE accounts SET balance = balance - $2 WHERE id = $1', [a, amount]);
            await pg.query('UPDATE accounts SET balance = balance + $2 WHERE id = $1', [b, amount]);
            await pg.query('COMMIT');
            // Paced so the run spans the kill, the rebalance and the restart.
            await new Promise((r) => setTimeout(r, 150));
          }
        } finally {
          await pg.end();
        }
      }),
    );
  }

  it('holds at every checkpoint through a kill -9 and a restart, and ends equal to Postgres', async () => {
    const values = Array.from({ length: ACCOUNTS }, (_, i) => `(${i + 1}, ${START_BALANCE})`).join(',');
    await capture.pg.query(`INSERT INTO accounts VALUES ${values}`);
    const named = (i: number) =>
      startEvaluatorProcess({ ...env, SYNCLINE_INSTANCE_ID: `bank-${i}` }, [
        '--rules',
        env.SYNCLINE_RULES_FILE!,
      ]);
    for (let i = 0; i < 3; i++) children.push(named(i));
    await syncTo(capture, state, 90_000);

    const run = transfers(8, 150);
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
    await verifying;
    expect(violations).toEqual([]);
    expect(verified).toBeGreaterThanOrEqual(15);
    const { rows } = await materialize(state, BUCKET, parseOpId(final.lastOpId));
    const pg = await capture.pg.query<{ id: number; balance: string }>(
      'SELECT id, balance FROM accounts ORDER BY id',
    );
    const expected = new Map(
      pg.rows.map((r) => [`accounts/${r.id}`, { id: String(r.id), balance: Number(r.balance) }]),
    );
    const actual = new Map([...rows].map(([k, v]) => [k, JSON.parse(v) as unknown]));
    expect(actual).toEqual(expected);
    // Op ids are strictly increasing across published checkpoints.
    const ids = seen.map((c) => parseOpId(c.lastOpId));
    for (let i = 1; i < ids.length; i++) expect(ids[i]!).toBeGreaterThan(ids[i - 1]!);
  });

  it('replays with nothing reset: same op ids, no duplicate op, checksums unchanged', async () => {
    const before = await state.reader.opsBetween(BUCKET, 0n, 2n ** 63n - 1n, 1_000_000);
    const cp = (await state.reader.currentCheckpoint())!;
    const [checksumBefore] = await state.reader.checksumsAt([BUCKET], parseOpId(cp.lastOpId));
    for (const c of children) c.child.kill('SIGTERM');
    const codes = await Promise.all(children.map((c) => c.exited));
    expect(codes).toEqual([0, 0, 0]);
    children.length = 0;

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

    children.push(
      startEvaluatorProcess(env, ['--rules', env.SYNCLINE_RULES_FILE!]),
      startEvaluatorProcess(env, ['--rules', env.SYNCLINE_RULES_FILE!]),
    );
    await capture.pg.query('UPDATE accounts SET balance = balance WHERE id = 1');
    const after = await syncTo(capture, state, 120_000);
    const replayed = await state.reader.opsBetween(BUCKET, 0n, parseOpId(cp.lastOpId), 1_000_000);
    expect(replayed).toEqual(before.filter((o) => o.opId <= parseOpId(cp.lastOpId)));
    const [checksumAfter] = await state.reader.checksumsAt([BUCKET], parseOpId(cp.lastOpId));
    expect(checksumAfter).toEqual(checksumBefore);
    const members = (await state.reader.opsBetween(BUCKET, 0n, parseOpId(after.lastOpId), 1_000_000)).map(
      (o) => `${o.opId}/${o.objectId}`,
    );
    expect(new Set(members).size).toBe(members.length);
  });
});
