// Fault: Kafka Connect killed with SIGKILL during bank transfers, twice, and started again. The
// connector resumes from its last flushed offset and Debezium re-sends the transactions after it
// (new BEGIN/END records, change records at new offsets): the test sees them in the transaction
// topic. The bank invariant must hold at EVERY published checkpoint, checkpoints must keep coming,
// and the end state must equal Postgres. The worker is the test's own (the stack's is shared).
import {
  startTestConnectWorker,
  storedBatchesOf,
  syncTo,
  waitFor,
  type TestConnectWorker,
} from '@syncline/test-kit';
import { insertAccounts, transfers } from '../bank';
import {
  endsPerTransaction,
  PARTITIONS,
  redelivered,
  startBankDeployment,
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
    const { capture, state, checker } = bank;
    await insertAccounts(capture);
    await syncTo(capture, state, 120_000);
    const stop = new AbortController();
    const run = transfers(capture, {
      workers: 6,
      each: 100_000,
      partitions: PARTITIONS,
      pauseMs: 20,
      signal: stop.signal,
    });
    try {
      for (let kill = 0; kill < 2; kill++) {
        const before = checker.seen.length;
        await waitFor(
          'checkpoints during the transfers',
          async () => checker.seen.length >= before + 10,
          90_000,
        );
        await worker.kill();
        await worker.restart();
        const restarted = checker.seen.length;
        await waitFor(
          'checkpoints after Connect restarted',
          async () => checker.seen.length >= restarted + 10,
          120_000,
        );
      }
    } catch (error) {
      process.stderr.write(bank.output());
      throw error;
    } finally {
      stop.abort();
      await run;
    }
    const final = await syncTo(capture, state, 180_000).catch((error: unknown) => {
      process.stderr.write(bank.output());
      throw error;
    });
    await checker.settled();
    const ends = await endsPerTransaction(capture.transactionTopic);
    const resent = redelivered(ends);
    process.stderr.write(
      `connect-kill: ${ends.size} transactions, ${resent} re-delivered with a second END; ` +
        `${checker.verified} checkpoints verified\n`,
    );
    // The fault really happened: without re-delivery this test would prove nothing.
    expect(resent).toBeGreaterThan(0);
    expect(checker.violations).toEqual([]);
    expect(checker.notIncreasing()).toEqual([]);
    const { bucket, postgres } = await checker.bucketAndPostgres(capture, final);
    expect(bucket).toEqual(postgres);
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
