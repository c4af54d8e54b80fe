// The bucket op as it travels on a bucket topic, and its record key. The key names one row of one
// bucket, so Kafka compaction keeps exactly the latest op of every (bucket, row) pair.
import type { BucketOp } from '@syncline/protocol';
import { BucketOpKeyError, BucketOpRecordError } from './errors';

/** A bucket op as the topic carries it: the op plus its source position (decimal int64 op id). */
export interface BucketOpRecord extends BucketOp {
  /** Commit LSN of the source change; null for snapshot rows and truncate-driven removals. */
  readonly sourceLsn: bigint | null;
}

/** What identifies one row inside one bucket: the compaction key without the bucket. */
export interface BucketRowId {
  readonly objectType: string;
  readonly objectId: string;
  readonly subkey: string;
}

export interface BucketOpKey extends BucketRowId {
  readonly bucket: string;
}

const INT64_MAX = (1n << 63n) - 1n;
const U32_MAX = 0xffffffff;

/**
 * The record key: the JSON array `[bucket, objectType, objectId, subkey]` as UTF-8 text. JSON
 * rather than a `|`-joined string because bucket names and row ids may themselves contain `|`,
 * and two different rows must never share a key (compaction would drop one of them).
 */
export function bucketOpKey(key: BucketOpKey): string {
  return JSON.stringify([key.bucket, key.objectType, key.objectId, key.subkey]);
}

/** Parses a record key written by {@link bucketOpKey}. */
export function parseBucketOpKey(text: string): BucketOpKey {
  let parts: unknown;
  try {
    parts = JSON.parse(text);
  } catch {
    throw new BucketOpKeyError(text, 'not JSON');
  }
  if (!Array.isArray(parts) || parts.length !== 4 || !parts.every((p) => typeof p === 'string')) {
    throw new BucketOpKeyError(
      text,
      'expected a JSON array of 4 strings [bucket, objectType, objectId, subkey]',
    );
  }
  const [bucket, objectType, objectId, subkey] = parts as [string, string, string, string];
  return { bucket, objectType, objectId, subkey };
}

/**
 * Checks the invariants the topic relies on before anything is written: a writer bug surfaces as
 * an error naming the op, not as a record every consumer has to reject.
 */
export function validateBucketOp(op: BucketOpRecord): void {
  const fail = (why: string): never => {
    throw new BucketOpRecordError(op, why);
  };
  if (op.op !== 'PUT' && op.op !== 'REMOVE') fail(`op must be PUT or REMOVE, got ${String(op.op)}`);
  if (typeof op.opId !== 'bigint' || op.opId < 0n || op.opId > INT64_MAX)
    fail('opId must be a bigint in [0, 2^63-1]');
  for (const f of ['bucket', 'objectType', 'objectId', 'subkey'] as const) {
    if (typeof op[f] !== 'string') fail(`${f} must be a string`);
  }
  if (op.bucket === '') fail('bucket must not be empty');
  if (op.op === 'PUT' && typeof op.data !== 'string') fail('a PUT carries the row as JSON text in data');
  if (op.op === 'REMOVE' && op.data !== null) fail('a REMOVE carries data null');
  if (!Number.isInteger(op.checksum) || op.checksum < 0 || op.checksum > U32_MAX)
    fail('checksum must be a u32');
  if (op.sourceLsn !== null && (typeof op.sourceLsn !== 'bigint' || op.sourceLsn < 0n)) {
    fail('sourceLsn must be null or a non-negative bigint');
  }
}
