// How values are spelled inside Redis: op members (exact 64-bit order as text), op bodies, row
// values and parameter-lookup members. Part of the storage layout (LAYOUT_VERSION): the bytes
// written here must not change without a new layout version.
import type { BucketOp } from '@syncline/protocol';
import { parseJson } from '@syncline/lossless-json';
import { encodeOpIdMember } from '@syncline/protocol';
import type { RowStateRecord } from './types';

/** The op member: 16 hex digits of the op id, then `|<rowKey>` so two ops of one event stay apart. */
export function opMember(opId: bigint, rowKey: string): string {
  return `${encodeOpIdMember(opId)}|${rowKey}`;
}

export function rowKeyOf(objectType: string, objectId: string, subkey: string): string {
  return `${objectType}/${objectId}/${subkey}`;
}

/**
 * The stored body of an op: the JSON object {op, op_id, object_type, object_id, subkey, data,
 * checksum} with its keys in this order (the bytes JSON.stringify gives), built directly.
 * `opIdText` is formatOpId(op.opId), passed in because the ops of one event share it.
 */
export function encodeOpBody(op: BucketOp, opIdText: string): string {
  return (
    `{"op":"${op.op}","op_id":"${opIdText}","object_type":${JSON.stringify(op.objectType)},` +
    `"object_id":${JSON.stringify(op.objectId)},"subkey":${JSON.stringify(op.subkey)},` +
    `"data":${op.data === null ? 'null' : JSON.stringify(op.data)},"checksum":${op.checksum >>> 0}}`
  );
}

export interface StoredBody {
  readonly op: BucketOp['op'];
  readonly op_id: string;
  readonly object_type: string;
  readonly object_id: string;
  readonly subkey: string;
  readonly data: string | null;
  readonly checksum: number;
}

/** The op a stored body describes. */
export function decodeOpBody(bucket: string, body: string): BucketOp {
  return opOfBody(bucket, JSON.parse(body) as StoredBody);
}

/** The op of a stored body already parsed. */
export function opOfBody(bucket: string, b: StoredBody): BucketOp {
  return {
    bucket,
    op: b.op,
    opId: BigInt(b.op_id),
    objectType: b.object_type,
    objectId: b.object_id,
    subkey: b.subkey,
    data: b.data,
    checksum: b.checksum >>> 0,
  };
}

/** A stored row value: `<op member, 16 hex><state JSON>`. */
export function encodeRowValue(opId: bigint, state: string): string {
  return encodeOpIdMember(opId) + state;
}

export function decodeRowValue(value: string | null): RowStateRecord | null {
  return value === null ? null : { opId: BigInt(`0x${value.slice(0, 16)}`), state: value.slice(16) };
}

/** The source-row part of a lookup member (`<op16>|<rowKey>`). */
export function lookupMemberRow(member: string): string {
  return member.slice(17);
}

/** Lookup values: the JSON array of parameter rows, or `null` when the row stopped matching. */
export function encodeLookupValue(parameters: string | null): string {
  return parameters ?? 'null';
}

/** Integers past 2^53 stay exact (bigint): a lookup value names a bucket (a bigint list id). */
export function decodeLookupRows(value: string | null): unknown[] {
  return value === null || value === 'null' ? [] : (parseJson(value) as unknown[]);
}

/**
 * A pack: a run of MOVEs stored as one sorted-set member (docs/consistency.md 2.6), so that a MOVE
 * costs its 24 characters and not a member and a body of its own. The member is
 * `<hi16>#<target16>` then per MOVE `<op16><checksum8>`, in op-id order: it sorts at its last
 * MOVE's op id (`#` sorts before the `|` of any op member at that op id), and `target` is the
 * highest target of its MOVEs (a download that received any of them is withheld up to it).
 */
export const PACK_MARK = '#';

/** Most MOVEs one pack holds: keeps a member (and a read of it) a few kilobytes at most. */
export const PACK_MAX = 128;

export interface PackedMove {
  readonly opId: bigint;
  readonly checksum: number;
}

export function isPackMember(member: string): boolean {
  return member.charCodeAt(16) === 0x23; // '#'
}

/** The member of a pack of `moves` (in op-id order, at least one). */
export function encodePackMember(moves: readonly PackedMove[], target: bigint): string {
  if (moves.length === 0 || moves.length > PACK_MAX)
    throw new RangeError(`a pack holds 1 to ${PACK_MAX} MOVEs, not ${moves.length}`);
  const hi = moves[moves.length - 1]!.opId;
  let member = `${encodeOpIdMember(hi)}${PACK_MARK}${encodeOpIdMember(target)}`;
  for (const m of moves)
    member += encodeOpIdMember(m.opId) + (m.checksum >>> 0).toString(16).padStart(8, '0');
  return member;
}

/** The MOVEs and target of a pack member. */
export function decodePackMember(member: string): { moves: PackedMove[]; target: bigint } {
  if (!isPackMember(member) || (member.length - 33) % 24 !== 0 || member.length < 57)
    throw new RangeError(`not a pack member: ${JSON.stringify(member.slice(0, 80))}`);
  const moves: PackedMove[] = [];
  for (let at = 33; at < member.length; at += 24)
    moves.push({
      opId: BigInt(`0x${member.slice(at, at + 16)}`),
      checksum: Number.parseInt(member.slice(at + 16, at + 24), 16) >>> 0,
    });
  return { moves, target: BigInt(`0x${member.slice(17, 33)}`) };
}
