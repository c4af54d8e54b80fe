// Packing of MOVEs, planned without I/O (docs/consistency.md 2.6): a run of consecutive MOVEs of a
// bucket is stored as one member (encoding.ts: a pack) instead of one member and one body each.
// A pack is a storage form only: readers expand it into the MOVEs it holds, with the same op ids
// and checksums, so every checksum, count and download stays what it was.
import type { MoveOp } from '@syncline/protocol';
import { encodePackMember, opMember, PACK_MAX, type PackedMove } from './encoding';

/** The fields of a stored op that packing reads (a CompactableOp has them all). */
interface PackableOp {
  readonly op: string;
  readonly opId: bigint;
  readonly checksum: number;
  readonly rowKey?: string;
  readonly target?: bigint;
  readonly pack?: string;
}

/** A MOVE as a pack holds it: at its pack's member, with the pack's target, and no row key. */
export interface PackedStoredMove extends MoveOp {
  readonly rowKey: '';
  readonly target: bigint;
  readonly pack: string;
}

export interface PackPlan {
  /** The new pack's member. */
  readonly member: string;
  readonly moves: readonly PackedMove[];
  readonly target: bigint;
  /** The members it replaces (MOVEs and smaller packs), in bucket order: two or more, or one MOVE. */
  readonly replaces: readonly string[];
}

/** One member of the bucket: a single MOVE, or a pack (its MOVEs, consecutive in `ops`). */
interface Unit {
  readonly member: string;
  readonly moves: PackableOp[];
}

/**
 * The packs to make from `ops` (consecutive ops of one bucket in member order, as they stand after
 * this step's MOVEs): every run of consecutive MOVEs at or below the safe op id becomes packs of at
 * most `maxMoves` MOVEs, a lone MOVE a pack of one. A run that is one pack already is left alone.
 */
export function planPacks(ops: readonly PackableOp[], safeOpId: bigint, maxMoves = PACK_MAX): PackPlan[] {
  const packs: PackPlan[] = [];
  let run: Unit[] = [];
  let before: PackableOp | undefined;
  let previous: PackableOp | undefined;
  for (const op of ops) {
    if (op.op !== 'MOVE' || op.opId > safeOpId) {
      packRun(run, before, maxMoves, packs);
      run = [];
      before = previous = op;
      continue;
    }
    if (run.length === 0) before = previous;
    const member = memberOfMove(op);
    const last = run[run.length - 1];
    if (last !== undefined && op.pack !== undefined && last.member === member) last.moves.push(op);
    else run.push({ member, moves: [op] });
    previous = op;
  }
  packRun(run, before, maxMoves, packs);
  return packs;
}

/** Packs of one run of MOVE units; `before` is the op just before it (none: the window's first). */
function packRun(
  run: readonly Unit[],
  before: PackableOp | undefined,
  maxMoves: number,
  packs: PackPlan[],
): void {
  let chunk: Unit[] = [];
  let size = 0;
  let prior = before;
  const flush = (): void => {
    if (worthPacking(chunk, prior)) packs.push(packOf(chunk));
    const last = chunk[chunk.length - 1];
    if (last !== undefined) prior = last.moves[last.moves.length - 1];
    chunk = [];
    size = 0;
  };
  for (const unit of run) {
    if (size + unit.moves.length > maxMoves) flush();
    chunk.push(unit);
    size += unit.moves.length;
  }
  flush();
}

/**
 * Two members or more become one; a lone MOVE becomes a pack of one (half its cost: no body). Only
 * where the pack's member sorts where its members did: it sorts before every op member of its last
 * op id, so the op before it must have a lower op id (unknown at a window's start: then its MOVEs
 * must span two op ids). Else a walk's cursor could see an op twice.
 */
function worthPacking(chunk: readonly Unit[], before: PackableOp | undefined): boolean {
  if (chunk.length === 0) return false;
  const hi = chunk[chunk.length - 1]!.moves[chunk[chunk.length - 1]!.moves.length - 1]!.opId;
  const placed = before !== undefined ? before.opId < hi : chunk[0]!.moves[0]!.opId < hi;
  return placed && (chunk.length >= 2 || chunk[0]!.moves[0]!.pack === undefined);
}

function packOf(units: readonly Unit[]): PackPlan {
  const all = units.flatMap((u) => u.moves);
  const moves = all.map((m) => ({ opId: m.opId, checksum: m.checksum >>> 0 }));
  const target = all.reduce((t, m) => (m.target !== undefined && m.target > t ? m.target : t), -1n);
  const highest = moves[moves.length - 1]!.opId;
  const top = target < highest ? highest : target;
  return {
    member: encodePackMember(moves, top),
    moves,
    target: top,
    replaces: units.map((u) => u.member),
  };
}

/** The store member holding a MOVE: its pack's, or its own at its row key. */
function memberOfMove(op: PackableOp): string {
  return op.pack ?? opMember(op.opId, op.rowKey ?? '');
}

/** The MOVEs of a pack as the store holds them. */
export function packedMoves(
  member: string,
  moves: readonly PackedMove[],
  target: bigint,
): PackedStoredMove[] {
  return moves.map((m) => ({
    op: 'MOVE',
    opId: m.opId,
    rowKey: '',
    checksum: m.checksum,
    target,
    pack: member,
  }));
}

/**
 * Members up to which Redis keeps a sorted set in its compact encoding (listpack) by default
 * (`zset-max-listpack-entries 128`), provided every member is at most `zset-max-listpack-value`
 * (64) bytes. A pack of one MOVE is 57 bytes and a longer one more, so in a bucket this small
 * only packs of one are made: one long member would turn the whole set into a skiplist, several
 * times its size (measured: 3.8 kB against ~1.8 kB for a bucket of 10 rows).
 */
export const SMALL_BUCKET_MEMBERS = 128;
