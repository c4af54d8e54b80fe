// Compaction of one bucket, planned without I/O: which ops at or below a safe op id become MOVE,
// and which leading run of ops becomes one CLEAR. The store executes a plan (Redis: rewrite a body
// for a MOVE, delete members and write one CLEAR); `applyCompaction` is the reference executor.
// Why it keeps every checksum a client can be served: docs/consistency.md section 2.6.
import type { BucketOp, ClearOp, MoveOp } from '@syncline/protocol';
import { addChecksums } from '@syncline/protocol';
import { packedMoves, planPacks, SMALL_BUCKET_MEMBERS, type PackPlan } from './compaction-packs';
import { opMember, PACK_MAX, rowKeyOf } from './encoding';

/**
 * An op's identity in its bucket: its op id and `type/id/subkey` row key (its Redis member). The op
 * id alone is not enough: one event can write a REMOVE and a PUT of two row keys at one op id.
 */
export interface OpPosition {
  readonly opId: bigint;
  readonly rowKey: string;
  /** The store member holding it when that is not its own (a packed MOVE: its pack's member). */
  readonly member?: string;
}

/**
 * A MOVE as the store keeps it: the wire MoveOp, still at the member of the op it replaced, with
 * `target`, the op id of the newest op of its row key at or below the safe op id (the one that
 * superseded it). A download up to a checkpoint below `target` that received this MOVE lacks that
 * op: the gateway must not complete that checkpoint (docs/consistency.md section 2.6).
 */
export interface StoredMove extends MoveOp {
  readonly rowKey: string;
  readonly target: bigint;
  /**
   * The member of the pack holding it (compaction-packs.ts), when packed: its row key is then ''
   * and its target the pack's (the highest of the pack's MOVEs).
   */
  readonly pack?: string;
}

/**
 * A CLEAR as the store keeps it: the wire ClearOp, at the member of the last op it replaced, with
 * the number of ops it stands for. That number keeps the bucket's reported count unchanged
 * (the client validates only checksums; `count` feeds its progress, which must not go backwards).
 */
export interface StoredClear extends ClearOp {
  readonly rowKey: string;
  readonly count: number;
  /** Its op id, or the highest target of a MOVE (or CLEAR) it replaced if higher. */
  readonly target: bigint;
}

/**
 * A bucket's op as compaction sees it. Separate from BucketOp on purpose: BucketOpKind stays
 * PUT | REMOVE for the evaluator, the writer and the topic, which never make a MOVE or a CLEAR;
 * only the store and the gateway deal with the compacted forms (the gateway as OplogEntry).
 */
export type CompactableOp = BucketOp | StoredMove | StoredClear;

/** Where the next step of a walk over one bucket continues. */
export type CompactionCursor =
  | {
      readonly phase: 'move';
      readonly safeOpId: bigint;
      /** The last op examined: the walk goes on below it. */
      readonly below: OpPosition;
      /**
       * Row keys seen above `below`, each with the op id of its newest op at or below the safe op
       * id; handed over to the next step, which extends it in place.
       */
      readonly seen: Map<string, bigint>;
    }
  | { readonly phase: 'clear'; readonly safeOpId: bigint };

export interface ClearPlan {
  /** The op id and member of the last op it replaces: a prefix of the bucket ends there. */
  readonly opId: bigint;
  readonly rowKey: string;
  /** Wrapping sum of the replaced ops' checksums (unsigned). */
  readonly checksum: number;
  /** Ops of the original history it stands for (a replaced CLEAR counts as its own count). */
  readonly count: number;
  /** Its op id, or the highest target of a MOVE (or CLEAR) it replaces if higher. */
  readonly target: bigint;
  /**
   * The members it replaces, in bucket order: always the bucket's first ones (a pack is one
   * member, so one pack of MOVEs alone may be replaced).
   */
  readonly replaces: readonly OpPosition[];
}

/** A PUT/REMOVE that becomes a MOVE: the op id of the op that superseded it, and its checksum. */
export interface MovePlan extends OpPosition {
  readonly target: bigint;
  readonly checksum: number;
}

