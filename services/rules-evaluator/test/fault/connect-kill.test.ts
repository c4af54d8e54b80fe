// Fault: Kafka Connect killed with SIGKILL during bank transfers, twice, and started again. The
// connector resumes from its last flushed offset and Debezium re-sends the transactions after it
// (new BEGIN/END records, change records at new offsets): the test sees them in the transaction
// topic. The bank invariant must hold at EVERY published checkpoint, checkpoints must keep coming,
// and the end state must equal Postgres. The worker is the test's own (the stack's is shared).
import { startTestConnectWorker, storedBatchesOf, type TestConnectWorker } from '@syncline/test-kit';
import {
  endsPerTransaction,
  expectConsistent,
  moreCheckpoints,
  PARTITIONS,
  redelivered,
  startBankDeployment,
  underTransfers,
  type BankDeployment,
} from './faults';

jest.setTimeout(420_000);

describe('Kafka Connect killed with SIGKILL during transfers', () => {
  let worker: TestConnectWorker;
  let bank: BankDeployment;

  beforeAll(async () => {
    // Connect's default flush interval is 60 s; 5 s keeps the re-sent window (what was delivered
    // after the last flush) large enough to see at our rate, and the test short.
    worker = await startTestConnectWorker('fault_connect', { 'offset.flush.interval.ms': 5000 });
    bank = await startBankDeployment('fault_connect', { connectUrl: worker.url, evaluators: 2 });
  });

  afterAll(async () => {
    await bank?.close();
    await worker?.stop();
  });

  it('holds the bank invariant at every checkpoint and ends equal to Postgres', async () => {
    const final = await underTransfers(bank, async () => {
      for (let kill = 0; kill < 2; kill++) {
        await moreCheckpoints(bank, 10, 'checkpoints during the transfers');
        await worker.kill();
        await worker.restart();
        await moreCheckpoints(bank, 10, 'checkpoints after Connect restarted', 120_000);
      }
    });
    const { capture, checker } = bank;
    const ends = await endsPerTransaction(capture.transactionTopic);
    const resent = redelivered(ends);
    process.stderr.write(
      `connect-kill: ${ends.size} transactions, ${resent} re-delivered with a second END; ` +
        `${checker.verified} checkpoints verified\n`,
    );
    // The fault really happened: without re-delivery this test would prove nothing.
    expect(resent).toBeGreaterThan(0);
    await expectConsistent(bank, final);
  });

  it("stores Connect's records with an idempotent producer (a retried produce is not stored twice)", async () => {
    const { capture } = bank;
    const topics: Array<[string, number]> = [[capture.transactionTopic, 0]];
    for (let p = 0; p < PARTITIONS; p++) topics.push([capture.tableTopic('accounts'), p]);
    for (const [topic, partition] of topics) {
      const batches = await storedBatchesOf(topic, partition);
      if (batches === null) {
        process.stderr.write(
          `SKIPPED: the producer-id check of ${topic} needs the broker's log files (local stack only); ` +
            'the connector template test still checks the setting\n',
        );
        return;
      }
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.filter((b) => b.producerId < 0n)).toEqual([]);
    }
  });
});
