// The Postgres connector's `source` block, the per-event `transaction` block and Debezium's
// transaction id format `<xid>:<lsn>`.
import type { JsonObject, JsonValue } from '@syncline/lossless-json';
import { RecordShapeError } from './malformed';
import {
  readInt64OrNull,
  readObject,
  readSafeInteger,
  readSafeIntegerOrNull,
  readString,
  readStringOrNull,
} from './shape';

export type SnapshotMarker =
  | 'true'
  | 'first'
  | 'first_in_data_collection'
  | 'last_in_data_collection'
  | 'last'
  | 'false'
  | 'incremental';

const SNAPSHOT_MARKERS: ReadonlySet<string> = new Set<SnapshotMarker>([
  'true',
  'first',
  'first_in_data_collection',
  'last_in_data_collection',
  'last',
  'false',
  'incremental',
]);

export interface SourceInfo {
  readonly version: string;
  readonly connector: string;
  /** The connector's topic.prefix. */
  readonly name: string;
  readonly db: string;
  readonly schema: string;
  readonly table: string;
  /** Commit time of the source transaction (read time during a snapshot). */
  readonly tsMs: number;
  readonly tsUs: bigint | null;
  readonly tsNs: bigint | null;
  /** Null on streaming events in the captured 3.6.1 records (not "false"). */
  readonly snapshot: SnapshotMarker | null;
  readonly txId: bigint | null;
  readonly lsn: bigint | null;
  readonly xmin: bigint | null;
  /** `[lastCommitLsn, lsn]`: compare lexicographically to order and deduplicate events. */
  readonly sequence: readonly [bigint | null, bigint | null] | null;
  readonly origin: string | null;
  readonly originLsn: bigint | null;
}

export function readSourceInfo(value: JsonValue | undefined, path = 'source'): SourceInfo {
  const node = readObject(value, path);
  return {
    version: readString(node.version, `${path}.version`),
    connector: readString(node.connector, `${path}.connector`),
    name: readString(node.name, `${path}.name`),
    db: readString(node.db, `${path}.db`),
    schema: readString(node.schema, `${path}.schema`),
    table: readString(node.table, `${path}.table`),
    tsMs: readSafeInteger(node.ts_ms, `${path}.ts_ms`),
    tsUs: readInt64OrNull(node.ts_us, `${path}.ts_us`),
    tsNs: readInt64OrNull(node.ts_ns, `${path}.ts_ns`),
    snapshot: readSnapshotMarker(node.snapshot, `${path}.snapshot`),
    txId: readInt64OrNull(node.txId, `${path}.txId`),
    lsn: readInt64OrNull(node.lsn, `${path}.lsn`),
    xmin: readInt64OrNull(node.xmin, `${path}.xmin`),
    sequence: parseSequence(readStringOrNull(node.sequence, `${path}.sequence`), `${path}.sequence`),
    origin: readStringOrNull(node.origin, `${path}.origin`),
    originLsn: readInt64OrNull(node.origin_lsn, `${path}.origin_lsn`),
  };
}

function readSnapshotMarker(value: JsonValue | undefined, path: string): SnapshotMarker | null {
  const marker = readStringOrNull(value, path);
  if (marker === null) return null;
  if (!SNAPSHOT_MARKERS.has(marker))
    throw new RecordShapeError('wrong-type', `${path}: unknown marker ${marker}`);
  return marker as SnapshotMarker;
}

const SEQUENCE = /^\[(?:null|"(\d+)"),(?:null|"(\d+)")\]$/;

/** Parses `source.sequence`, a string holding a JSON array of two decimal strings or nulls. */
export function parseSequence(
  text: string | null,
  path = 'sequence',
): readonly [bigint | null, bigint | null] | null {
  if (text === null) return null;
  const match = SEQUENCE.exec(text);
  if (match === null)
    throw new RecordShapeError('invalid-sequence', `${path}: cannot read ${JSON.stringify(text)}`);
  return [match[1] === undefined ? null : BigInt(match[1]), match[2] === undefined ? null : BigInt(match[2])];
}

/** A Debezium transaction id `<xid>:<lsn>` split into its parts. */
export interface TransactionId {
  readonly id: string;
  /** The Postgres xid: the grouping key of one transaction's records. */
  readonly xid: bigint;
  /** The LSN part, which differs on BEGIN, on each event and on END. */
  readonly lsn: bigint;
}

const TRANSACTION_ID = /^(\d+):(\d+)$/;

export function parseTransactionId(id: string, path = 'id'): TransactionId {
  const match = TRANSACTION_ID.exec(id);
  if (match === null || match[1] === undefined || match[2] === undefined) {
    throw new RecordShapeError(
      'invalid-transaction-id',
      `${path}: expected <xid>:<lsn>, got ${JSON.stringify(id)}`,
    );
  }
  return { id, xid: BigInt(match[1]), lsn: BigInt(match[2]) };
}

/** The `transaction` block of a data event. */
export interface TransactionBlock extends TransactionId {
  /** 1-based position of the event among all events of its transaction. */
  readonly totalOrder: number;
  /** 1-based position among the transaction's events for the same data collection. */
  readonly dataCollectionOrder: number;
}

export function readTransactionBlock(
  value: JsonValue | undefined,
  path = 'transaction',
): TransactionBlock | null {
  if (value === null || value === undefined) return null;
  const node: JsonObject = readObject(value, path);
  const { id, xid, lsn } = parseTransactionId(readString(node.id, `${path}.id`), `${path}.id`);
  return {
    id,
    xid,
    lsn,
    totalOrder: readSafeInteger(node.total_order, `${path}.total_order`),
    dataCollectionOrder: readSafeInteger(node.data_collection_order, `${path}.data_collection_order`),
  };
}

/** Connector-side processing time (the envelope's top-level ts_*), not the commit time. */
export interface ProcessingTime {
  readonly tsMs: number | null;
  readonly tsUs: bigint | null;
  readonly tsNs: bigint | null;
}

export function readProcessingTime(node: JsonObject): ProcessingTime {
  return {
    tsMs: readSafeIntegerOrNull(node.ts_ms, 'ts_ms'),
    tsUs: readInt64OrNull(node.ts_us, 'ts_us'),
    tsNs: readInt64OrNull(node.ts_ns, 'ts_ns'),
  };
}
