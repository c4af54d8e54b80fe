// The one-shot digests against the published test vectors (FIPS 180 "abc") and non-ASCII input,
// which both algorithms must read as UTF-8.
import { createHash } from 'node:crypto';
import { digestOf, hexDigestOf } from '../src';

describe('digests', () => {
  test('match the FIPS 180 vectors for "abc"', () => {
    expect(hexDigestOf('sha1', 'abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(hexDigestOf('sha256', 'abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(digestOf('sha256', 'abc').toString('hex')).toBe(hexDigestOf('sha256', 'abc'));
  });

  test('read the input as UTF-8', () => {
    for (const input of ['', 'é', '🙂 rows/r1', 'public.items/r123456']) {
      for (const algorithm of ['sha1', 'sha256'] as const) {
        const expected = createHash(algorithm).update(Buffer.from(input, 'utf8')).digest('hex');
        expect(hexDigestOf(algorithm, input)).toBe(expected);
        expect(digestOf(algorithm, input).toString('hex')).toBe(expected);
      }
    }
  });
});
