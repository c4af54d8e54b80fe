// Partitioning by bucket: every op of a bucket lands in one partition, so a bucket's ops keep
// their write order (op_id order) and a consumer of one bucket reads one partition. The hash is
// Kafka's murmur2 over the bucket's UTF-8 bytes (as Java's default partitioner hashes a key),
// so any client can compute the partition of a bucket.
import type { ICustomPartitioner } from 'kafkajs';
import { parseBucketOpKey } from './record';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // Java's tail is a fall-through switch over length % 4.
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) h = Math.imul(h ^ data[whole]!, M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition of `bucket` on a topic with `partitions` partitions. */
export function bucketPartition(bucket: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be >= 1, got ${partitions}`);
  return (murmur2(Buffer.from(bucket, 'utf8')) & 0x7fffffff) % partitions;
}

/**
 * kafkajs partitioner for bucket topics: reads the bucket from the record key and hashes it over
 * the topic's actual partition count.
 */
export const BucketPartitioner: ICustomPartitioner =
  () =>
  ({ partitionMetadata, message }) => {
    if (message.key === null || message.key === undefined) {
      throw new TypeError('bucket topic records are keyed; a record without key has no bucket');
    }
    const { bucket } = parseBucketOpKey(message.key.toString());
    return bucketPartition(bucket, partitionMetadata.length);
  };
