// Properties of compaction over random bucket histories (PUT/REMOVE over a few rows and subkeys,
// one or two ops per event sharing its op id), random safe op ids and random step limits. They
// are the invariants docs/consistency.md section 2.6 states.
import fc from 'fast-check';
import type { BucketOp } from '@syncline/protocol';
import { opMember, positionOf, type CompactableOp } from '../src';
import {
  ClientBucket,
  checksumAt,
  compactFully,
  compactInWindows,
  countAt,
  membersOf,
  put,
  remove,
  semantic,
  storedAt,
} from './compaction-model';

const ROWS = ['a', 'b', 'c'].flatMap((id) => ['s1', 's2'].map((subkey) => ({ id, subkey })));

const writeArb = fc.record({
  row: fc.constantFrom(...ROWS),
  kind: fc.constantFrom('PUT', 'REMOVE'),
  checksum: fc.oneof(
    fc.integer({ min: 0, max: 0xffff_ffff }),
    fc.integer({ min: 0xffff_ff00, max: 0xffff_ffff }),
  ),
});
const eventArb = fc.record({
  gap: fc.integer({ min: 1, max: 3 }),
  writes: fc.uniqueArray(writeArb, {
    minLength: 1,
    maxLength: 2,
    selector: (w) => `${w.row.id}/${w.row.subkey}`,
  }),
});

/** A bucket's ops in member order: events at rising op ids, each writing one or two rows. */
const historyArb = fc.array(eventArb, { maxLength: 30 }).map((events) => {
  let opId = 0n;
  const ops: BucketOp[] = [];
  for (const { gap, writes } of events) {
    opId += BigInt(gap);
    for (const { row, kind, checksum } of writes)
      ops.push(
        kind === 'PUT'
          ? put(opId, row.id, `{"v":"${opId}"}`, checksum, row.subkey)
          : remove(opId, row.id, checksum, row.subkey),
      );
  }
  return ops.sort((x, y) => (member(x) < member(y) ? -1 : 1));
});

const member = (op: CompactableOp): string => {
  const { opId, rowKey } = positionOf(op);
  return opMember(opId, rowKey);
};

const lastOpId = (ops: readonly CompactableOp[]): bigint => ops[ops.length - 1]?.opId ?? 0n;

/** A history, a safe op id anywhere from below its first op to above its last, and a step limit. */
const caseArb = historyArb.chain((ops) =>
  fc.record({
    ops: fc.constant(ops),
    safeOpId: fc.bigInt({ min: 0n, max: lastOpId(ops) + 2n }),
    limit: fc.integer({ min: 2, max: 8 }),
  }),
);

/** The checkpoints a client can hold: 0 (new) and every op id (a checkpoint or a resumed download). */
const positions = (ops: readonly CompactableOp[]): bigint[] => [
  ...new Set([0n, ...ops.map((op) => op.opId)]),
];

const upTo = (ops: readonly CompactableOp[], c: bigint) => ops.filter((op) => op.opId <= c);
const after = (ops: readonly CompactableOp[], c: bigint, t: bigint) =>
  ops.filter((op) => op.opId > c && op.opId <= t);

