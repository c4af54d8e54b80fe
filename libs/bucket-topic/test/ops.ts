// Builders of bucket ops for the tests: a valid PUT or REMOVE with only the interesting fields given.
import type { BucketOpRecord } from '../src';

export function put(
  opId: bigint,
  bucket: string,
  objectId: string,
  data: object,
  objectType = 'todos',
): BucketOpRecord {
  return {
    op: 'PUT',
    opId,
    bucket,
    objectType,
    objectId,
    subkey: `${objectType}/${objectId}`,
    data: JSON.stringify(data),
    checksum: Number(opId % 4294967296n),
    sourceLsn: 1000n + opId,
  };
}

export function remove(opId: bigint, bucket: string, objectId: string, objectType = 'todos'): BucketOpRecord {
  return {
    op: 'REMOVE',
    opId,
    bucket,
    objectType,
    objectId,
    subkey: `${objectType}/${objectId}`,
    data: null,
    checksum: Number((opId * 7n) % 4294967296n),
    sourceLsn: null,
  };
}