export interface CompactionPlan {
  /**
   * PUT/REMOVE ops that become MOVE. Executed before `clear`, which may replace some of them (a
   * store may skip rewriting the body of an op the CLEAR then deletes).
   */
  readonly moves: readonly MovePlan[];
  readonly clear: ClearPlan | null;
  /**
   * Runs of MOVEs stored as packs, executed after `moves` and `clear` (none of the ops it replaces).
   * Absent or empty: none. A store may skip them: packs change how MOVEs are stored, not what a
   * reader gets.
   */
  readonly packs?: readonly PackPlan[];
  /** Ops this step read (the CLEAR already heading the bucket not counted). */
  readonly examined: number;
  /** Null when nothing is left to do at this safe op id; else pass it to the next step. */
  readonly next: CompactionCursor | null;
}

export interface CompactionOptions {
  /**
   * Only ops at or below it are examined or changed, and only ops at or below it count as
   * superseding. Every client that may still be mid-download must be downloading a checkpoint at
   * or above it, and it must lie below the replay horizon (a replayed op whose member a CLEAR
   * deleted would be added again).
   */
  readonly safeOpId: bigint;
  /** Most ops one step examines (at least 2, so that a step can always merge two ops). */
  readonly limit: number;
}

/** The plan and the compacted ops do not fit together: a caller error, not retriable. */
export class CompactionPlanError extends Error {
  override readonly name = 'CompactionPlanError';
}

export function positionOf(op: CompactableOp): OpPosition {
  if (op.op === 'MOVE' && op.pack !== undefined) return { opId: op.opId, rowKey: '', member: op.pack };
  return op.op === 'MOVE' || op.op === 'CLEAR'
    ? { opId: op.opId, rowKey: op.rowKey }
    : { opId: op.opId, rowKey: rowKeyOf(op.objectType, op.objectId, op.subkey) };
}

/**
 * The store member holding the op at `position`: its text orders ops exactly as the store does
 * (Redis lex order, the memory store's sort). The MOVEs of one pack share their pack's member.
 */
export function memberOf(position: OpPosition): string {
  return position.member ?? opMember(position.opId, position.rowKey);
}

/** Both are MOVEs of one pack: one member, read and replaced together. */
function samePack(a: CompactableOp, b: CompactableOp): boolean {
  return a.op === 'MOVE' && b.op === 'MOVE' && a.pack !== undefined && a.pack === b.pack;
}

/**
 * A run of consecutive ops of one bucket, in member order, with the plans of earlier steps
 * applied: what one bounded read returns (`compactionRead` says which read a step needs).
 */
export interface CompactionWindow {
  readonly ops: readonly CompactableOp[];
  /** The first of `ops` is the bucket's first op (the read reached the head). */
  readonly atHead: boolean;
  /** No op at or below the safe op id follows the last of `ops` in the bucket. */
  readonly atEnd: boolean;
}

/** The one read a step needs; a store returns it as a CompactionWindow. */
export type CompactionRead =
  /** The bucket's first `count` ops at or below `upTo`: atHead, and atEnd when fewer came back. */
  | { readonly from: 'head'; readonly upTo: bigint; readonly count: number }
  /**
   * The `count` ops just below `below` (exclusive), or at or below `upTo` when `below` is null,
   * returned in member order: atHead when fewer came back, atEnd when `below` is null.
   */
  | {
      readonly from: 'below';
      readonly below: OpPosition | null;
      readonly upTo: bigint;
      readonly count: number;
    };

/**
 * The read the step continuing at `from` needs (omit it to start a walk): the walk reads `limit`
 * ops below where it stands, the leading run `limit + 1` ops from the head (a CLEAR heading the
 * bucket is not counted against the limit). So a step costs O(limit), whatever the bucket's size.
 */
export function compactionRead(options: CompactionOptions, from?: CompactionCursor): CompactionRead {
  checkOptions(options, from);
  if (from?.phase === 'clear') return { from: 'head', upTo: options.safeOpId, count: options.limit + 1 };
  return { from: 'below', below: from?.below ?? null, upTo: options.safeOpId, count: options.limit };
}

/**
 * One bounded step of compaction of one bucket. `ops` are the bucket's ops in member order, with
 * the plans of earlier steps applied; `from` is the cursor the previous step returned (omit it to
 * start a walk). First a walk from `safeOpId` down to the bucket's head marks every PUT/REMOVE that
 * a later op of its row key at or below `safeOpId` supersedes; then the leading run of
 * MOVE/REMOVE/CLEAR ops at or below `safeOpId` is merged into one CLEAR. Work per step is
 * O(limit) plus two binary searches; the cursor carries the row keys seen so far. A store that
 * cannot afford to read the whole bucket plans from the window `compactionRead` names instead
 * (`planCompactionWindow`): the steps differ, the bucket they end in does not.
 */
