// A change record after decoding and op-id assignment: what the planner and the writer work on.
// One variant per way a record is handled; every switch over them is exhaustive.
import type { KafkaMessage } from 'kafkajs';
import type { JsonObject } from '@syncline/lossless-json';
import type { WriteCheckpoint } from '@syncline/protocol';
import type { ConnectField } from '@syncline/cdc';

/** The transaction an event counts toward: its END offset and the event's place in it. */
export interface EventRef {
  readonly endOffset: bigint;
  readonly totalOrder: number;
}

/** A row image (insert, update, snapshot read) or a row's removal (delete). */
export interface RowEvent {
  readonly kind: 'row';
  readonly offset: bigint;
  /** Null for snapshot rows (no transaction). */
  readonly ref: EventRef | null;
  readonly table: string;
  readonly pk: string;
  readonly opId: bigint;
  readonly lsn: bigint | null;
  /** Null when the row is deleted. */
  readonly image: JsonObject | null;
  readonly unavailable: readonly string[];
  readonly columns: readonly ConnectField[];
  readonly message: KafkaMessage;
  /**
   * A primary-key change. On the insert of the new key: the old key and the lowest op id of the
   * transaction (the old key's delete lies in [since, opId)). On the delete of the old key: 'delete'.
   */
  readonly keyChange: { readonly from: string; readonly since: bigint } | 'delete' | null;
  /**
   * A row of a full snapshot taken after streaming began (§3.2): its table is truncated below it
   * first (once per table; the truncate is not counted).
   */
  readonly truncateFirst?: TruncateEvent;
}

export interface TruncateEvent {
  readonly kind: 'truncate';
  readonly offset: bigint;
  /** Null for the truncate a second full snapshot implies (not an event: not counted). */
  readonly ref: EventRef | null;
  readonly table: string;
  readonly opId: bigint;
  /** END offset of the transaction before the truncate's: the checkpoint must cover it first. */
  readonly barrier: bigint;
  readonly lsn: bigint | null;
}

/** A transactional logical message (a write checkpoint, or another prefix: counted only). */
export interface MessageEvent {
  readonly kind: 'message';
  readonly offset: bigint;
  readonly ref: EventRef;
  readonly writeCheckpoint: WriteCheckpoint | null;
}

/** Counted as processed, nothing else (a dead-lettered record that names its transaction). */
export interface CountedEvent {
  readonly kind: 'counted';
  readonly offset: bigint;
  readonly ref: EventRef;
}

/** Neither written nor counted (tombstones, non-transactional messages, unsalvageable records). */
export interface SkippedEvent {
  readonly kind: 'skip';
}

export type PreparedEvent = RowEvent | TruncateEvent | MessageEvent | CountedEvent | SkippedEvent;

export const SKIP: SkippedEvent = { kind: 'skip' };

/** The transaction an event is counted toward, or null when it is not counted. */
export function countedRef(event: PreparedEvent): EventRef | null {
  switch (event.kind) {
    case 'row':
    case 'truncate':
    case 'message':
    case 'counted':
      return event.ref;
    case 'skip':
      return null;
    default:
      return unreachable(event);
  }
}

/** Compile-time exhaustiveness: a new variant fails to build until every switch handles it. */
export function unreachable(value: never): never {
  throw new Error(`unhandled prepared event ${JSON.stringify(value)}`);
}
