// Encodes bucket op values in the Confluent wire format (magic 0, 4-byte schema id, Avro body)
// with the registered schema. The serde's serialize() costs ~45 µs per op (mutexes, cache
// lookups, validation, rule hooks); the writer needs a few µs, so it encodes with the serde's
// own Avro type and id prefix and checks once, at start, that the bytes equal serialize()'s.
// The serde's modules by path, not its index: the index also loads every KMS driver (AWS, Azure,
// GCP, Vault), 1.4 s of CPU at start-up that Avro without field encryption never uses. The version
// is pinned exactly in package.json, so these paths cannot move under us unnoticed.
import { AvroSerializer } from '@confluentinc/schemaregistry/dist/serde/avro';
import { SchemaId, SerdeType, SubjectNameStrategyType } from '@confluentinc/schemaregistry/dist/serde/serde';
import type { Client, SchemaInfo } from '@confluentinc/schemaregistry/dist/schemaregistry-client';
import { BucketTopicError } from './errors';
import type { BucketOpRecord } from './record';
import { BUCKET_OP_SCHEMA, bucketValueSubject, toAvro } from './schema';

type AvroType = Awaited<ReturnType<AvroSerializer['toType']>>[0];

const PROBE: BucketOpRecord = {
  op: 'PUT',
  opId: (1n << 63n) - 1n,
  bucket: 'probe["é|"]',
  objectType: 't',
  objectId: '1',
  subkey: 't/1',
  data: '{"x":1}',
  checksum: 0xffffffff,
  sourceLsn: 42n,
};

export class BucketOpEncoder {
  private constructor(
    readonly topic: string,
    readonly schemaId: number,
    private readonly serializer: AvroSerializer,
    private readonly type: AvroType,
    private readonly prefix: Buffer,
  ) {}

  /**
   * Registers the value schema under `<topic>-value` (idempotent: the same schema keeps its id)
   * and returns an encoder pinned to that id.
   */
  static async register(registry: Client, topic: string): Promise<BucketOpEncoder> {
    const info: SchemaInfo = { schemaType: 'AVRO', schema: JSON.stringify(BUCKET_OP_SCHEMA) };
    // Registered here rather than with autoRegisterSchemas: that option registers a schema
    // inferred from each message (avsc Type.forValue), not this one.
    const schemaId = await registry.register(bucketValueSubject(topic), info, false);
    const serializer = new AvroSerializer(registry, SerdeType.VALUE, {
      useSchemaId: schemaId,
      autoRegisterSchemas: false,
      // The default ASSOCIATED strategy asks /associations, which Apicurio does not have.
      subjectNameStrategyType: SubjectNameStrategyType.TOPIC,
    });
    const [type] = await serializer.toType(info);
    const prefix = serializer.serializeSchemaId(topic, Buffer.alloc(0), new SchemaId('AVRO', schemaId));
    const encoder = new BucketOpEncoder(topic, schemaId, serializer, type, prefix);
    const viaSerde = await encoder.serialize(PROBE);
    if (!viaSerde.equals(encoder.encode(PROBE))) {
      throw new BucketTopicError(
        'the fast encoder and @confluentinc/schemaregistry serialize() disagree; the serde changed its wire format',
      );
    }
    return encoder;
  }

  /** The value bytes of `op`: identical for identical ops, so replays are byte-equal duplicates. */
  encode(op: BucketOpRecord): Buffer {
    return Buffer.concat([this.prefix, this.type.toBuffer(toAvro(op))]);
  }

  /** The serde's full serialize() path; same bytes as encode(), slower. */
  serialize(op: BucketOpRecord): Promise<Buffer> {
    return this.serializer.serialize(this.topic, toAvro(op));
  }
}
