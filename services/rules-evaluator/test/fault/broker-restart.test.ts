// Fault: the Kafka broker killed with SIGKILL during bank transfers and down for 25 s, then the
// stack brought back by `stack up` (stackUp, what the CLI runs), which must restart Kafka and the
// Connect worker that stayed alive but unhealthy. The evaluators must ride the outage out (no
// exit), the bank invariant must hold at EVERY checkpoint, checkpoints must resume and the end
// state must equal Postgres. A whole stack of the test's own: the run's broker is shared.
import type { OwnStack } from '@syncline/test-kit';
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
});
