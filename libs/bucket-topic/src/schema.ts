// The registered Avro value schema of bucket topics and the mapping between it and
// BucketOpRecord. 64-bit values travel as decimal strings: the serde's Avro library (avsc) maps
// `long` to a JS number and cannot serialize a BigInt, and a double loses ids above 2^53.
import type { BucketOpRecord } from './record';

/** Subject of the value schema: Confluent's TopicNameStrategy. */
export function bucketValueSubject(topic: string): string {
  return `${topic}-value`;
}

export const BUCKET_OP_SCHEMA = {
  type: 'record',
  name: 'BucketOp',
  namespace: 'dev.syncline.bucket',
  doc: 'One op of one bucket. Key: JSON array [bucket, object_type, object_id, subkey]. See docs/bucket-topics.md.',
  fields: [
    { name: 'op', type: { type: 'enum', name: 'BucketOpKind', symbols: ['PUT', 'REMOVE'] } },
    { name: 'op_id', type: 'string', doc: 'int64 as a decimal string; strictly increasing per bucket' },
    { name: 'bucket', type: 'string' },
    { name: 'object_type', type: 'string', doc: 'output table' },
    { name: 'object_id', type: 'string', doc: 'row id as text' },
    { name: 'subkey', type: 'string', doc: 'PowerSync subkey of the row within the bucket' },
    { name: 'data', type: ['null', 'string'], default: null, doc: 'PUT: row as JSON text; REMOVE: null' },
    { name: 'checksum', type: 'long', doc: 'u32 op checksum' },
    {
      name: 'source_lsn',
      type: ['null', 'string'],
      default: null,
      doc: 'Postgres LSN of the source change as a decimal int64 string',
    },
  ],
} as const;

/** The value as the Avro serde sees it (field names as in the schema). */
export interface BucketOpAvro {
  op: 'PUT' | 'REMOVE';
  op_id: string;
  bucket: string;
  object_type: string;
  object_id: string;
  subkey: string;
  data: string | null;
  checksum: number;
  source_lsn: string | null;
}

export function toAvro(op: BucketOpRecord): BucketOpAvro {
  return {
    op: op.op,
    op_id: op.opId.toString(),
    bucket: op.bucket,
    object_type: op.objectType,
    object_id: op.objectId,
    subkey: op.subkey,
    data: op.data,
    checksum: op.checksum,
    source_lsn: op.sourceLsn === null ? null : op.sourceLsn.toString(),
  };
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses what the deserializer returned. Returns the reason instead of throwing so the caller can
 * attach the record's topic/partition/offset.
 */
export function fromAvro(value: unknown): BucketOpRecord | string {
  if (typeof value !== 'object' || value === null) return 'value is not a record';
  const v = value as Record<string, unknown>;
  if (v.op !== 'PUT' && v.op !== 'REMOVE') return `unknown op ${JSON.stringify(v.op)}`;
  for (const f of ['op_id', 'bucket', 'object_type', 'object_id', 'subkey'] as const) {
    if (typeof v[f] !== 'string') return `${f} is not a string`;
  }
  if (!DECIMAL.test(v.op_id as string)) return `op_id ${JSON.stringify(v.op_id)} is not a decimal integer`;
  if (v.data !== null && typeof v.data !== 'string') return 'data is neither null nor a string';
  if (typeof v.checksum !== 'number') return 'checksum is not a number';
  if (v.source_lsn !== null && !(typeof v.source_lsn === 'string' && DECIMAL.test(v.source_lsn))) {
    return 'source_lsn is neither null nor a decimal integer';
  }
  return {
    op: v.op,
    opId: BigInt(v.op_id as string),
    bucket: v.bucket as string,
    objectType: v.object_type as string,
    objectId: v.object_id as string,
    subkey: v.subkey as string,
    data: v.data,
    checksum: v.checksum,
    sourceLsn: v.source_lsn === null ? null : BigInt(v.source_lsn),
  };
}
