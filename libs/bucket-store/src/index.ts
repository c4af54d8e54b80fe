// @syncline/bucket-store: the Redis layout shared by the evaluator (writer) and the gateway
// (reader): bucket ops, checksums at a checkpoint, row state, parameter lookups, checkpoints.
export { StoreKeys, KeyPrefixError, tagOf, rowShardOf, ROW_SHARDS, LAYOUT_VERSION } from './keys';
export {
  BucketStore,
  opMember,
  rowKeyOf,
  type BucketChecksum,
  type BucketOpWrite,
  type Checkpoint,
  type LookupWrite,
  type CountOutcome,
  type PutRowsOutcome,
  type RowStateRecord,
  type RowStateWrite,
  type StoredOp,
  type StoredOpKind,
  type WriteCheckpoint,
} from './bucket-store';