export function planCompaction(
  ops: readonly CompactableOp[],
  options: CompactionOptions,
  from?: CompactionCursor,
): CompactionPlan {
  return planCompactionWindow({ ops, atHead: true, atEnd: true }, options, from);
}

/**
 * One bounded step planned from a window of the bucket: the ops `compactionRead(options, from)`
 * returned (any window holding them works, the whole bucket too). When the window ends before
 * the walk or the leading run does, the plan's cursor says where the next read continues.
 */
export function planCompactionWindow(
  window: CompactionWindow,
  options: CompactionOptions,
  from?: CompactionCursor,
): CompactionPlan {
  checkOptions(options, from);
  checkWindow(window, from);
  const { ops } = window;
  let budget = options.limit;
  const moves: MovePlan[] = [];
  if (from === undefined || from.phase === 'move') {
    const walk = walkDown(window, options, from, moves);
    budget -= walk.examined;
    if (walk.next !== null) {
      const packs = packsOf(window, ops, moves, options.safeOpId);
      return { moves, clear: null, packs, examined: walk.examined, next: walk.next };
    }
  }
  const moved = new Map(moves.map((m) => [memberOf(m), m.target]));
  const run = leadingRun(ops, options.safeOpId, budget, moved, window.atEnd);
  const clear = run.ops.length >= 2 ? clearOf(run.ops) : null;
  const walked = from === undefined || from.phase === 'move';
  return {
    moves,
    clear,
    // Packs after the ops the CLEAR replaces (their members are gone once it is applied).
    packs: walked
      ? packsOf(window, ops.slice(clear === null ? 0 : run.ops.length), moves, options.safeOpId)
      : [],
    examined: options.limit - budget + run.examined,
    next: run.complete ? null : { phase: 'clear', safeOpId: options.safeOpId },
  };
}

/** The packs of (part of) a walked window, as it stands after `moves`. */
function packsOf(
  window: CompactionWindow,
  ops: readonly CompactableOp[],
  moves: readonly MovePlan[],
  safeOpId: bigint,
): PackPlan[] {
  const moved = new Map(moves.map((m) => [memberOf(m), m.target]));
  const after = ops.map((op) => {
    const target = moved.get(memberOf(positionOf(op)));
    return target !== undefined && (op.op === 'PUT' || op.op === 'REMOVE') ? moveOf(op, target) : op;
  });
  // A whole bucket this small keeps Redis's compact encoding: packs of one MOVE only.
  const members = new Set(window.ops.map((op) => memberOf(positionOf(op)))).size;
  const small = window.atHead && window.atEnd && members <= SMALL_BUCKET_MEMBERS;
  return planPacks(after, safeOpId, small ? 1 : PACK_MAX);
}

function checkWindow(window: CompactionWindow, from: CompactionCursor | undefined): void {
  if (from?.phase === 'clear' && !window.atHead)
    throw new RangeError("the leading run is planned from a window that starts at the bucket's head");
  if (window.ops.length === 0 && !window.atHead)
    throw new RangeError('an empty compaction window must be at the head: nothing is below it');
}

function checkOptions(options: CompactionOptions, from: CompactionCursor | undefined): void {
  if (!Number.isSafeInteger(options.limit) || options.limit < 2)
    throw new RangeError(`compaction limit must be an integer of at least 2, got ${options.limit}`);
  if (from !== undefined && from.safeOpId !== options.safeOpId)
    throw new RangeError(
      `a compaction cursor continues the walk at safe op id ${from.safeOpId}, not ${options.safeOpId}: start a new walk`,
    );
}

interface Walk {
  readonly examined: number;
  readonly next: CompactionCursor | null;
}

/**
 * Walks from the newest op at or below the safe op id towards the head: the first op seen of a row
 * key is its current one, every older PUT/REMOVE of that key is superseded and becomes a MOVE.
 * A MOVE is skipped (already superseded), a CLEAR ends the walk (everything below is in it).
 */
