import {
  CompactionPlanError,
  applyCompaction,
  compactionRead,
  planCompaction,
  planCompactionWindow,
  PACK_MAX,
  planPacks,
  positionOf,
  type StoredMove,
  type CompactableOp,
  type CompactionPlan,
} from '../src';
import { compactFully, put, remove } from './compaction-model';

const BIG = 1_000_000;

/** `op@id:key` per op, so a table reads as the bucket would; `>t` is a MOVE's or CLEAR's target. */
function describeOps(ops: readonly CompactableOp[]): string[] {
  return ops.map((op) => {
    const { rowKey } = positionOf(op);
    if (op.op === 'CLEAR') return `CLEAR@${op.opId}:${op.checksum}/${op.count}>${op.target}`;
    // A packed MOVE has no row key: `*` stands for it.
    const row = rowKey === '' ? '*' : rowKey.split('/')[1];
    return `${op.op}@${op.opId}:${row}${op.op === 'MOVE' ? `:${op.checksum}>${op.target}` : ''}`;
  });
}

describe('planCompaction', () => {
  it.each<[string, CompactableOp[], bigint, string[]]>([
    [
      'moves a PUT that a later PUT of its row supersedes',
      [put(1n, 'a', '1', 10), put(2n, 'b', '2', 20), put(3n, 'a', '3', 30)],
      3n,
      ['MOVE@1:a:10>3', 'PUT@2:b', 'PUT@3:a'],
    ],
    [
      'keeps an op whose superseding op is above the safe op id',
      [put(1n, 'a', '1', 10), put(2n, 'b', '2', 20), put(3n, 'a', '3', 30)],
      2n,
      ['PUT@1:a', 'PUT@2:b', 'PUT@3:a'],
    ],
    [
      'moves a REMOVE that a later PUT of its row supersedes, and keeps the current REMOVE',
      [
        put(1n, 'z', '0', 5),
        put(2n, 'a', '1', 10),
        remove(3n, 'a', 20),
        put(4n, 'a', '2', 30),
        remove(5n, 'z', 7),
      ],
      4n,
      ['PUT@1:z', 'MOVE@2:*:10>4', 'MOVE@3:*:20>4', 'PUT@4:a', 'REMOVE@5:z'],
    ],
    [
      'moves a PUT that a later REMOVE of its row supersedes',
      [
        put(1n, 'z', '0', 5),
        put(2n, 'a', '1', 10),
        remove(3n, 'a', 20),
        put(4n, 'a', '2', 30),
        remove(5n, 'z', 7),
      ],
      5n,
      // The CLEAR's target is the REMOVE at 5 that superseded the PUT at 1 it absorbed.
      ['CLEAR@3:35/3>5', 'PUT@4:a', 'REMOVE@5:z'],
    ],
    [
      'merges the leading MOVE and REMOVE ops into one CLEAR at the last one',
      [put(1n, 'a', '1', 10), remove(2n, 'b', 20), put(3n, 'a', '2', 30), put(4n, 'c', '3', 40)],
      4n,
      ['CLEAR@2:30/2>3', 'PUT@3:a', 'PUT@4:c'],
    ],
    [
      'wraps the CLEAR checksum at 32 bits',
      [put(1n, 'a', '1', 0xffff_fff0), put(2n, 'a', '2', 0x20), put(3n, 'a', '3', 1)],
      3n,
      ['CLEAR@2:16/2>3', 'PUT@3:a'],
    ],
    [
      'makes no CLEAR of a single op',
      [remove(1n, 'b', 20), put(2n, 'a', '1', 10)],
      2n,
      ['REMOVE@1:b', 'PUT@2:a'],
    ],
    [
      'stops the CLEAR at a PUT that shares the op id of the REMOVE before it (one event)',
      [remove(1n, 'x', 1), remove(2n, 'a', 2), put(2n, 'b', '1', 3), remove(2n, 'c', 4)],
      2n,
      ['CLEAR@2:3/2>2', 'PUT@2:b', 'REMOVE@2:c'],
    ],
    [
      'touches nothing above the safe op id',
      [remove(1n, 'x', 1), remove(2n, 'y', 2), put(3n, 'a', '1', 3), put(4n, 'a', '2', 4)],
      0n,
      ['REMOVE@1:x', 'REMOVE@2:y', 'PUT@3:a', 'PUT@4:a'],
    ],
  ])('%s', (_name, ops, safeOpId, expected) => {
    expect(describeOps(compactFully(ops, safeOpId, BIG).ops)).toEqual(expected);
  });

  it('extends a CLEAR heading the bucket with the ops after it', () => {
    const first = compactFully([remove(1n, 'x', 1), remove(2n, 'y', 2), put(3n, 'a', '1', 3)], 3n, BIG).ops;
    const later = [...first, remove(4n, 'a', 4), put(5n, 'b', '1', 5)];
    expect(describeOps(compactFully(later, 5n, BIG).ops)).toEqual(['CLEAR@4:10/4>4', 'PUT@5:b']);
  });

  it('returns where to resume when the limit cuts the walk, and never reads more than the limit', () => {
    const ops = [1n, 2n, 3n, 4n, 5n, 6n].map((id) => put(id, 'a', String(id), Number(id)));
    const first = planCompaction(ops, { safeOpId: 6n, limit: 2 });
    expect(first).toMatchObject({ moves: [{ opId: 5n }], clear: null, examined: 2 });
    expect(first.next).toMatchObject({ phase: 'move', below: { opId: 5n } });
    const { plans } = compactFully(ops, 6n, 2);
    expect(plans.every((p) => p.examined <= 2)).toBe(true);
    expect(plans[plans.length - 1]!.next).toBeNull();
  });

  it('refuses a limit below 2 and a cursor made for another safe op id', () => {
    const ops = [put(1n, 'a', '1', 1), put(2n, 'a', '2', 2), put(3n, 'a', '3', 3)];
    expect(() => planCompaction(ops, { safeOpId: 3n, limit: 1 })).toThrow(RangeError);
    const { next } = planCompaction(ops, { safeOpId: 3n, limit: 2 });
    expect(() => planCompaction(ops, { safeOpId: 2n, limit: 2 }, next!)).toThrow(/start a new walk/);
  });
});

