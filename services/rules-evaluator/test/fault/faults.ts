// What the fault tests share: a bank deployment (capture, evaluator processes, the checker at
// every checkpoint) and a look at the transaction topic for re-delivered transactions.
import {
  evaluatorEnv,
  startOwnStack,
  type OwnStack,
  syncTo,
  waitFor,
  getTestStack,
  openDeploymentState,
  readUntil,
  startCapture,
  startEvaluatorProcess,
  testKafka,
  writeRulesFile,
  type CdcCapture,
  type DeploymentState,
  type EvaluatorProcess,
} from '@syncline/test-kit';
import { loadConfig } from '../../src/config';
import type { Checkpoint } from '@syncline/bucket-store';
import { BankChecker, BANK_RULES, BANK_SETUP_SQL, insertAccounts, transfers } from '../bank';

export const PARTITIONS = 6;

export interface BankDeployment {
  readonly capture: CdcCapture;
  readonly env: Record<string, string>;
  readonly state: DeploymentState;
  readonly checker: BankChecker;
  readonly evaluators: EvaluatorProcess[];
  /** The evaluators' last output, for a failure message. */
  output(): string;
  close(): Promise<void>;
}

export async function startBankDeployment(
  label: string,
  options: {
    connectUrl?: string;
    evaluators: number;
    logLevel?: string;
    /** More tables (SQL run after the bank's), more bucket definitions, and the connector's signal table. */
    extraSql?: string;
    extraRules?: string;
    signalTable?: string;
    overrides?: Record<string, string>;
  },
): Promise<BankDeployment> {
  const capture = await startCapture({
    label,
    setupSql: BANK_SETUP_SQL + (options.extraSql ?? ''),
    partitions: PARTITIONS,
    ...(options.connectUrl === undefined ? {} : { connectUrl: options.connectUrl }),
    ...(options.signalTable === undefined ? {} : { signalTable: options.signalTable }),
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
  });
  const env = evaluatorEnv(capture, writeRulesFile(BANK_RULES + (options.extraRules ?? '')), {
    ...(options.signalTable === undefined
      ? {}
      : { SYNCLINE_SIGNAL_TABLE: `${capture.schema}.${options.signalTable}` }),
    SYNCLINE_BUCKET_TOPIC: 'off',
    SYNCLINE_SESSION_TIMEOUT_MS: '6000',
    SYNCLINE_LOG_LEVEL: process.env.FAULT_LOG_LEVEL ?? options.logLevel ?? 'warn',
  });
  const state = openDeploymentState(loadConfig(env).keyPrefix);
  const checker = new BankChecker(state);
  await checker.start();
  const evaluators = Array.from({ length: options.evaluators }, (_, i) =>
    startEvaluatorProcess({ ...env, SYNCLINE_INSTANCE_ID: `${label}-${i}` }, [
      '--rules',
      env.SYNCLINE_RULES_FILE!,
    ]),
  );
  return {
    capture,
    env,
    state,
    checker,
    evaluators,
    output: () => evaluators.map((e) => e.output().slice(-12000)).join('\n=====\n'),
    async close() {
      for (const e of evaluators) e.child.kill('SIGKILL');
      await checker.close();
      await state.close();
      await capture.close();
    },
  };
}

/** How often each transaction (its `<xid>:<commit lsn>` id) has an END in the transaction topic. */
export async function endsPerTransaction(topic: string): Promise<Map<string, number>> {
  const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
  const admin = kafka.admin();
  await admin.connect();
  const [offsets] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const high = Number(offsets!.high);
  const records = await readUntil(kafka, [topic], (r) => r.length >= high, 60_000);
  const ends = new Map<string, number>();
  for (const r of records) {
    type Tx = { status?: string; id?: string; payload?: Tx } | null;
    const parsed = JSON.parse(r.value ?? 'null') as Tx;
    const value = parsed?.payload ?? parsed; // with or without the converter's schema envelope
    if (value?.status === 'END') ends.set(value.id!, (ends.get(value.id!) ?? 0) + 1);
  }
  return ends;
}

export function redelivered(ends: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const count of ends.values()) if (count > 1) n++;
  return n;
}

/** Waits until `n` more checkpoints than now are published. */
export async function moreCheckpoints(
  bank: BankDeployment,
  n: number,
  what: string,
  timeoutMs = 90_000,
): Promise<void> {
  const before = bank.checker.seen.length;
  await waitFor(what, async () => bank.checker.seen.length >= before + n, timeoutMs);
}

/**
 * The accounts, then transfers (until `fault` is done) while `fault` breaks something, then a
 * checkpoint covering everything, with every checkpoint verified. On a failure the evaluators'
 * output (and `diagnose`) goes to stderr.
 */
export async function underTransfers(
  bank: BankDeployment,
  fault: () => Promise<void>,
  options: { workers?: number; diagnose?: () => Promise<string> } = {},
): Promise<Checkpoint> {
  const { capture, state, checker } = bank;
  const report = async (error: unknown): Promise<never> => {
    process.stderr.write(bank.output());
    if (options.diagnose) process.stderr.write(`\n${await options.diagnose()}\n`);
    throw error;
  };
  await insertAccounts(capture);
  await syncTo(capture, state, 120_000);
  const stop = new AbortController();
  const workers = options.workers ?? 6;
  const run = transfers(capture, {
    workers,
    each: 100_000,
    partitions: PARTITIONS,
    pauseMs: 20,
    signal: stop.signal,
  });
  try {
    await fault();
  } catch (error) {
    await report(error);
  } finally {
    stop.abort();
    await run;
  }
  const final = await syncTo(capture, state, 180_000).catch(report);
  await checker.settled();
  return final;
}

/** No checkpoint broke the invariant, and the bucket at `final` equals Postgres. */
export async function expectConsistent(
  bank: BankDeployment,
  final: Checkpoint,
  options: { increasing?: boolean } = {},
): Promise<void> {
  expect(bank.checker.violations).toEqual([]);
  if (options.increasing ?? true) expect(bank.checker.notIncreasing()).toEqual([]);
  const { bucket, postgres } = await bank.checker.bucketAndPostgres(bank.capture, final);
  expect(bucket).toEqual(postgres);
}

/**
 * A bank deployment on a whole stack of the test's own (for faults that kill a part the run's
 * stack shares), set up and torn down around the calling describe block. Skipped, loudly, when the
 * run's stack is not local processes.
 */
export function onOwnStack(
  label: string,
  what: string,
): { readonly it: jest.It; own(): OwnStack; bank(): BankDeployment } {
  const kind = getTestStack().kind;
  if (kind !== 'local')
    process.stderr.write(
      `SKIPPING ${what}: it runs a stack of its own from local processes, and the test stack is '${kind}'\n`,
    );
  let own: OwnStack | undefined;
  let restore: (() => void) | undefined;
  let bank: BankDeployment | undefined;
  beforeAll(async () => {
    if (kind !== 'local') return;
    own = await startOwnStack(label);
    restore = own.use();
    bank = await startBankDeployment(label, { evaluators: 2 });
  });
  afterAll(async () => {
    await bank?.close().catch(() => undefined);
    restore?.();
    await own?.down();
  });
  return { it: kind === 'local' ? it : it.skip, own: () => own!, bank: () => bank! };
}
