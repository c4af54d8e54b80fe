// Fault: the Kafka broker killed with SIGKILL during bank transfers and down for 25 s, then the
// stack brought back by `stack up` (stackUp, what the CLI runs), which must restart Kafka and the
// Connect worker that stayed alive but unhealthy. The evaluators must ride the outage out (no
// exit), the bank invariant must hold at EVERY checkpoint, checkpoints must resume and the end
// state must equal Postgres. A whole stack of the test's own: the run's broker is shared.
import { startEvaluatorProcess, waitFor, type OwnStack } from '@syncline/test-kit';
import { expectConsistent, onOwnStack, moreCheckpoints, underTransfers, type BankDeployment } from './faults';

jest.setTimeout(420_000);

describe('the Kafka broker killed with SIGKILL during transfers', () => {
  const stack = onOwnStack('fault_broker', 'the broker-restart fault test');
  const bank = (): BankDeployment => stack.bank();
  const own = (): OwnStack => stack.own();

  stack.it(
    'rides out the outage: the invariant holds at every checkpoint and the end equals Postgres',
    async () => {
      let notes: string[] = [];
      const final = await underTransfers(
        bank(),
        async () => {
          await moreCheckpoints(bank(), 10, 'checkpoints during the transfers');
          process.kill(-(await own().pidOf('kafka'))!, 'SIGKILL');
          await new Promise((r) => setTimeout(r, 25_000));
          ({ notes } = await own().up());
          await moreCheckpoints(bank(), 10, 'checkpoints after the broker came back', 180_000);
        },
        { workers: 4 },
      );
      process.stderr.write(
        `broker-restart: stack up notes: ${JSON.stringify(notes)}; ${bank().checker.verified} checkpoints verified\n`,
      );
      // Connect outlived its broker, alive but unhealthy: `stack up` restarted it instead of failing.
      expect(notes.some((n) => n.startsWith('connect: alive but unhealthy'))).toBe(true);
      // No evaluator exited.
      expect(bank().evaluators.map((e) => e.child.exitCode)).toEqual(bank().evaluators.map(() => null));
      await expectConsistent(bank(), final);
    },
  );

  // kafkajs restarts a consumer that crashed with a retriable error from a timer, even after the
  // consumer was disconnected: an evaluator told to stop while the broker was gone finished its
  // stop, logged "stopped", and then stayed alive for ever, its consumers restarting against the
  // dead broker (seen when a full disk stopped the local stack's broker under a benchmark). An
  // idle evaluator with the default session timeout and lease showed it every time.
  stack.it('a SIGTERM while the broker is down: the evaluators stop and exit', async () => {
    const env: Record<string, string> = {
      ...bank().env,
      SYNCLINE_INSTANCE_ID: 'fault_broker-idle',
      SYNCLINE_LOG_LEVEL: 'info',
    };
    for (const name of ['SYNCLINE_SESSION_TIMEOUT_MS', 'SYNCLINE_LEASE_TTL_MS', 'SYNCLINE_TOPIC_REFRESH_MS'])
      delete env[name];
    const idle = startEvaluatorProcess(env, ['--rules', env.SYNCLINE_RULES_FILE!]);
    const all = [...bank().evaluators, idle];
    try {
      await waitFor(
        'the idle evaluator to join',
        async () => idle.output().includes('reading the transaction topic'),
        120_000,
      );
      await new Promise((r) => setTimeout(r, 10_000));
      process.kill(-(await own().pidOf('kafka'))!, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 8000));
      for (const e of all) e.child.kill('SIGTERM');
      // kafkajs gives its requests up after its retries (~30 s against a refused connection).
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'still running'>((r) => {
        timer = setTimeout(() => r('still running'), 120_000);
      });
      const outcomes = await Promise.all(all.map((e) => Promise.race([e.exited, timeout])));
      clearTimeout(timer);
      if (outcomes.includes('still running')) process.stderr.write(idle.output().slice(-6000));
      expect(outcomes.map((o) => o === 'still running')).toEqual(all.map(() => false));
    } finally {
      idle.child.kill('SIGKILL');
      // Back up for the deployment's teardown (its connector, slot and topics).
      await own().up();
    }
  });
});
