// A batch that outlasts the consumer's session gets its member removed from the group; the
// commit at its end then fails. Against the real broker: committed the plain way, kafkajs stops
// the consumer for good (the evaluator's stall in issue 14's steady benchmark); through
// commitProcessed, the consumer joins again and reads on.
import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import pino from 'pino';
import { createTopic, deleteKafkaStateNamed, getTestStack, testKafka, waitFor } from '@syncline/test-kit';
import { haltFor, type ConsumerCrash } from '../../src/consumer-crash';
import { commitProcessed } from '../../src/group-commit';

jest.setTimeout(90_000);

const SESSION_MS = 6000; // the broker's group.min.session.timeout.ms

interface Run {
  readonly consumer: Consumer;
  readonly crashes: ConsumerCrash[];
  readonly seen: Set<string>;
}

async function slowFirstBatch(
  kafka: Kafka,
  topic: string,
  commit: (consumer: Consumer, payload: EachBatchPayload, offset: string) => Promise<void>,
): Promise<Run> {
  const consumer = kafka.consumer({
    groupId: `${topic}.g`,
    sessionTimeout: SESSION_MS,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 100,
  });
  const run: Run = { consumer, crashes: [], seen: new Set() };
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    run.crashes.push({ error: payload.error, restart: payload.restart });
  });
  let slow = true;
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (batch.messages.length === 0) return;
      if (slow) {
        // No heartbeat for longer than the session: the coordinator removes this member.
        slow = false;
        await new Promise((resolve) => setTimeout(resolve, SESSION_MS + 4000));
      }
      for (const m of batch.messages) run.seen.add(m.value!.toString());
      const last = batch.messages[batch.messages.length - 1]!;
      payload.resolveOffset(last.offset);
      await commit(consumer, payload, String(BigInt(last.offset) + 1n));
    },
  });
  return run;
}

describe('committing a batch after the member left its group', () => {
  let kafka: Kafka;
  const runs: Consumer[] = [];

  beforeAll(() => {
    kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
  });

  // One name for the file's topics and groups, deleted at the end.
  const run = `t_group_commit_${randomBytes(4).toString('hex')}`;
  let topics = 0;

  afterAll(async () => {
    await Promise.all(runs.map((c) => c.disconnect().catch(() => undefined)));
    await deleteKafkaStateNamed(getTestStack().endpoints.kafkaBrokers, run);
  });

  async function topicWith(values: string[]): Promise<string> {
    const topic = `${run}_${++topics}`;
    await createTopic(kafka, topic, 1);
    await produce(topic, values);
    return topic;
  }

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
  }

  it('stops the consumer for good when committed the plain way (what halts the evaluator)', async () => {
    const topic = await topicWith(['a1', 'a2']);
    const run = await slowFirstBatch(kafka, topic, (consumer, { batch }, offset) =>
      consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }]),
    );
    runs.push(run.consumer);
    await waitFor('a CRASH event', async () => run.crashes.length > 0, 40_000);
    const halt = haltFor('change consumer', run.crashes[0]!);
    expect(halt?.code).toBe('SYNC_E411');
    expect(halt?.message).toMatch(/not aware of this member|rebalanc|generation/i);
  });

  it('joins the group again and reads on when committed through commitProcessed', async () => {
    const topic = await topicWith(['b1', 'b2']);
    const thrown: string[] = [];
    const run = await slowFirstBatch(kafka, topic, async (consumer, { batch }, offset) => {
      const at = { topic: batch.topic, partition: batch.partition, offset };
      await commitProcessed(consumer, [at], pino({ level: 'silent' })).catch((error: unknown) => {
        thrown.push(String((error as { type?: string }).type));
        throw error;
      });
    });
    runs.push(run.consumer);
    await waitFor('the refused commit', async () => thrown.length > 0, 40_000);
    expect(thrown[0]).toMatch(/^(UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|REBALANCE_IN_PROGRESS)$/);
    await produce(topic, ['b3']);
    await waitFor('a record produced after the rejoin', async () => run.seen.has('b3'), 40_000);
    expect(run.crashes.filter((c) => !c.restart)).toEqual([]);
  });
});
