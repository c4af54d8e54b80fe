// ensureTopics on the real broker: a topic is usable (produce + read back on every partition)
// the moment it resolves, concurrent creators of the same topic both succeed, and an existing
// topic is left alone.
import { Partitioners } from 'kafkajs';
import { getTestStack, readUntil, testKafka, uniqueName } from '@syncline/test-kit';
import { ensureTopics } from '../../src';

describe('ensureTopics', () => {
  const kafka = testKafka(getTestStack().endpoints.kafkaBrokers);
  const prefix = uniqueName('topics');

  async function withAdmin<T>(f: (admin: ReturnType<typeof kafka.admin>) => Promise<T>): Promise<T> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await f(admin);
    } finally {
      await admin.disconnect();
    }
  }

  it('returns with every partition led, so the first send to each partition succeeds', async () => {
    const topics = [`${prefix}.a`, `${prefix}.b`];
    await withAdmin((admin) =>
      ensureTopics(admin, [
        { topic: topics[0]!, numPartitions: 6 },
        {
          topic: topics[1]!,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ]),
    );
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 0 },
    });
    await producer.connect();
    try {
      for (let p = 0; p < 6; p++)
        await producer.send({ topic: topics[0]!, messages: [{ key: 'k', value: `p${p}`, partition: p }] });
      await producer.send({ topic: topics[1]!, messages: [{ key: 'k', value: 'compacted' }] });
    } finally {
      await producer.disconnect();
    }
    const read = await readUntil(kafka, topics, (rs) => rs.length >= 7);
    expect(
      read
        .filter((r) => r.topic === topics[0])
        .map((r) => r.partition)
        .sort(),
    ).toEqual([0, 1, 2, 3, 4, 5]);
    const configs = await withAdmin((admin) =>
      admin.describeConfigs({ resources: [{ type: 2, name: topics[1]! }], includeSynonyms: false }),
    );
    const policy = configs.resources[0]!.configEntries.find((c) => c.configName === 'cleanup.policy');
    expect(policy?.configValue).toBe('compact');
  });

  it('lets concurrent creators of one topic both succeed and leaves an existing topic as it is', async () => {
    const topic = `${prefix}.shared`;
    await Promise.all([
      withAdmin((admin) => ensureTopics(admin, [{ topic, numPartitions: 3 }])),
      withAdmin((admin) => ensureTopics(admin, [{ topic, numPartitions: 3 }])),
    ]);
    await withAdmin((admin) => ensureTopics(admin, [{ topic, numPartitions: 5 }]));
    const meta = await withAdmin((admin) => admin.fetchTopicMetadata({ topics: [topic] }));
    expect(meta.topics[0]!.partitions).toHaveLength(3);
  });
});
