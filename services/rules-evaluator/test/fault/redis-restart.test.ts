// Fault: the Redis process killed with SIGKILL during bank transfers and started again 10 s later
// by `stack up`. With `appendfsync everysec` it may come back without its last second of writes.
// Each evaluator either rides the outage out (Redis lost nothing it wrote) or halts with SYNC_E405
// (it lost some), in which case the test restarts it as a supervisor would. Either way the bank
// invariant must hold at EVERY checkpoint, checkpoints must resume and the end state must equal
// Postgres. A whole stack of the test's own: the run's Redis is shared.
import { startEvaluatorProcess, type OwnStack } from '@syncline/test-kit';
import { expectConsistent, onOwnStack, moreCheckpoints, underTransfers, type BankDeployment } from './faults';

jest.setTimeout(420_000);

const LABEL = 'fault_redis_kill';

describe('the Redis process killed with SIGKILL during transfers', () => {
  const stack = onOwnStack(LABEL, 'the redis-restart fault test');
  const bank = (): BankDeployment => stack.bank();
  const own = (): OwnStack => stack.own();

  /** Restarts every evaluator that halted because Redis lost writes; returns how many. */
  async function superviseFor(ms: number): Promise<number> {
    let restarted = 0;
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const evaluators = bank().evaluators;
      for (let i = 0; i < evaluators.length; i++) {
        const e = evaluators[i]!;
        if (e.child.exitCode === null) continue;
        expect(e.output()).toMatch(/SYNC_E405/);
        evaluators[i] = startEvaluatorProcess(
          { ...bank().env, SYNCLINE_INSTANCE_ID: `${LABEL}-s${restarted}` },
          ['--rules', bank().env.SYNCLINE_RULES_FILE!],
        );
        restarted++;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return restarted;
  }

  stack.it('rides it out or halts and resumes: the invariant holds at every checkpoint', async () => {
    let restarted = 0;
    const final = await underTransfers(
      bank(),
      async () => {
        await moreCheckpoints(bank(), 10, 'checkpoints during the transfers');
        process.kill(-(await own().pidOf('redis'))!, 'SIGKILL');
        await new Promise((r) => setTimeout(r, 10_000));
        await own().up();
        // Supervise (restart what halted) until 10 more checkpoints are published.
        const target = bank().checker.seen.length + 10;
        const deadline = Date.now() + 150_000;
        while (bank().checker.seen.length < target) {
          if (Date.now() > deadline)
            throw new Error('fewer than 10 checkpoints within 150 s of Redis coming back');
          restarted += await superviseFor(1000);
        }
      },
      { workers: 4 },
    );
    process.stderr.write(
      `redis-restart: ${restarted} evaluator(s) halted on lost writes and were restarted; ` +
        `${bank().checker.verified} checkpoints verified\n`,
    );
    // Checkpoints lost with Redis' last second are published again: not increasing here.
    await expectConsistent(bank(), final, { increasing: false });
  });
});
