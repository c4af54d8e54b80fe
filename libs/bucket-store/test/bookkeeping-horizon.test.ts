// The horizons of the bookkeeping trim (docs/consistency.md §2.6, "Bounded bookkeeping"): the
// retention horizon over a history of published checkpoints, the replay horizon from the
// checkpoint and the partitions' transaction lows, and the smaller of the two.
import fc from 'fast-check';
import {
  firstGeneration,
  formatOpId,
  streamOpId,
  transactionCheckpointOpId,
  windowOpId,
} from '@syncline/protocol';
import { RetentionHorizon, bookkeepingHorizon, replayHorizon } from '../src';

const cp = (opId: number, publishedAtMs: number) => ({ lastOpId: String(opId), publishedAtMs });

describe('RetentionHorizon', () => {
  it('has no horizon before a checkpoint is old enough', () => {
    const h = new RetentionHorizon(1000);
    expect(h.horizon(5000)).toBeNull();
    h.observe(cp(10, 4500), 4500);
    expect(h.horizon(5000)).toBeNull();
    expect(h.horizon(5500)).toBe(10n);
  });

  it.each([
    { now: 1999, expected: null },
    { now: 2000, expected: 10n },
    { now: 2999, expected: 10n },
    { now: 3000, expected: 20n },
    { now: 9000, expected: 30n },
  ])('gives the newest checkpoint seen at least the retention before $now', ({ now, expected }) => {
    const h = new RetentionHorizon(1000);
    h.observe(cp(10, 1000), 1000);
    h.observe(cp(20, 2000), 2000);
    h.observe(cp(30, 3000), 3000);
    expect(h.horizon(now)).toBe(expected);
  });

  it('ages a checkpoint from when it was seen when its publisher clock runs behind', () => {
    const h = new RetentionHorizon(1000);
    h.observe(cp(10, 0), 5000);
    expect(h.horizon(5999)).toBeNull();
    expect(h.horizon(6000)).toBe(10n);
  });

  it('ages a checkpoint from its published time when that is later than when it was seen', () => {
    const h = new RetentionHorizon(1000);
    h.observe(cp(10, 7000), 5000);
    expect(h.horizon(7999)).toBeNull();
    expect(h.horizon(8000)).toBe(10n);
  });

  it('never makes a newer checkpoint look older than an older one', () => {
    const h = new RetentionHorizon(1000);
    h.observe(cp(10, 5000), 5000);
    h.observe(cp(20, 1000), 1000);
    expect(h.horizon(6000)).toBe(20n);
  });

  it('ignores a checkpoint that does not move forward', () => {
    const h = new RetentionHorizon(0);
    h.observe(cp(20, 1000), 1000);
    h.observe(cp(10, 2000), 2000);
    h.observe(cp(20, 3000), 3000);
    expect(h.horizon(5000)).toBe(20n);
    expect(h.size).toBe(1);
  });

  it('forgets checkpoints that can no longer be the answer', () => {
    const h = new RetentionHorizon(100);
    for (let i = 1; i <= 50; i++) h.observe(cp(i, i * 10), i * 10);
    expect(h.horizon(500)).toBe(40n);
    expect(h.size).toBe(11);
  });

  it('refuses a negative retention', () => {
    expect(() => new RetentionHorizon(-1)).toThrow(RangeError);
  });

  it('is always a checkpoint seen at least the retention ago, and the newest such (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ step: fc.integer({ min: 1, max: 5 }), dt: fc.integer({ min: 0, max: 50 }) }), {
          maxLength: 40,
        }),
        fc.integer({ min: 0, max: 200 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 5 }),
        (steps, retention, probes) => {
          const h = new RetentionHorizon(retention);
          const seen: Array<{ at: number; opId: bigint }> = [];
          let op = 0;
          let at = 0;
          for (const s of steps) {
            op += s.step;
            at += s.dt;
            h.observe(cp(op, at), at);
            seen.push({ at, opId: BigInt(op) });
          }
          for (const now of [...probes].sort((a, b) => a - b)) {
            const old = seen.filter((e) => e.at <= now - retention);
            expect(h.horizon(now)).toBe(old.length === 0 ? null : old[old.length - 1]!.opId);
          }
        },
      ),
    );
  });
});

describe('replayHorizon', () => {
  const g = firstGeneration({ offsetOrigin: 100n });
  const checkpoint = (endOffset: bigint) => ({
    lastOpId: formatOpId(transactionCheckpointOpId(g, endOffset)),
    endOffset: endOffset.toString(),
  });

  it('is null before the first checkpoint', () => {
    expect(replayHorizon(g, null, [])).toBeNull();
  });

  it('is the checkpoint when no partition may replay an older transaction', () => {
    expect(replayHorizon(g, checkpoint(150n), [])).toBe(transactionCheckpointOpId(g, 150n));
    expect(replayHorizon(g, checkpoint(150n), [151n, 400n])).toBe(transactionCheckpointOpId(g, 150n));
  });

  it('stops below the oldest transaction a partition may replay', () => {
    expect(replayHorizon(g, checkpoint(150n), [140n, 145n])).toBe(windowOpId(g, 140n) - 1n);
    expect(replayHorizon(g, checkpoint(150n), [150n])).toBe(windowOpId(g, 150n) - 1n);
  });

  it('is null when a transaction low lies before the generation', () => {
    expect(replayHorizon(g, checkpoint(150n), [99n])).toBeNull();
  });

  it('separates the transactions a replay may write from those it may not (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 100n, max: 10_000n }),
        fc.array(fc.bigInt({ min: 100n, max: 12_000n }), { maxLength: 4 }),
        fc.bigInt({ min: 100n, max: 12_000n }),
        fc.integer({ min: 1, max: 1000 }),
        (end, lows, tx, order) => {
          const horizon = replayHorizon(g, checkpoint(end), lows)!;
          const start = [end + 1n, ...lows].reduce((a, b) => (a < b ? a : b));
          const opId = streamOpId(g, tx, order);
          // An op of a transaction a reader may still hold is above; one of a pruned one is not.
          expect(opId > horizon).toBe(tx >= start);
          expect(windowOpId(g, tx) > horizon).toBe(tx >= start);
        },
      ),
    );
  });
});

describe('bookkeepingHorizon', () => {
  it.each([
    { replay: null, retention: 5n, expected: null },
    { replay: 5n, retention: null, expected: null },
    { replay: 5n, retention: 7n, expected: 5n },
    { replay: 9n, retention: 7n, expected: 7n },
  ])('is the lower of $replay and $retention', ({ replay, retention, expected }) => {
    expect(bookkeepingHorizon(replay, retention)).toBe(expected);
  });
});
