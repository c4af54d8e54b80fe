// Values the bucket store reads and writes, shared by its reader, writer and coordination roles.
import type { WriteCheckpoint } from '@syncline/protocol';

export interface BucketChecksum {
  readonly bucket: string;
  /** Unsigned 32-bit wrapping sum of the ops with op_id <= the checkpoint. */
  readonly checksum: number;
  readonly count: number;
}

/** A published checkpoint: a point in Postgres commit order (its stored JSON shape). */
export interface Checkpoint {
  readonly lastOpId: string;
  /** Transaction-topic offset of the END record of the last transaction included (-1: snapshot only). */
  readonly endOffset: string;
  /** Commit LSN (END id) of that transaction, decimal; null for a snapshot-only checkpoint. */
  readonly lsn: string | null;
  /** Source commit time (ms) of that transaction. */
  readonly commitTimeMs: number | null;
  /** When the checkpoint was published (ms). */
  readonly publishedAtMs: number;
  /** The write checkpoints this checkpoint covers (recorded in Redis before it was published). */
  readonly writeCheckpoints: readonly WriteCheckpoint[];
  /**
   * lastOpId of the checkpoint this one followed (null for the first; absent when published by
   * an older version). A reader that saw that one knows every write checkpoint in between.
   */
  readonly previousOpId?: string | null;
}

/** A write checkpoint of one client as the checkpoint that included it recorded it. */
export interface ClientWriteCheckpoint {
  readonly n: string;
  /** lastOpId of the checkpoint that included it. */
  readonly opId: string;
}

/** A parameter lookup entry as of an op: `parameters` null means the row no longer matches. */
export interface LookupWrite {
  readonly lookupKey: string;
  readonly rowKey: string;
  readonly opId: bigint;
  /** JSON array of parameter rows, or null. */
  readonly parameters: string | null;
}

export interface RowStateRecord {
  readonly opId: bigint;
  readonly state: string;
}

/** A row state to write: only applied when the stored one is older than `opId`. */
export interface RowStateWrite {
  readonly table: string;
  /** Primary key (its JSON text). */
  readonly pk: string;
  readonly opId: bigint;
  readonly state: string;
}

/** A row whose state putRows refused because a later truncate already scanned its table. */
export interface TruncatedRow {
  readonly table: string;
  readonly pk: string;
  readonly truncateOpId: bigint;
}

/** Outcome of putRows: rows written, and rows refused because a later truncate already ran. */
export interface PutRowsOutcome {
  readonly written: number;
  readonly truncated: readonly TruncatedRow[];
}

/** Processed events of one transaction: its END offset and the events' total_orders. */
export interface TransactionEvents {
  readonly endOffset: bigint;
  /** The transaction's checkpoint op id: events of a transaction already covered are not counted. */
  readonly checkpointOpId: bigint;
  readonly totalOrders: readonly number[];
}

/** High-water marks of the change topics when streaming was first seen: `topic/partition` -> offset. */
export type SnapshotHighWater = Record<string, string>;

/** Outcome of countEvents. */
export interface CountResult {
  readonly counted: number;
  /** The partition's progress before the call: below what this instance wrote means Redis lost writes. */
  readonly previousProgress: bigint | null;
  /** Nothing written: the stored progress was below the caller's floor (Redis lost writes). */
  readonly refused: boolean;
}
