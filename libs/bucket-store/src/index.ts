// @syncline/bucket-store: the Redis layout shared by the evaluator (writer, coordination) and its
// readers (the gateway): bucket ops, checksums at a checkpoint, row state, parameter lookups,
// checkpoints. Layers: keys + scripts + encoding at the bottom; redis.ts registers the scripts;
// the reader port with its Redis and in-memory implementations, the writer and the coordination.
export {
  StoreKeys,
  KeyPrefixError,
  keyPrefixFor,
  tagOf,
  rowShardOf,
  ROW_SHARDS,
  LAYOUT_VERSION,
} from './keys';
export { isPackMember, opMember, PACK_MAX, rowKeyOf } from './encoding';
export { planPacks, type PackPlan } from './compaction-packs';
export { CheckpointFeed, type BucketReader } from './reader';
export { RedisBucketReader } from './redis-reader';
export { MemoryBucketStore } from './memory-store';
export {
  CompactionPlanError,
  applyCompaction,
  compactionRead,
  planCompaction,
  planCompactionWindow,
  memberOf,
  positionOf,
  type ClearPlan,
  type CompactableOp,
  type CompactionCursor,
  type CompactionOptions,
  type CompactionPlan,
  type CompactionRead,
  type CompactionWindow,
  type MovePlan,
  type OpPosition,
  type StoredClear,
  type StoredMove,
} from './compaction-plan';
export { RedisBucketWriter } from './writer';
export { RedisBucketCompactor, encodeCompactedBody } from './compaction-store';
export { decodeCompactableBody, BucketStoreInconsistentError } from './bucket-range';
export {
  classifyKey,
  formatBytes,
  MEMORY_CATEGORIES,
  summarizeMemory,
  type BucketUsage,
  type KeyUsage,
  type MemoryCategory,
  type MemoryReport,
} from './memory-accounting';
export { readMemoryUsage } from './memory-usage';
export { CommandBatch, groupBySlot, slotOf } from './slot-batch';
export {
  RedisBookkeepingTrimmer,
  type CheckpointedTrimCursor,
  type LookupTrimCursor,
  type TombstoneTrimCursor,
  type TrimProgress,
} from './bookkeeping-trim';
export {
  RetentionHorizon,
  bookkeepingHorizon,
  replayHorizon,
  type CheckpointPosition,
  type PublishedCheckpoint,
} from './bookkeeping-horizon';
export {
  lookupValuesAt,
  planLookupChunk,
  startLookupWalk,
  trimLookupVersions,
  type LookupDrop,
  type LookupVersion,
  type LookupWalk,
} from './lookup-trim-plan';
export { isRowTombstone, tombstonesAtOrBelow, TOMBSTONE_STATE_PREFIX } from './row-tombstones';
export type { KeyScanCursor } from './key-scan';
export type { StoreConnection } from './redis';
export {
  RedisCoordination,
  DEFAULT_WRITE_CHECKPOINT_RETENTION_MS,
  type CoordinationOptions,
  type LeaseOutcome,
  type PartitionPositions,
} from './coordination';
export type {
  BucketChecksum,
  Checkpoint,
  ClientWriteCheckpoint,
  TransactionEvents,
  CountResult,
  LookupWrite,
  PutRowsOutcome,
  RowStateRecord,
  RowStateWrite,
  SnapshotHighWater,
  TruncatedRow,
} from './types';
