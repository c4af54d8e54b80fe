// kafkajs 2.2.4 against Kafka 4.3 (which dropped old protocol versions, KIP-896): the features
// the evaluator needs, exercised for real: consumer-group partition assignment and transactions.
import { Partitioners, type Kafka } from 'kafkajs';
import { createTopic, getTestStack, readUntil, testKafka, uniqueName, waitFor } from '@syncline/test-kit';

describe('kafkajs against Kafka 4.3', () => {
  let kafka: Kafka;
  beforeAll(() => {
    kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
  });

  it('splits a 4-partition topic between the two members of a consumer group', async () => {
    const topic = uniqueName('group');
    await createTopic(kafka, topic, 4);
    const groupId = `${topic}-group`;
    const assigned = new Map<string, number[]>();
    const members = ['a', 'b'].map((name) => {
      const consumer = kafka.consumer({
        groupId,
        sessionTimeout: 10000,
        heartbeatInterval: 500,
        rebalanceTimeout: 10000,
      });
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        assigned.set(name, (e.payload.memberAssignment[topic] ?? []).slice().sort());
      });
      return consumer;
    });
    try {
      for (const c of members) {
        await c.connect();
        await c.subscribe({ topics: [topic], fromBeginning: true });
        await c.run({ eachMessage: async () => undefined });
      }
      // After the second join the group rebalances; wait until both hold a disjoint share.
      await waitFor('both members to be assigned partitions', async () => {
        const a = assigned.get('a') ?? [];
        const b = assigned.get('b') ?? [];
        return a.length > 0 && b.length > 0 && a.length + b.length === 4;
      });
      const all = [...(assigned.get('a') ?? []), ...(assigned.get('b') ?? [])].sort();
      expect(all).toEqual([0, 1, 2, 3]);
    } finally {
      for (const c of members) await c.disconnect();
    }
  });

  it('commits and aborts transactions; a read_committed consumer sees only the committed batch', async () => {
    const topic = uniqueName('txn');
    await createTopic(kafka, topic, 2);
    const producer = kafka.producer({
      transactionalId: `${topic}-producer`,
      maxInFlightRequests: 1,
      idempotent: true,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.send({
        topic,
        messages: [
          { key: 'k1', value: 'aborted-1' },
          { key: 'k2', value: 'aborted-2' },
        ],
      });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({
        topic,
        messages: [
          { key: 'k1', value: 'committed-1' },
          { key: 'k2', value: 'committed-2' },
        ],
      });
      await committed.commit();
      // A marker after both, so the reader knows it has seen everything before it.
      await producer.send({
        topic,
        messages: [
          { key: 'k1', value: 'end' },
          { key: 'k2', value: 'end' },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    // kafkajs consumers read committed by default (readUncommitted: false).
    const records = await readUntil(kafka, [topic], (rs) => rs.filter((r) => r.value === 'end').length === 2);
    const values = records
      .map((r) => r.value)
      .filter((v) => v !== 'end')
      .sort();
    expect(values).toEqual(['committed-1', 'committed-2']);
  });
});
