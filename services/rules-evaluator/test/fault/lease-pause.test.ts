// Fault: the coordinator paused (SIGSTOP) past its lease while another instance leads, then the
// other one paused while the first resumes and finds the lease free. The first must treat the free
// lease as a new term and read the checkpoint again: the other published checkpoints and forgot
// the counts of what they covered, so carrying its old checkpoint over would wait for those counts
// for ever. The bank invariant must hold at EVERY checkpoint and checkpoints must keep coming.
import { waitFor } from '@syncline/test-kit';
import {
  expectConsistent,
  moreCheckpoints,
  startBankDeployment,
  underTransfers,
  type BankDeployment,
} from './faults';

jest.setTimeout(300_000);

const LABEL = 'fault_lease';

describe('the coordinator paused across another holder’s lease', () => {
  let bank: BankDeployment;

  beforeAll(async () => {
    // Info logs (printed only on a failure): lease, rebalance and checkpoint steps are at info.
    bank = await startBankDeployment(LABEL, { evaluators: 2, logLevel: 'info' });
  });

  afterAll(async () => {
    for (const e of bank?.evaluators ?? []) e.child.kill('SIGCONT');
    await bank?.close();
  });

  it('reads the checkpoint again on a new term, and checkpoints keep coming', async () => {
    const { state } = bank;
    const byId = (id: string) => bank.evaluators[Number(id.replace(`${LABEL}-`, ''))]!;
    const final = await underTransfers(
      bank,
      async () => {
        await moreCheckpoints(bank, 10, 'checkpoints during the transfers');
        const first = (await state.coordination.leaseHolder())!;
        byId(first).child.kill('SIGSTOP');
        // The lease (2 s) passes to the other instance, which publishes and forgets counts.
        await waitFor('the other instance leading', async () => {
          const now = await state.coordination.leaseHolder();
          return now !== null && now !== first;
        });
        await moreCheckpoints(bank, 5, 'checkpoints from the second coordinator');
        const second = (await state.coordination.leaseHolder())!;
        byId(second).child.kill('SIGSTOP');
        // Past the second's lease (2 s): the first, which never noticed it lost the lease, finds it free.
        await new Promise((r) => setTimeout(r, 4000));
        byId(first).child.kill('SIGCONT');
        // The first resumes, finds the lease free once the second's expires, and leads again. Its
        // partitions come back after a rebalance, which can wait for the paused member up to
        // kafkajs' rebalance timeout (60 s): hence the long wait.
        await moreCheckpoints(bank, 10, 'checkpoints from the resumed first coordinator', 150_000);
        expect(await state.coordination.leaseHolder()).toBe(first);
        byId(second).child.kill('SIGCONT');
        await moreCheckpoints(bank, 5, 'checkpoints with both running');
      },
      { workers: 4 },
    );
    await expectConsistent(bank, final);
  });
});
