// Turns one row change into bucket ops, parameter-lookup writes and the row's next state, given
// the row's previous state. Pure: the caller reads and writes state; the planner only decides.
// A row that leaves a bucket gets a REMOVE there; unchanged TOAST columns come from the stored row.
import { ownString, parseJson, stringifyJson, type JsonObject } from '@syncline/lossless-json';
import { putChecksum, removeChecksum, type BucketOp } from '@syncline/protocol';
import type { LookupWrite } from '@syncline/bucket-store';
import type { ConnectField } from '@syncline/cdc';
import type { EvaluatedRow, ParameterLookupEntry } from '@syncline/sync-rules';
import { serializeParameterLookup } from '@syncline/sync-rules';

type RowData = EvaluatedRow['data'];

export interface Membership {
  readonly bucket: string;
  readonly type: string;
  readonly id: string;
}

export interface LookupMembership {
  readonly key: string;
  /** JSON array of the parameter rows this row contributes under `key`. */
  readonly parameters: string;
}

/** What the evaluator stores per synced source row. `raw` null: the row is deleted (tombstone). */
export interface RowState {
  readonly raw: string | null;
  readonly memberships: readonly Membership[];
  readonly lookups: readonly LookupMembership[];
  /**
   * On the tombstone of a primary-key change's delete: the row's last image, from which the new
   * key's insert (later in the same transaction) fills its unchanged TOAST columns.
   */
  readonly moved?: string;
}

export const DELETED_ROW: RowState = { raw: null, memberships: [], lookups: [] };

/** Evaluates a raw Debezium image against the rules (type mapping + data and parameter queries). */
export interface RowEvaluator {
  evaluate(
    table: string,
    raw: JsonObject,
    columns: readonly ConnectField[],
  ): { rows: EvaluatedRow[]; lookups: ParameterLookupEntry[] };
}

export interface RowChange {
  /** `schema.table` */
  readonly table: string;
  readonly subkey: string;
  /** Source row identity for lookup entries: `schema.table/<pk json>`. */
  readonly rowKey: string;
  readonly opId: bigint;
  readonly previous: RowState | null;
  /** The new image, or null when the row is deleted or truncated. */
  readonly image: JsonObject | null;
  /** Columns of `image` that hold the TOAST placeholder. */
  readonly unavailableColumns: readonly string[];
  /** The image's columns (Connect schema), for type mapping. */
  readonly columns: readonly ConnectField[];
  /** The old key's image when this insert is a primary-key change: fills unavailable columns. */
  readonly fillFrom?: string | null;
  /** This delete is a primary-key change: the tombstone keeps the image (`moved`). */
  readonly keepImage?: boolean;
}

export interface RowPlan {
  readonly ops: BucketOp[];
  readonly lookups: LookupWrite[];
  readonly state: RowState;
  /** Placeholder columns that could not be filled (no stored row): synced as null. */
  readonly unfilledToast: number;
}

const membershipKey = (m: Membership): string => `${m.bucket}\u0000${m.type}\u0000${m.id}`;

