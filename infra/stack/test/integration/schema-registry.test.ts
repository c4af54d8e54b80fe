// The schema registry (Apicurio's Confluent-compatible API) with the official Confluent client:
// register a schema, serialize with it and read the message back through Kafka.
import { Partitioners } from 'kafkajs';
import {
  AvroDeserializer,
  AvroSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { createTopic, getTestStack, readUntil, testKafka, uniqueName } from '@syncline/test-kit';

const bucketOpSchema = {
  type: 'record',
  name: 'SmokeOp',
  namespace: 'dev.syncline.test',
  fields: [
    { name: 'op', type: { type: 'enum', name: 'OpKind', symbols: ['PUT', 'REMOVE'] } },
    // Decimal string: the serde's Avro library maps `long` to a JS number, which cannot hold
    // every int64 exactly (a BigInt value fails to serialize).
    { name: 'op_id', type: 'string' },
    { name: 'checksum', type: 'long' },
    { name: 'bucket', type: 'string' },
    { name: 'data', type: ['null', 'string'], default: null },
  ],
};

describe('schema registry', () => {
  it('registers a schema and round-trips a message through Kafka with the Confluent serdes', async () => {
    const { endpoints } = getTestStack();
    const client = new SchemaRegistryClient({ baseURLs: [endpoints.schemaRegistryUrl] });
    const topic = uniqueName('registry');
    const subject = `${topic}-value`;

    const id = await client.register(subject, { schemaType: 'AVRO', schema: JSON.stringify(bucketOpSchema) });
    expect(id).toBeGreaterThan(0);
    expect(await client.getAllSubjects()).toContain(subject);

    const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const deserializer = new AvroDeserializer(client, SerdeType.VALUE, {});
    const op = {
      op: 'PUT',
      op_id: '9007199254740993',
      checksum: 4294967295,
      bucket: 'by_user["u1"]',
      data: '{"id":"1"}',
    };
    const bytes = await serializer.serialize(topic, op);
    // Confluent wire format: magic byte 0, then the 4-byte schema id the registry returned.
    expect(bytes[0]).toBe(0);
    expect(bytes.readInt32BE(1)).toBe(id);

    const kafka = testKafka(endpoints.kafkaBrokers);
    await createTopic(kafka, topic, 1);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'by_user["u1"]', value: bytes }] });
    await producer.disconnect();

    const [record] = await readUntil(kafka, [topic], (rs) => rs.length >= 1);
    const raw = record!.valueBytes;
    expect(raw).not.toBeNull();
    const back = (await deserializer.deserialize(topic, raw!)) as typeof op;
    expect(back.bucket).toBe(op.bucket);
    expect(back.op).toBe('PUT');
    expect(back.data).toBe(op.data);
    expect(back.op_id).toBe('9007199254740993');
    expect(back.checksum).toBe(4294967295);
  });
});
