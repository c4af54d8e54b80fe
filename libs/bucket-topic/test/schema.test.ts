import {
  AvroDeserializer,
  AvroSerializer,
  SerdeType,
  SubjectNameStrategyType,
} from '@confluentinc/schemaregistry';
import { MockClient } from '@confluentinc/schemaregistry/dist/mock-schemaregistry-client';
import { BUCKET_OP_SCHEMA, BucketOpEncoder, bucketValueSubject, fromAvro, toAvro } from '../src';
import { put, remove } from './ops';

describe('value schema', () => {
  it('uses the subject <topic>-value', () => {
    expect(bucketValueSubject('syncline.buckets.abc')).toBe('syncline.buckets.abc-value');
  });

  it('round-trips PUT and REMOVE through the Confluent Avro serde with exact 64-bit values', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const topic = 'syncline.buckets.v1';
    const id = await client.register(bucketValueSubject(topic), {
      schemaType: 'AVRO',
      schema: JSON.stringify(BUCKET_OP_SCHEMA),
    });
    const conf = { subjectNameStrategyType: SubjectNameStrategyType.TOPIC };
    const ser = new AvroSerializer(client, SerdeType.VALUE, {
      ...conf,
      useSchemaId: id,
      autoRegisterSchemas: false,
    });
    const de = new AvroDeserializer(client, SerdeType.VALUE, conf);
    const ops = [
      {
        ...put((1n << 63n) - 1n, 'by_user["u1"]', 'x', { n: 1 }),
        sourceLsn: (1n << 63n) - 2n,
        checksum: 4294967295,
      },
      remove(9007199254740993n, 'by_user["u1"]', 'x'),
    ];
    for (const op of ops) {
      const bytes = await ser.serialize(topic, toAvro(op));
      expect(bytes[0]).toBe(0);
      expect(bytes.readInt32BE(1)).toBe(id);
      expect(fromAvro(await de.deserialize(topic, bytes))).toEqual(op);
      // Same op, same bytes: a re-write after a crash is a byte-identical duplicate.
      expect((await ser.serialize(topic, toAvro(op))).equals(bytes)).toBe(true);
    }
  });

  it.each([
    ['a non-record', 'x', 'value is not a record'],
    ['an unknown op', { ...toAvro(put(1n, 'b', '1', {})), op: 'MOVE' }, 'unknown op "MOVE"'],
    [
      'a non-decimal op id',
      { ...toAvro(put(1n, 'b', '1', {})), op_id: '1e3' },
      'op_id "1e3" is not a decimal integer',
    ],
    ['a missing bucket', { ...toAvro(put(1n, 'b', '1', {})), bucket: undefined }, 'bucket is not a string'],
  ])('reports %s instead of decoding it', (_what, value, reason) => {
    expect(fromAvro(value)).toBe(reason);
  });
});

describe('BucketOpEncoder', () => {
  it('produces exactly the bytes of the serde serialize() for every op shape', async () => {
    const client = new MockClient({ baseURLs: ['mock://'] });
    const encoder = await BucketOpEncoder.register(client, 'syncline.buckets.enc');
    expect(await client.getAllSubjects()).toEqual(['syncline.buckets.enc-value']);
    const ops = [
      put(1n, 'by_user["ü|1"]', 'x', { s: 'é' }),
      { ...put((1n << 63n) - 1n, 'b', 'y', {}), sourceLsn: null, checksum: 0 },
      remove(123456789012345678n, 'b', 'y'),
    ];
    for (const op of ops) {
      const fast = encoder.encode(op);
      expect(fast.equals(await encoder.serialize(op))).toBe(true);
      expect(fast.readInt32BE(1)).toBe(encoder.schemaId);
    }
  });
});