function walkDown(
  window: CompactionWindow,
  options: CompactionOptions,
  from: Extract<CompactionCursor, { phase: 'move' }> | undefined,
  moves: MovePlan[],
): Walk {
  const { ops } = window;
  const seen = from?.seen ?? new Map<string, bigint>();
  let i =
    from === undefined
      ? firstIndexAbove(ops, (op) => op.opId > options.safeOpId) - 1
      : firstIndexAbove(ops, (op) => memberOf(positionOf(op)) >= memberOf(from.below)) - 1;
  let examined = 0;
  for (; i >= 0 && examined < options.limit; i--) {
    const op = ops[i]!;
    if (op.op === 'CLEAR') break;
    // A pack is one member: counted once, at its last MOVE (the first the walk meets).
    if (i + 1 < ops.length && samePack(op, ops[i + 1]!)) continue;
    examined++;
    if (op.op === 'MOVE') continue;
    const position = positionOf(op);
    const target = seen.get(position.rowKey);
    if (target !== undefined) moves.push({ ...position, target, checksum: op.checksum >>> 0 });
    else seen.set(position.rowKey, position.opId);
  }
  // Past the window's first op: the head only if the window starts there (else read below it).
  const atHead = i < 0 ? window.atHead : ops[i]!.op === 'CLEAR';
  if (atHead) return { examined, next: null };
  const below = positionOf(ops[i + 1]!);
  return { examined, next: { phase: 'move', safeOpId: options.safeOpId, below, seen } };
}

/** Index of the first op for which `isAbove` holds; `isAbove` must be monotone over `ops`. */
function firstIndexAbove(ops: readonly CompactableOp[], isAbove: (op: CompactableOp) => boolean): number {
  let low = 0;
  let high = ops.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (isAbove(ops[mid]!)) high = mid;
    else low = mid + 1;
  }
  return low;
}

interface LeadingRun {
  /** The run's ops as they are after this step's moves (a PUT moved now counts as a MOVE). */
  readonly ops: readonly CompactableOp[];
  readonly examined: number;
  /**
   * The run ended at a PUT, above the safe op id or at the bucket's end, not at the budget nor at
   * the end of a window that does not reach the safe op id.
   */
  readonly complete: boolean;
}

/**
 * The bucket's first ops that a client may drop: MOVE, REMOVE and CLEAR, at or below the safe op
 * id. A PUT ends the run: its row is live, and a CLEAR before it would delete it from clients.
 * A CLEAR heading the bucket is taken without counting against the budget (it is one op, and a
 * step must be able to extend it).
 */
function leadingRun(
  ops: readonly CompactableOp[],
  safeOpId: bigint,
  budget: number,
  moved: ReadonlyMap<string, bigint>,
  atEnd: boolean,
): LeadingRun {
  const run: CompactableOp[] = [];
  let examined = 0;
  for (const [j, op] of ops.entries()) {
    if (op.opId > safeOpId) return { ops: run, examined, complete: true };
    if (op.op === 'CLEAR' && run.length === 0) {
      run.push(op);
      continue;
    }
    // A pack is one member: counted once, and never split by the budget (a CLEAR takes it whole).
    if (!(j > 0 && samePack(op, ops[j - 1]!))) {
      if (examined >= budget) return { ops: run, examined, complete: false };
      examined++;
    }
    const target = moved.get(memberOf(positionOf(op)));
    if (target === undefined && op.op === 'PUT') return { ops: run, examined, complete: true };
    run.push(target !== undefined && op.op !== 'MOVE' ? moveOf(op, target) : op);
  }
  // Out of ops: the bucket's end, or only the window's (the next step reads on from the head).
  return { ops: run, examined, complete: atEnd };
}

function clearOf(run: readonly CompactableOp[]): ClearPlan {
  let checksum = 0;
  let count = 0;
  const last = positionOf(run[run.length - 1]!);
  let target = last.opId;
  const replaces: OpPosition[] = [];
  for (const [i, op] of run.entries()) {
    checksum = addChecksums(checksum, op.checksum);
    count += op.op === 'CLEAR' ? op.count : 1;
    if ((op.op === 'MOVE' || op.op === 'CLEAR') && op.target > target) target = op.target;
    if (!(i > 0 && samePack(op, run[i - 1]!))) replaces.push(positionOf(op));
  }
  // After a pack, the CLEAR takes the member `<op id>|` of no row: the pack's member is deleted.
  return {
    opId: last.opId,
    rowKey: last.member === undefined ? last.rowKey : '',
    checksum,
    count,
    target,
    replaces,
  };
}

