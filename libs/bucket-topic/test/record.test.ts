import fc from 'fast-check';
import {
  BucketOpKeyError,
  BucketOpRecordError,
  bucketOpKey,
  parseBucketOpKey,
  validateBucketOp,
} from '../src';
import { put, remove } from './ops';

describe('bucketOpKey', () => {
  it('is the JSON array [bucket, objectType, objectId, subkey]', () => {
    expect(
      bucketOpKey({ bucket: 'by_user["u1"]', objectType: 'todos', objectId: '42', subkey: 'todos/42' }),
    ).toBe('["by_user[\\"u1\\"]","todos","42","todos/42"]');
  });

  it('keeps rows apart whose parts contain the separator a joined key would use', () => {
    const a = bucketOpKey({ bucket: 'b|x', objectType: 't', objectId: 'i', subkey: 's' });
    const b = bucketOpKey({ bucket: 'b', objectType: 'x|t', objectId: 'i', subkey: 's' });
    expect(a).not.toBe(b);
  });

  it('round-trips through parseBucketOpKey for any strings (so it is injective)', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.string(),
        fc.string(),
        (bucket, objectType, objectId, subkey) => {
          const key = { bucket, objectType, objectId, subkey };
          expect(parseBucketOpKey(bucketOpKey(key))).toEqual(key);
        },
      ),
    );
  });

  it('is the same for a PUT and the REMOVE of the same row, so compaction replaces one by the other', () => {
    expect(bucketOpKey(put(1n, 'b', '7', { a: 1 }))).toBe(bucketOpKey(remove(2n, 'b', '7')));
  });

  it.each([['not json'], ['["a","b","c"]'], ['["a","b","c",4]'], ['{"bucket":"a"}']])(
    'rejects the key %s',
    (text) => {
      expect(() => parseBucketOpKey(text)).toThrow(BucketOpKeyError);
    },
  );
});

describe('validateBucketOp', () => {
  it('accepts a PUT and a REMOVE with op ids up to 2^63-1', () => {
    expect(() => validateBucketOp(put((1n << 63n) - 1n, 'b', '1', {}))).not.toThrow();
    expect(() => validateBucketOp(remove(0n, 'b', '1'))).not.toThrow();
  });

  it.each([
    ['an op id above int64', { ...put(1n, 'b', '1', {}), opId: 1n << 63n }],
    ['a negative op id', { ...put(1n, 'b', '1', {}), opId: -1n }],
    ['a PUT without data', { ...put(1n, 'b', '1', {}), data: null }],
    ['a REMOVE with data', { ...remove(1n, 'b', '1'), data: '{}' }],
    ['a checksum above u32', { ...put(1n, 'b', '1', {}), checksum: 2 ** 32 }],
    ['a fractional checksum', { ...put(1n, 'b', '1', {}), checksum: 1.5 }],
    ['an empty bucket', { ...put(1n, '', '1', {}) }],
    ['a number op id', { ...put(1n, 'b', '1', {}), opId: 1 as unknown as bigint }],
  ])('rejects %s', (_what, op) => {
    expect(() => validateBucketOp(op)).toThrow(BucketOpRecordError);
  });
});
