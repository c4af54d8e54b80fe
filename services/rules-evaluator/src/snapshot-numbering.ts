// Snapshot ('r') events have no transaction, so their op ids come from Kafka coordinates:
// sequence = topicIndex * 2^32 + partition * 2^25 + offset (docs/consistency.md section 3).
// Deterministic (topic indexes are assigned once, in Redis) and injective within the limits.
import { SynclineError } from '@syncline/errors';
import { snapshotOpId, type OpIdGeneration } from '@syncline/protocol';

export const SNAPSHOT_TOPIC_BITS = 8n;
export const SNAPSHOT_PARTITION_BITS = 7n;
export const SNAPSHOT_OFFSET_BITS = 25n;

export class SnapshotNumberingError extends SynclineError {
  override readonly name = 'SnapshotNumberingError';
  readonly code = 'SYNC_E402';
}

/** An incremental snapshot row cannot be placed (no signal table configured, no sequence): fatal. */
export class SnapshotWindowError extends SynclineError {
  override readonly name = 'SnapshotWindowError';
  readonly code = 'SYNC_E408';
}

/** A full snapshot taken after a checkpointed commit (a second snapshot): fatal. */
export class SnapshotAfterStreamingError extends SynclineError {
  override readonly name = 'SnapshotAfterStreamingError';
  readonly code = 'SYNC_E409';
}

export function snapshotSequence(topicIndex: number, partition: number, offset: bigint): bigint {
  const t = BigInt(topicIndex);
  const p = BigInt(partition);
  if (t < 0n || t >= 1n << SNAPSHOT_TOPIC_BITS)
    throw new SnapshotNumberingError(
      `snapshot numbering: topic index ${t} is not below 2^${SNAPSHOT_TOPIC_BITS} (too many change topics)`,
    );
  if (p < 0n || p >= 1n << SNAPSHOT_PARTITION_BITS)
    throw new SnapshotNumberingError(
      `snapshot numbering: partition ${p} is not below 2^${SNAPSHOT_PARTITION_BITS}`,
    );
  if (offset < 0n || offset >= 1n << SNAPSHOT_OFFSET_BITS)
    throw new SnapshotNumberingError(
      `snapshot numbering: offset ${offset} is not below 2^${SNAPSHOT_OFFSET_BITS} (snapshot rows per partition)`,
    );
  return (t << (SNAPSHOT_PARTITION_BITS + SNAPSHOT_OFFSET_BITS)) | (p << SNAPSHOT_OFFSET_BITS) | offset;
}

export function snapshotEventOpId(
  g: OpIdGeneration,
  topicIndex: number,
  partition: number,
  offset: bigint,
): bigint {
  return snapshotOpId(g, snapshotSequence(topicIndex, partition, offset));
}
