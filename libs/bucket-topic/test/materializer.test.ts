import fc from 'fast-check';
import { seededRandom } from '@syncline/test-kit';
import { BucketMaterializer, BucketOpConflictError, type BucketOpRecord } from '../src';
import { put, remove } from './ops';

function rowsOf(m: BucketMaterializer, bucket: string): Array<[string, string]> {
  return m.rows(bucket).map((r) => [r.objectId, r.data]);
}

describe('BucketMaterializer', () => {
  it('keeps the latest PUT of each row per bucket', () => {
    const m = BucketMaterializer.allBuckets();
    m.apply(put(1n, 'b1', '1', { v: 'a' }));
    m.apply(put(2n, 'b1', '2', { v: 'b' }));
    m.apply(put(3n, 'b1', '1', { v: 'c' }));
    m.apply(put(4n, 'b2', '1', { v: 'other bucket' }));
    expect(rowsOf(m, 'b1')).toEqual([
      ['1', '{"v":"c"}'],
      ['2', '{"v":"b"}'],
    ]);
    expect(rowsOf(m, 'b2')).toEqual([['1', '{"v":"other bucket"}']]);
    expect(m.buckets()).toEqual(['b1', 'b2']);
  });

  it('drops a row on REMOVE and brings it back on a later PUT', () => {
    const m = BucketMaterializer.allBuckets();
    m.apply(put(1n, 'b', '1', { v: 1 }));
    expect(m.apply(remove(2n, 'b', '1'))).toBe('applied');
    expect(m.rows('b')).toEqual([]);
    expect(m.apply(put(3n, 'b', '1', { v: 3 }))).toBe('applied');
    expect(rowsOf(m, 'b')).toEqual([['1', '{"v":3}']]);
    expect(m.lastOpId('b')).toBe(3n);
  });

  it('ignores a duplicate (same op id) and reports it', () => {
    const m = BucketMaterializer.allBuckets();
    expect(m.apply(put(5n, 'b', '1', { v: 1 }))).toBe('applied');
    expect(m.apply(put(5n, 'b', '1', { v: 1 }))).toBe('duplicate');
    expect(rowsOf(m, 'b')).toEqual([['1', '{"v":1}']]);
  });

  it('ignores an older PUT replayed after a REMOVE, so a removed row stays removed', () => {
    const m = BucketMaterializer.allBuckets();
    m.apply(put(1n, 'b', '1', { v: 1 }));
    m.apply(remove(2n, 'b', '1'));
    expect(m.apply(put(1n, 'b', '1', { v: 1 }))).toBe('stale');
    expect(m.rows('b')).toEqual([]);
    expect(m.lastOpId('b')).toBe(2n);
  });

  it('compares op ids as 64-bit integers, not as strings or doubles', () => {
    const m = BucketMaterializer.allBuckets();
    const high = (1n << 62n) + 1n;
    m.apply(put(high, 'b', '1', { v: 'new' }));
    expect(m.apply(put(high - 1n, 'b', '1', { v: 'old' }))).toBe('stale');
    expect(m.apply(put(9n, 'b', '2', { v: 'nine' }))).toBe('applied');
    expect(m.apply(put(10n, 'b', '2', { v: 'ten' }))).toBe('applied');
    expect(rowsOf(m, 'b')).toEqual([
      ['1', '{"v":"new"}'],
      ['2', '{"v":"ten"}'],
    ]);
  });

  it('keeps rows with the same object id but different subkeys apart', () => {
    const m = BucketMaterializer.allBuckets();
    m.apply({ ...put(1n, 'b', '1', { from: 'a' }), subkey: 'src_a/1' });
    m.apply({ ...put(2n, 'b', '1', { from: 'b' }), subkey: 'src_b/1' });
    m.apply({ ...remove(3n, 'b', '1'), subkey: 'src_a/1' });
    expect(m.rows('b').map((r) => [r.subkey, r.data])).toEqual([['src_b/1', '{"from":"b"}']]);
  });

  it('rejects the same op id arriving with different contents', () => {
    const m = BucketMaterializer.allBuckets();
    m.apply(put(7n, 'b', '1', { v: 1 }));
    expect(() => m.apply(put(7n, 'b', '1', { v: 2 }))).toThrow(BucketOpConflictError);
  });

  it('forgets a row on a tombstone', () => {
    const m = BucketMaterializer.allBuckets();
    const op = put(1n, 'b', '1', { v: 1 });
    m.apply(op);
    m.forget(op);
    expect(m.rows('b')).toEqual([]);
    expect(m.lastOpId('b')).toBeNull();
  });

  it('materializes only the chosen buckets', () => {
    const m = BucketMaterializer.ofBuckets(['b1']);
    m.apply(put(1n, 'b1', '1', {}));
    expect(m.apply(put(2n, 'b2', '1', {}))).toBe('stale');
    expect(m.buckets()).toEqual(['b1']);
  });

  // Model: the ops of a run in op-id order, then what a consumer may see instead: the same ops
  // shuffled (replays across partitions or after a crash) with some of them repeated.
  it('ends in the same rows for any order and duplication of the same ops', () => {
    const opArb = fc.record({
      bucket: fc.constantFrom('b1', 'b2', 'b3'),
      id: fc.constantFrom('1', '2', '3', '4'),
      remove: fc.boolean(),
      v: fc.integer(),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer(), fc.nat(20), (specs, seed, dupes) => {
        const ops: BucketOpRecord[] = specs.map((s, i) =>
          s.remove ? remove(BigInt(i + 1), s.bucket, s.id) : put(BigInt(i + 1), s.bucket, s.id, { v: s.v }),
        );
        const inOrder = BucketMaterializer.allBuckets();
        for (const op of ops) inOrder.apply(op);

        const replayed = [...ops, ...ops.slice(0, Math.min(dupes, ops.length))];
        const rng = seededRandom(seed);
        for (let i = replayed.length - 1; i > 0; i--) {
          const j = Math.floor(rng() * (i + 1));
          [replayed[i], replayed[j]] = [replayed[j]!, replayed[i]!];
        }
        const shuffled = BucketMaterializer.allBuckets();
        for (const op of replayed) shuffled.apply(op);

        for (const b of ['b1', 'b2', 'b3']) {
          expect(shuffled.rows(b)).toEqual(inOrder.rows(b));
          // The reference: the last op per row in op-id order decides whether the row exists.
          const last = new Map<string, BucketOpRecord>();
          for (const op of ops) if (op.bucket === b) last.set(op.objectId, op);
          const expected = [...last.values()]
            .filter((op) => op.op === 'PUT')
            .map((op) => op.objectId)
            .sort();
          expect(inOrder.rows(b).map((r) => r.objectId)).toEqual(expected);
        }
      }),
    );
  });
});