function moveOf(op: CompactableOp, target: bigint): StoredMove {
  const position = positionOf(op);
  return { op: 'MOVE', opId: position.opId, rowKey: position.rowKey, checksum: op.checksum >>> 0, target };
}

/**
 * The bucket's ops with a plan applied, as a store executing it would leave them: each moved op
 * becomes a MOVE at its member with its checksum, the replaced head of the bucket becomes the one
 * CLEAR, and each pack's MOVEs become that pack's. Throws CompactionPlanError when the plan does
 * not fit the ops (a stale plan).
 */
export function applyCompaction(ops: readonly CompactableOp[], plan: CompactionPlan): CompactableOp[] {
  const moved = applyMoves(ops, plan.moves);
  const cleared = plan.clear === null ? moved : withClear(moved, plan.clear);
  return applyPacks(cleared, plan.packs ?? []);
}

function applyMoves(ops: readonly CompactableOp[], plan: readonly MovePlan[]): CompactableOp[] {
  const moves = new Map(plan.map((m) => [memberOf(m), m.target]));
  const out: CompactableOp[] = [];
  for (const op of ops) {
    const member = memberOf(positionOf(op));
    const target = moves.get(member);
    moves.delete(member);
    if (target === undefined) out.push(op);
    else if (op.op === 'PUT' || op.op === 'REMOVE') out.push(moveOf(op, target));
    else throw new CompactionPlanError(`cannot move ${member}: it is a ${op.op}`);
  }
  if (moves.size > 0) throw new CompactionPlanError(`no op to move at ${[...moves].join(', ')}`);
  return out;
}

function withClear(ops: readonly CompactableOp[], clear: ClearPlan): CompactableOp[] {
  let i = 0;
  for (const position of clear.replaces) {
    const member = memberOf(position);
    const start = i;
    for (; i < ops.length && memberOf(positionOf(ops[i]!)) === member; i++)
      if (ops[i]!.op === 'PUT') throw new CompactionPlanError(`a CLEAR cannot replace the PUT ${member}`);
    if (i === start)
      throw new CompactionPlanError(`a CLEAR replaces the bucket's first ops; ${member} is not op ${i}`);
  }
  const stored: StoredClear = {
    op: 'CLEAR',
    opId: clear.opId,
    rowKey: clear.rowKey,
    checksum: clear.checksum,
    count: clear.count,
    target: clear.target,
  };
  return [stored, ...ops.slice(i)];
}

/** Each pack's members, consecutive MOVEs holding exactly its MOVEs, replaced by the pack. */
function applyPacks(ops: readonly CompactableOp[], packs: readonly PackPlan[]): CompactableOp[] {
  let out = [...ops];
  for (const pack of packs) {
    const replaced = new Set(pack.replaces);
    const first = out.findIndex((op) => replaced.has(memberOf(positionOf(op))));
    let end = first;
    while (end >= 0 && end < out.length && replaced.has(memberOf(positionOf(out[end]!)))) end++;
    const run = first < 0 ? [] : out.slice(first, end);
    const fits =
      run.length === pack.moves.length &&
      new Set(run.map((op) => memberOf(positionOf(op)))).size === replaced.size &&
      run.every(
        (op, k) =>
          op.op === 'MOVE' && op.opId === pack.moves[k]!.opId && op.checksum === pack.moves[k]!.checksum,
      ) &&
      !out.slice(end).some((op) => replaced.has(memberOf(positionOf(op))));
    if (!fits)
      throw new CompactionPlanError(`pack ${pack.member.slice(0, 33)} does not fit the bucket's MOVEs`);
    // At its member's place, as a store sorts it: a pack sorts before the other ops of its op id.
    const rest = [...out.slice(0, first), ...out.slice(end)];
    let at = rest.findIndex((op) => memberOf(positionOf(op)) > pack.member);
    if (at < 0) at = rest.length;
    out = [...rest.slice(0, at), ...packedMoves(pack.member, pack.moves, pack.target), ...rest.slice(at)];
  }
  return out;
}
