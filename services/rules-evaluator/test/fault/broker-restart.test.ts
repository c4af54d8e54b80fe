// Fault: the Kafka broker killed with SIGKILL during bank transfers and down for 25 s, then the
// stack brought back by `stack up` (stackUp, what the CLI runs), which must restart Kafka and the
// Connect worker that stayed alive but unhealthy. The evaluators must ride the outage out (no
// exit), the bank invariant must hold at EVERY checkpoint, checkpoints must resume and the end
// state must equal Postgres. A whole stack of the test's own: the run's broker is shared.
import { getTestStack, startOwnStack, syncTo, waitFor, type OwnStack } from '@syncline/test-kit';
import { insertAccounts, transfers } from '../bank';
import { PARTITIONS, startBankDeployment, type BankDeployment } from './faults';

jest.setTimeout(420_000);

const local = getTestStack().kind === 'local';
if (!local)
  process.stderr.write(
    `SKIPPING the broker-restart fault test: it runs a stack of its own from local processes, and the test stack is '${getTestStack().kind}'\n`,
  );
const localIt = local ? it : it.skip;

describe('the Kafka broker killed with SIGKILL during transfers', () => {
  let own: OwnStack | undefined;
  let restore: (() => void) | undefined;
  let bank: BankDeployment | undefined;

  beforeAll(async () => {
    if (!local) return;
    own = await startOwnStack('fault_broker');
    restore = own.use();
    bank = await startBankDeployment('fault_broker', { evaluators: 2 });
  });

  afterAll(async () => {
    await bank?.close().catch(() => undefined);
    restore?.();
    await own?.down();
  });

  localIt(
    'rides out the outage: the invariant holds at every checkpoint and the end equals Postgres',
    async () => {
      const { capture, state, checker, evaluators } = bank!;
      await insertAccounts(capture);
      await syncTo(capture, state, 120_000);
      const stop = new AbortController();
      const run = transfers(capture, {
        workers: 4,
        each: 100_000,
        partitions: PARTITIONS,
        pauseMs: 20,
        signal: stop.signal,
      });
      let notes: string[] = [];
      try {
        const before = checker.seen.length;
        await waitFor(
          'checkpoints during the transfers',
          async () => checker.seen.length >= before + 10,
          90_000,
        );
        const broker = (await own!.pidOf('kafka'))!;
        process.kill(-broker, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 25_000));
        ({ notes } = await own!.up());
        const restarted = checker.seen.length;
        await waitFor(
          'checkpoints after the broker came back',
          async () => checker.seen.length >= restarted + 10,
          180_000,
        );
      } catch (error) {
        process.stderr.write(bank!.output());
        throw error;
      } finally {
        stop.abort();
        await run;
      }
      const final = await syncTo(capture, state, 180_000);
      await checker.settled();
      process.stderr.write(
        `broker-restart: stack up notes: ${JSON.stringify(notes)}; ${checker.verified} checkpoints verified\n`,
      );
      // Connect outlived its broker, alive but unhealthy: `stack up` restarted it instead of failing.
      expect(notes.some((n) => n.startsWith('connect: alive but unhealthy'))).toBe(true);
      // No evaluator exited.
      expect(evaluators.map((e) => e.child.exitCode)).toEqual(evaluators.map(() => null));
      expect(checker.violations).toEqual([]);
      expect(checker.notIncreasing()).toEqual([]);
      const { bucket, postgres } = await checker.bucketAndPostgres(capture, final);
      expect(bucket).toEqual(postgres);
    },
  );
});