describe('compaction properties', () => {
  it('keeps checksum and count at every checkpoint at or above the CLEAR, and every op above the safe op id', () => {
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const compacted = compactFully(ops, safeOpId, limit).ops;
        const head = compacted[0];
        // The CLEAR's op id bounds what is kept; without a CLEAR every checkpoint keeps its sums.
        const boundary = head?.op === 'CLEAR' ? head.opId : 0n;
        const merged = head?.op === 'CLEAR' ? head.count - 1 : 0;
        expect(boundary).toBeLessThanOrEqual(safeOpId);
        for (let c = boundary; c <= lastOpId(ops) + 1n; c++) {
          expect(checksumAt(compacted, c)).toBe(checksumAt(ops, c));
          expect(countAt(compacted, c)).toBe(countAt(ops, c));
          expect(storedAt(compacted, c)).toBe(storedAt(ops, c) - merged);
        }
        expect(compacted.filter((op) => op.opId > safeOpId)).toEqual(ops.filter((op) => op.opId > safeOpId));
      }),
    );
  });

  it('brings a client from any position of the original history to the rows and checksum of every checkpoint at or above the safe op id', () => {
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const compacted = compactFully(ops, safeOpId, limit).ops;
        for (const t of [...positions(ops), safeOpId].filter((p) => p >= safeOpId)) {
          const reference = new ClientBucket().apply(upTo(ops, t));
          expect(reference.checksum()).toBe(checksumAt(ops, t));
          for (const c of positions(ops).filter((p) => p <= t)) {
            // c = 0 is a new client: it downloads the whole compacted bucket up to t.
            const client = new ClientBucket().apply(upTo(ops, c)).apply(after(compacted, c, t));
            expect(client.rows()).toEqual(reference.rows());
            expect(client.checksum()).toBe(checksumAt(ops, t));
          }
        }
      }),
    );
  });

  it('shows exactly the rows of any checkpoint whose download the gateway may complete, and every checkpoint at or above the safe op id may be completed', () => {
    // The gateway's rule (docs/consistency.md 2.6): a download from c0 up to checkpoint c is
    // completed only if no MOVE or CLEAR it received has a target above c, and the bucket's CLEAR
    // (which deleted ops) is not above c.
    const completes = (compacted: readonly CompactableOp[], c0: bigint, c: bigint): boolean => {
      const head = compacted[0];
      if (head?.op === 'CLEAR' && head.opId > c) return false;
      return after(compacted, c0, c).every((op) =>
        op.op === 'MOVE' || op.op === 'CLEAR' ? op.target <= c : true,
      );
    };
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const compacted = compactFully(ops, safeOpId, limit).ops;
        const checkpoints = [...positions(ops), safeOpId, lastOpId(ops) + 1n];
        for (const c of checkpoints) {
          const reference = new ClientBucket().apply(upTo(ops, c));
          for (const c0 of positions(ops).filter((p) => p <= c)) {
            if (c >= safeOpId) expect(completes(compacted, c0, c)).toBe(true);
            if (!completes(compacted, c0, c)) continue;
            const client = new ClientBucket().apply(upTo(ops, c0)).apply(after(compacted, c0, c));
            expect(client.rows()).toEqual(reference.rows());
            expect(client.checksum()).toBe(checksumAt(ops, c));
          }
        }
      }),
    );
  });

  it('brings a client that synced part of one compaction to the end of the next, at a higher safe op id', () => {
    const roundsArb = caseArb.chain((c) =>
      fc.record({ first: fc.constant(c), second: fc.bigInt({ min: c.safeOpId, max: lastOpId(c.ops) + 2n }) }),
    );
    fc.assert(
      fc.property(roundsArb, ({ first: { ops, safeOpId, limit }, second }) => {
        const once = compactFully(ops, safeOpId, limit).ops;
        const twice = compactFully(once, second, limit).ops;
        const end = lastOpId(ops);
        const reference = new ClientBucket().apply(ops);
        for (const c of positions(ops)) {
          const client = new ClientBucket().apply(upTo(once, c)).apply(after(twice, c, end));
          expect(client.rows()).toEqual(reference.rows());
          expect(client.checksum()).toBe(reference.checksum());
        }
      }),
    );
  });

  it('finds nothing to do on a bucket it compacted (idempotent)', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 2, max: 8 }), ({ ops, safeOpId, limit }, again) => {
        const compacted = compactFully(ops, safeOpId, limit).ops;
        const rerun = compactFully(compacted, safeOpId, again);
        expect(rerun.plans.every((p) => p.moves.length === 0 && p.clear === null)).toBe(true);
        expect(rerun.ops).toEqual(compacted);
      }),
    );
  });

  it('ends in the same bucket whether it runs in small steps or in one', () => {
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const steps = compactFully(ops, safeOpId, limit);
        expect(steps.plans.every((p) => p.examined <= limit)).toBe(true);
        expect(semantic(steps.ops)).toEqual(
          semantic(compactFully(ops, safeOpId, Number.MAX_SAFE_INTEGER).ops),
        );
      }),
    );
  });

  it('ends in the bucket whole-bucket planning gives when every step plans from a bounded window', () => {
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const windowed = compactInWindows(ops, safeOpId, limit);
        expect(windowed.reads.every((n) => n <= limit + 1)).toBe(true);
        expect(windowed.plans.every((p) => p.examined <= limit)).toBe(true);
        expect(semantic(windowed.ops)).toEqual(
          semantic(compactFully(ops, safeOpId, Number.MAX_SAFE_INTEGER).ops),
        );
        // Starting over on the compacted bucket (a new leader) finds nothing to do.
        const again = compactInWindows(windowed.ops, safeOpId, limit);
        expect(again.plans.every((p) => p.moves.length === 0 && p.clear === null)).toBe(true);
      }),
    );
  });

  it('ends in the same bucket when a windowed walk is resumed over a bucket compacted before at a lower safe op id', () => {
    const roundsArb = caseArb.chain((c) =>
      fc.record({ first: fc.constant(c), second: fc.bigInt({ min: c.safeOpId, max: lastOpId(c.ops) + 2n }) }),
    );
    fc.assert(
      fc.property(roundsArb, ({ first: { ops, safeOpId, limit }, second }) => {
        const once = compactInWindows(ops, safeOpId, limit).ops;
        const twice = compactInWindows(once, second, limit).ops;
        const reference = compactFully(compactFully(ops, safeOpId, limit).ops, second, limit).ops;
        expect(semantic(twice)).toEqual(semantic(reference));
      }),
    );
  });

  it('leaves no superseded PUT or REMOVE and no mergeable head at or below the safe op id', () => {
    fc.assert(
      fc.property(caseArb, ({ ops, safeOpId, limit }) => {
        const compacted = upTo(compactFully(ops, safeOpId, limit).ops, safeOpId);
        const rows = compacted.flatMap((op) =>
          op.op === 'PUT' || op.op === 'REMOVE' ? [positionOf(op)] : [],
        );
        expect(new Set(rows.map((p) => p.rowKey)).size).toBe(rows.length);
        const run = compacted.findIndex((op) => op.op === 'PUT');
        expect(run === -1 ? compacted.length : run).toBeLessThanOrEqual(1);
      }),
    );
  });

  it("packs a small bucket's MOVEs one by one, and gives a pack its MOVEs' highest target", () => {
    fc.assert(
      fc.property(caseArb, fc.boolean(), ({ ops, safeOpId, limit }, windowed) => {
        const compacted = (windowed ? compactInWindows : compactFully)(ops, safeOpId, limit).ops;
        const members = membersOf(upTo(compacted, safeOpId));
        const isMove = (m: CompactableOp[]): boolean => m[0]!.op === 'MOVE';
        // Whole-bucket steps see these buckets as small (at most SMALL_BUCKET_MEMBERS members):
        // packs of one MOVE only, so that Redis keeps them in its compact encoding. Windowed
        // steps do not know the bucket's size and pack runs.
        if (!windowed) expect(members.filter(isMove).every((m) => m.length === 1)).toBe(true);
        for (const m of members.filter(isMove)) {
          const targets = m.map((op) => (op.op === 'MOVE' ? op.target : -1n));
          expect(new Set(targets).size).toBe(1);
          expect(targets[0]!).toBeGreaterThanOrEqual(m[m.length - 1]!.opId);
          expect(targets[0]!).toBeLessThanOrEqual(safeOpId);
        }
        expect(semantic(compacted.filter((op) => op.op === 'MOVE'))).toEqual(
          semantic(compactFully(ops, safeOpId, Number.MAX_SAFE_INTEGER).ops.filter((op) => op.op === 'MOVE')),
        );
      }),
    );
  });
});
