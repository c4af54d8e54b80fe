// Fault: at-least-once delivery, made deterministic. While bank transfers run, a duplicator
// copies records of the capture's topics back into them, as Connect does after a retried produce
// or an unclean stop: every 5th END again right away, every 7th change record again in its
// partition, and every 15th transaction whole (BEGIN, its change records, END) again 2 s later,
// after newer transactions. The bank invariant must hold at EVERY checkpoint, checkpoints must
// keep coming (a duplicated END used to stall them) and the end state must equal Postgres.
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { getTestStack, syncTo, testKafka, waitFor, type CdcCapture } from '@syncline/test-kit';
import { insertAccounts, transfers } from '../bank';
import { PARTITIONS, startBankDeployment, type BankDeployment } from './faults';

jest.setTimeout(300_000);

/** Marks the duplicator's copies so that it does not copy them again. */
const COPY_HEADER = 'syncline-test-copy';

interface Copy {
  readonly topic: string;
  readonly partition: number;
  readonly message: KafkaMessage;
}

type Payload = {
  status?: string;
  id?: string;
  transaction?: { id?: string } | null;
  payload?: Payload;
} | null;

function payloadOf(message: KafkaMessage): Payload {
  const parsed = JSON.parse(message.value?.toString() ?? 'null') as Payload;
  return parsed?.payload ?? parsed;
}

/** Copies records of a capture back into its topics (see the file comment). */
class Duplicator {
  readonly written = { ends: 0, changes: 0, transactions: 0 };
  private readonly kafka = testKafka(getTestStack().endpoints.kafkaBrokers, 'duplicator');
  private readonly consumer = this.kafka.consumer({
    groupId: `duplicator-${Date.now()}`,
    maxWaitTimeInMs: 50,
  });
  private readonly producer: Producer = this.kafka.producer({ idempotent: false });
  private begins = 0;
  private changes = 0;
  private ends = 0;
  /** Transactions chosen for a whole re-send: xid -> records collected. */
  private readonly whole = new Map<string, Copy[]>();
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly capture: CdcCapture) {}

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    const joined = new Promise<void>((resolve) =>
      this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()),
    );
    await this.consumer.subscribe({
      topics: [this.capture.transactionTopic, this.capture.tableTopic('accounts')],
      fromBeginning: false,
    });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => this.seen({ topic, partition, message }),
    });
    await joined;
  }

  private async seen(copy: Copy): Promise<void> {
    if (copy.message.headers?.[COPY_HEADER] !== undefined) return; // one of ours
    const payload = payloadOf(copy.message);
    if (copy.topic === this.capture.transactionTopic) {
      const xid = payload?.id?.split(':')[0] ?? '';
      if (payload?.status === 'BEGIN') {
        if (++this.begins % 15 === 0) this.whole.set(xid, [copy]);
      } else if (payload?.status === 'END') {
        const chosen = this.whole.get(xid);
        if (chosen) {
          chosen.push(copy);
          this.whole.delete(xid);
          this.pending.push(this.resendLater(chosen));
        }
        if (++this.ends % 5 === 0) {
          await this.write(copy);
          this.written.ends++;
        }
      }
      return;
    }
    const xid = payload?.transaction?.id?.split(':')[0];
    if (xid !== undefined) this.whole.get(xid)?.push(copy);
    if (++this.changes % 7 === 0) {
      await this.write(copy);
      this.written.changes++;
    }
  }

  /** BEGIN first, then the change records, END last, as Debezium re-sends a transaction. */
  private async resendLater(records: Copy[]): Promise<void> {
    await new Promise((r) => setTimeout(r, 2000));
    const tx = this.capture.transactionTopic;
    const ordered = [
      ...records.filter((r) => r.topic === tx && payloadOf(r.message)?.status === 'BEGIN'),
      ...records.filter((r) => r.topic !== tx),
      ...records.filter((r) => r.topic === tx && payloadOf(r.message)?.status === 'END'),
    ];
    for (const r of ordered) await this.write(r);
    this.written.transactions++;
  }

  private async write({ topic, partition, message }: Copy): Promise<void> {
    await this.producer.send({
      topic,
      messages: [
        {
          partition,
          key: message.key,
          value: message.value,
          headers: { ...(message.headers as IHeaders | undefined), [COPY_HEADER]: '1' },
        },
      ],
    });
  }

  /** Stops copying: no new record is seen, then the re-sends already scheduled are written. */
  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await Promise.all(this.pending);
    await this.producer.disconnect();
  }
}

describe('duplicated and re-sent records in the CDC topics', () => {
  let bank: BankDeployment;
  let duplicator: Duplicator;

  beforeAll(async () => {
    bank = await startBankDeployment('fault_dup', { evaluators: 2 });
  });

  afterAll(async () => {
    await duplicator?.stop().catch(() => undefined);
    await bank?.close();
  });

  it('holds the bank invariant at every checkpoint, keeps checkpointing and ends equal to Postgres', async () => {
    const { capture, state, checker } = bank;
    await insertAccounts(capture);
    await syncTo(capture, state, 120_000);
    duplicator = new Duplicator(capture);
    await duplicator.start();
    await transfers(capture, { workers: 6, each: 60, partitions: PARTITIONS, pauseMs: 30 });
    await waitFor('whole transactions re-sent', async () => duplicator.written.transactions >= 5, 30_000);
    await duplicator.stop();
    const final = await syncTo(capture, state, 120_000).catch((error: unknown) => {
      process.stderr.write(bank.output());
      throw error;
    });
    await checker.settled();
    process.stderr.write(
      `duplicates: ${JSON.stringify(duplicator.written)}; ${checker.verified} checkpoints verified\n`,
    );
    expect(duplicator.written.ends).toBeGreaterThan(10);
    expect(duplicator.written.changes).toBeGreaterThan(10);
    expect(checker.violations).toEqual([]);
    expect(checker.notIncreasing()).toEqual([]);
    const { bucket, postgres } = await checker.bucketAndPostgres(capture, final);
    expect(bucket).toEqual(postgres);
  });
});
