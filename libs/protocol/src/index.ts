// @syncline/protocol: pure logic the evaluator and the gateway share — the bucket op, op-id layout
// and its Redis encoding, PowerSync checksums, write checkpoints, and the typed sync lines with
// their NDJSON serializer.
export type { BucketOp, BucketOpKind } from './bucket-op';
export {
  writeCheckpointPrefix,
  formatWriteCheckpoint,
  parseWriteCheckpoint,
  type WriteCheckpoint,
} from './write-checkpoint';
export {
  addChecksums,
  opChecksum,
  putChecksum,
  removeChecksum,
  sumChecksums,
  toSignedChecksum,
  toUnsignedChecksum,
} from './checksum';
export { digestOf, hexDigestOf, type DigestAlgorithm } from './digest';
export {
  DEFAULT_SNAPSHOT_CAPACITY,
  DEFAULT_TOTAL_ORDER_BITS,
  MAX_OP_ID,
  OpIdRangeError,
  decodeOpIdMember,
  describeOpId,
  encodeOpIdMember,
  firstGeneration,
  formatOpId,
  maxTotalOrder,
  nextGeneration,
  opIdLexRange,
  parseOpId,
  snapshotCheckpointOpId,
  snapshotOpId,
  streamBase,
  streamOpId,
  windowOpId,
  transactionCheckpointOpId,
  validateGeneration,
  type GenerationOptions,
  type OpIdErrorCode,
  type OpIdGeneration,
  type OpIdOrigin,
} from './op-id';
export {
  SyncLineError,
  serializeSyncLine,
  type BucketChecksumEntry,
  type CheckpointCompleteLine,
  type CheckpointDiffLine,
  type CheckpointLine,
  type ClearOp,
  type DataLine,
  type MoveOp,
  type OplogEntry,
  type PartialCheckpointCompleteLine,
  type StreamDescription,
  type StreamSubscriptionRef,
  type SyncLine,
  type TokenExpiresInLine,
} from './sync-lines';