describe('applyCompaction', () => {
  const ops = [put(1n, 'a', '1', 1), put(2n, 'b', '1', 2), put(3n, 'a', '2', 3)];
  const empty: CompactionPlan = { moves: [], clear: null, examined: 0, next: null };

  it('refuses a plan that moves an op the bucket does not hold', () => {
    const plan = { ...empty, moves: [{ opId: 9n, rowKey: 'todos/a/s', target: 10n, checksum: 1 }] };
    expect(() => applyCompaction(ops, plan)).toThrow(CompactionPlanError);
  });

  it('refuses a CLEAR that would replace a PUT or ops not at the head', () => {
    const clear = { opId: 2n, rowKey: 'todos/b/s', checksum: 3, count: 2, target: 2n };
    const overPut = { ...empty, clear: { ...clear, replaces: ops.slice(0, 2).map(positionOf) } };
    expect(() => applyCompaction(ops, overPut)).toThrow(/cannot replace the PUT/);
    const notHead = { ...empty, clear: { ...clear, replaces: ops.slice(1, 3).map(positionOf) } };
    expect(() => applyCompaction(ops, notHead)).toThrow(/first ops/);
  });
});

describe('compactionRead and planCompactionWindow', () => {
  const safe = { safeOpId: 9n, limit: 3 };

  it('reads the limit of ops below where the walk stands, and limit + 1 from the head for the leading run', () => {
    expect(compactionRead(safe)).toEqual({ from: 'below', below: null, upTo: 9n, count: 3 });
    const below = { opId: 5n, rowKey: 'todos/a/s' };
    const walking = { phase: 'move', safeOpId: 9n, below, seen: new Map() } as const;
    expect(compactionRead(safe, walking)).toEqual({ from: 'below', below, upTo: 9n, count: 3 });
    expect(compactionRead(safe, { phase: 'clear', safeOpId: 9n })).toEqual({
      from: 'head',
      upTo: 9n,
      count: 4,
    });
  });

  it('walks on below a full window that is not at the head, instead of taking it for the whole bucket', () => {
    const window = [remove(4n, 'b', 4), put(5n, 'a', '5', 5), put(6n, 'a', '6', 6)];
    const plan = planCompactionWindow({ ops: window, atHead: false, atEnd: true }, safe);
    expect(plan.clear).toBeNull();
    expect(plan.moves.map((m) => m.opId)).toEqual([5n]);
    expect(plan.next).toMatchObject({ phase: 'move', below: { opId: 4n, rowKey: 'todos/b/s' } });
  });

  it('continues the leading run in another step when the window ends before the safe op id', () => {
    const window = [remove(1n, 'b', 1), remove(2n, 'c', 2)];
    const walking = {
      phase: 'move',
      safeOpId: 9n,
      below: { opId: 3n, rowKey: 'todos/d/s' },
      seen: new Map(),
    } as const;
    const wide = { safeOpId: 9n, limit: 5 };
    const plan = planCompactionWindow({ ops: window, atHead: true, atEnd: false }, wide, walking);
    expect(plan.clear?.count).toBe(2);
    expect(plan.next).toEqual({ phase: 'clear', safeOpId: 9n });
  });

  it('refuses a window that cannot be what the step needs', () => {
    expect(() => planCompactionWindow({ ops: [], atHead: false, atEnd: true }, safe)).toThrow(RangeError);
    const window = { ops: [remove(4n, 'b', 4)], atHead: false, atEnd: true };
    expect(() => planCompactionWindow(window, safe, { phase: 'clear', safeOpId: 9n })).toThrow(/head/);
  });
});

