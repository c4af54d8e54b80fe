// The narrow ports the change processor works through. RedisBucketWriter and RedisCoordination
// implement them in production; the unit tests use in-memory fakes that keep Redis' semantics.
import type { KafkaMessage } from 'kafkajs';
import type {
  RedisBucketCompactor,
  RedisCoordination,
  TransactionEvents,
  CountResult,
  LookupWrite,
  PutRowsOutcome,
  RowStateRecord,
  RowStateWrite,
} from '@syncline/bucket-store';
import type { BucketOpRecord } from '@syncline/bucket-topic';
import type { DeadLetterReason } from '@syncline/errors';
import type { BucketOp, WriteCheckpoint } from '@syncline/protocol';

/** Adds ops idempotently: an op already stored is not added (nor counted) again. */
export interface OpStore {
  addOps(ops: readonly BucketOp[]): Promise<number>;
}

export interface LookupStore {
  writeLookups(writes: readonly LookupWrite[]): Promise<void>;
}

/** Row state, only ever moved forward; states behind a scanned truncate are refused. */
export interface RowStore {
  getRows(rows: readonly { table: string; pk: string }[]): Promise<(RowStateRecord | null)[]>;
  putRows(rows: readonly RowStateWrite[]): Promise<PutRowsOutcome>;
}

export interface TruncateStore {
  markTruncate(table: string, opId: bigint): Promise<void>;
  scanTableRows(table: string, count: number): AsyncIterable<Array<{ pk: string } & RowStateRecord>>;
  truncateRows(table: string, pks: readonly string[], opId: bigint, tombstone: string): Promise<string[]>;
}

/** What the processor writes of the bucket store. */
export type ProcessorStore = OpStore & LookupStore & RowStore & TruncateStore;

/** Processed events, counted once per distinct (transaction, total_order); progress per partition. */
export interface ProgressStore {
  countEvents(
    partition: string,
    next: bigint,
    /** END offset of the latest transaction reached (every record before its event processed), or null. */
    reached: bigint | null,
    transactions: readonly TransactionEvents[],
    floor?: bigint | null,
  ): Promise<CountResult>;
  partitionProgress(partition: string): Promise<bigint | null>;
}

/** What the processor shares with the other instances. */
export interface ProcessorCoordination extends ProgressStore {
  topicIndex(topic: string): Promise<number>;
  /** Write checkpoints per transaction (END offset), all in one batch. */
  recordTransactionWriteCheckpoints(
    byTransaction: ReadonlyMap<bigint, readonly WriteCheckpoint[]>,
  ): Promise<void>;
  /** The END offset the rows of a full snapshot taken after streaming began are placed at (§3.2). */
  recordResnapshotAnchor(endOffset: bigint): Promise<void>;
  /** Rows of an incremental snapshot window were placed at the END offset `endOffset` (§3.1). */
  recordWindowPlaced(endOffset: bigint): Promise<void>;
}

/** What the coordinator reads and writes of the shared state (RedisCoordination in production). */
export type CoordinatorStore = Pick<
  RedisCoordination,
  | 'holdLease'
  | 'hasMeta'
  | 'releaseLease'
  | 'getCheckpoint'
  | 'publishCheckpoint'
  | 'processedCounts'
  | 'forgetProcessed'
  | 'saveWriteCheckpoints'
  | 'transactionWriteCheckpoints'
  | 'snapshotHighWater'
  | 'recordSnapshotHighWater'
  | 'readPositions'
  | 'resnapshotAnchor'
  | 'lastWindowPlaced'
  | 'resnapshotHandled'
  | 'recordResnapshotHandled'
>;

/** What the leader's compaction worker reads and writes of the buckets (RedisBucketCompactor). */
export type CompactionStore = Pick<
  RedisBucketCompactor,
  'scanBuckets' | 'opCounts' | 'firstOpAbove' | 'readWindow' | 'apply' | 'rebuildIfShrunk'
>;

/** Where bucket ops go besides Redis (the bucket topic). */
export interface BucketOpSink {
  write(ops: readonly BucketOpRecord[]): Promise<void>;
}

export interface DeadLetterSink {
  send(
    reason: DeadLetterReason,
    detail: string,
    message: KafkaMessage,
    topic: string,
    partition: number,
  ): Promise<void>;
}