export function planRowChange(change: RowChange, evaluator: RowEvaluator): RowPlan {
  const previous = change.previous ?? DELETED_ROW;
  let unfilledToast = 0;
  let raw: JsonObject | null = null;
  if (change.image !== null) {
    raw = change.image;
    if (change.unavailableColumns.length > 0) {
      const source = previous.raw ?? change.fillFrom ?? null;
      const stored = source === null ? null : (parseJson(source) as JsonObject);
      raw = { ...change.image };
      for (const column of change.unavailableColumns) {
        const value = stored?.[column];
        if (value === undefined) unfilledToast++;
        raw[column] = value ?? null;
      }
    }
  }
  const evaluated =
    raw === null ? { rows: [], lookups: [] } : evaluator.evaluate(change.table, raw, change.columns);

  const puts = putsOf(evaluated.rows);
  const ops: BucketOp[] = [];
  for (const old of previous.memberships) {
    if (puts.has(membershipKey(old))) continue;
    ops.push({
      bucket: old.bucket,
      op: 'REMOVE',
      opId: change.opId,
      objectType: old.type,
      objectId: old.id,
      subkey: change.subkey,
      data: null,
      checksum: removeChecksum(change.subkey),
    });
  }
  ops.push(...putOps(puts, change));

  // The row's full current set, never a diff against `previous`: a previous state can be stale
  // (a cached state after another instance's truncate wrote these entries as gone), and an entry
  // skipped as "unchanged" would then stay gone in the index (issue 9).
  const newLookups = groupLookups(evaluated.lookups);
  const lookups: LookupWrite[] = newLookups.map((l) => ({
    lookupKey: l.key,
    rowKey: change.rowKey,
    opId: change.opId,
    parameters: l.parameters,
  }));
  const newKeys = new Set(newLookups.map((l) => l.key));
  for (const old of previous.lookups) {
    if (!newKeys.has(old.key))
      lookups.push({ lookupKey: old.key, rowKey: change.rowKey, opId: change.opId, parameters: null });
  }

  const state: RowState =
    raw === null
      ? change.keepImage && previous.raw !== null
        ? { ...DELETED_ROW, moved: previous.raw }
        : DELETED_ROW
      : {
          raw: stringifyJson(raw),
          memberships: [...puts.values()].map((p) => p.membership),
          lookups: newLookups,
        };
  return { ops, lookups, state, unfilledToast };
}

interface Put {
  readonly membership: Membership;
  /** The row's data as the op sends it. */
  readonly data: string;
}

/** The row's bucket memberships (by membership key) with the data text each one's PUT carries. */
function putsOf(rows: readonly EvaluatedRow[]): Map<string, Put> {
  const puts = new Map<string, Put>();
  // Queries of several buckets often output the same row (`SELECT *` in a global and a per-owner
  // bucket): the previous row's text is reused when its data is equal, one serialization less.
  let lastData: RowData | null = null;
  let lastText = '';
  for (const row of rows) {
    // The id is kept in the row's state (the row-state cache): its own copy, not a view of the
    // record's text (`ownString`).
    const membership = { bucket: row.bucket, type: row.outputTable, id: ownString(row.id) };
    if (lastData === null || !sameRow(row.data, lastData)) lastText = stringifyJson(row.data);
    lastData = row.data;
    puts.set(membershipKey(membership), { membership, data: lastText });
  }
  return puts;
}

/** A PUT per membership; the same object, id and data text in another bucket share a checksum. */
function putOps(puts: ReadonlyMap<string, Put>, change: RowChange): BucketOp[] {
  const ops: BucketOp[] = [];
  let last: { type: string; id: string; data: string; checksum: number } | null = null;
  for (const { membership, data } of puts.values()) {
    if (last === null || last.data !== data || last.type !== membership.type || last.id !== membership.id)
      last = {
        type: membership.type,
        id: membership.id,
        data,
        checksum: putChecksum(membership.type, membership.id, data),
      };
    ops.push({
      bucket: membership.bucket,
      op: 'PUT',
      opId: change.opId,
      objectType: membership.type,
      objectId: membership.id,
      subkey: change.subkey,
      data,
      checksum: last.checksum,
    });
  }
  return ops;
}

/** Same keys in the same order with equal values: the two serialize to the same text. */
function sameRow(a: RowData, b: RowData): boolean {
  if (a === b) return true;
  const keys = Object.keys(a);
  const other = Object.keys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key !== other[i] || a[key] !== b[key]) return false;
  }
  return true;
}

function groupLookups(entries: readonly ParameterLookupEntry[]): LookupMembership[] {
  const byKey = new Map<string, unknown[]>();
  for (const e of entries) {
    const key = serializeParameterLookup(e.lookup);
    const list = byKey.get(key) ?? [];
    list.push(e.parameters);
    byKey.set(key, list);
  }
  return [...byKey].map(([key, rows]) => ({ key, parameters: stringifyJson(rows) }));
}