describe('planPacks', () => {
  const move = (opId: bigint, target: bigint): StoredMove => ({
    op: 'MOVE',
    opId,
    rowKey: `todos/r${opId}/s`,
    checksum: Number(opId),
    target,
  });
  const moves = (from: number, to: number): StoredMove[] =>
    Array.from({ length: to - from + 1 }, (_, i) => move(BigInt(from + i), 1000n + BigInt(i % 7)));

  it('packs a long run of MOVEs after a PUT into packs of at most PACK_MAX, each with its highest target', () => {
    const packs = planPacks([put(1n, 'a', '1', 1), ...moves(2, 301), put(400n, 'b', '1', 1)], 500n);
    expect(packs.map((p) => p.moves.length)).toEqual([PACK_MAX, PACK_MAX, 300 - 2 * PACK_MAX]);
    expect(packs.every((p) => p.target === 1006n && p.replaces.length === p.moves.length)).toBe(true);
    expect(packs.flatMap((p) => p.moves.map((m) => m.opId))).toEqual(moves(2, 301).map((m) => m.opId));
  });

  it('packs one MOVE at a time when asked (a small bucket), and never past the safe op id', () => {
    const packs = planPacks([put(1n, 'a', '1', 1), ...moves(2, 4), ...moves(5, 6)], 4n, 1);
    expect(packs.map((p) => p.moves.map((m) => m.opId))).toEqual([[2n], [3n], [4n]]);
  });

  it('makes no pack that would sort before an op of its own op id (its member sorts first there)', () => {
    // A PUT at op id 2 before a MOVE at 2: a pack at 2 would sort before the PUT.
    const sameOpId = [put(2n, 'a', '1', 1), move(2n, 9n), put(3n, 'b', '1', 1)];
    expect(planPacks(sameOpId, 9n)).toEqual([]);
    // At a window's start the op before is unknown: MOVEs of one op id stay, two op ids are packed.
    expect(planPacks([move(2n, 9n), put(3n, 'b', '1', 1)], 9n)).toEqual([]);
    expect(planPacks([move(2n, 9n), move(3n, 9n), put(4n, 'b', '1', 1)], 9n)).toHaveLength(1);
  });
});
