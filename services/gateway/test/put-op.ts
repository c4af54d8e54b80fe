// A PUT op of table `t` for the gateway's unit tests: row `id` in `bucket`, with data and the
// checksum the evaluator would give it.
import { putChecksum, type BucketOp } from '@syncline/protocol';

export function putOp(bucket: string, opId: bigint, id: string, data = `{"id":"${id}"}`): BucketOp {
  return {
    bucket,
    op: 'PUT',
    opId,
    objectType: 't',
    objectId: id,
    subkey: id,
    data,
    checksum: putChecksum('t', id, data),
  };
}
