// @syncline/bucket-store: the Redis layout shared by the evaluator (writer) and the gateway
// (reader): bucket ops, checksums at a checkpoint, row state, parameter lookups, checkpoints.
export { StoreKeys, KeyPrefixError, tagOf } from './keys';
export {
  BucketStore,
  opMember,
  rowKeyOf,
  type BucketChecksum,
  type BucketOpWrite,
  type Checkpoint,
  type LookupWrite,
  type RowStateRecord,
  type StoredOp,
  type StoredOpKind,
  type WriteCheckpoint,
} from './bucket-store';
