// A change record the decoder rejects but that Debezium counted in its transaction's END (here an
// unknown op code with a readable transaction block) goes to the dead-letter topic AND is counted
// as processed, so the checkpoint still passes that transaction. The records are synthetic
// (written straight to Kafka) because only then can the END count a record Debezium never writes.
import { keyPrefixFor } from '@syncline/bucket-store';
import { topicNamesFor } from '@syncline/kafka-topics';
import { parseOpId } from '@syncline/protocol';
import {
  createTopic,
  DebeziumRecordGenerator,
  deleteKafkaStateNamed,
  getTestStack,
  materialize,
  openDeploymentState,
  readUntil,
  recordCheckpoints,
  testKafka,
  uniqueName,
  waitFor,
  writeRulesFile,
} from '@syncline/test-kit';
import { startInProcess, type InProcessEvaluator } from './harness';

describe('a rejected record of a transaction', () => {
  let running: InProcessEvaluator | undefined;
  const prefix = uniqueName('t_rejected');

  afterAll(async () => {
    await running?.stop();
    // The test's topics (data, transaction, dead letters) and the evaluator's groups.
    await deleteKafkaStateNamed(getTestStack().endpoints.kafkaBrokers, prefix);
  });

  it('is dead-lettered and counted, so the checkpoint passes its transaction', async () => {
    const { endpoints } = getTestStack();
    const kafka = testKafka(endpoints.kafkaBrokers);
    const g = new DebeziumRecordGenerator(prefix);
    await createTopic(kafka, g.dataTopic, 2);
    await createTopic(kafka, g.txTopic, 1);
    const t = g.transaction([1, 2], 'c', Date.now());
    // The second event keeps its envelope and transaction block but carries an op code no
    // decoder knows: END still counts it.
    t.data[1] = { ...t.data[1]!, value: String(t.data[1]!.value).replace('"op":"c"', '"op":"x"') };
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: g.dataTopic, messages: t.data });
    await producer.send({ topic: g.txTopic, messages: t.tx });
    await producer.disconnect();

    const env = {
      SYNCLINE_RULES_FILE: writeRulesFile(
        'bucket_definitions:\n  accounts:\n    data:\n      - SELECT id, balance FROM accounts\n',
      ),
      KAFKA_BROKERS: endpoints.kafkaBrokers.join(','),
      REDIS_URL: endpoints.redisUrl,
      SYNCLINE_TOPIC_PREFIX: prefix,
      SYNCLINE_DEPLOYMENT: prefix,
      SYNCLINE_DEFAULT_SCHEMA: 's',
      SYNCLINE_BUCKET_TOPIC: 'off',
      SYNCLINE_HTTP_PORT: '0',
      SYNCLINE_TOPIC_REFRESH_MS: '500',
      SYNCLINE_LOG_LEVEL: 'silent',
    };
    const state = openDeploymentState(keyPrefixFor(prefix, '1'));
    const { published, close } = await recordCheckpoints(state);
    try {
      running = await startInProcess(env);
      await waitFor('a checkpoint past the transaction', async () =>
        published.some((cp) => cp.endOffset === '1'),
      );
      const cp = published.find((c) => c.endOffset === '1');
      expect(cp).toBeDefined();
      const { rows } = await materialize(state, 'accounts[]', parseOpId(cp!.lastOpId));
      expect([...rows.keys()]).toEqual(['accounts/1']);
      const dead = await readUntil(
        kafka,
        [topicNamesFor(prefix).deadLetter],
        (records) => records.length >= 1,
        30_000,
      );
      expect(dead).toHaveLength(1);
      expect(dead[0]!.value).toContain('"op":"x"');
    } finally {
      close();
      await running?.stop();
      running = undefined;
      await state.close();
    }
  });
});
