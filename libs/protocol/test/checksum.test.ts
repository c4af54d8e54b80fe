import fc from 'fast-check';
import {
  addChecksums,
  opChecksum,
  putChecksum,
  removeChecksum,
  sumChecksums,
  toSignedChecksum,
  toUnsignedChecksum,
} from '../src';

describe('op checksums', () => {
  // Expected values computed independently with Python: struct.unpack('<I', sha256(s).digest()[:4]).
  test.each([
    ['put.todos.t3.{"id":"t3","description":"local","completed":0}', 464738854],
    ['delete.6f1c0d3e-uuid', 3751489596],
    ['put.lists.l1.{"id":"l1","name":"Café ☕"}', 2789901158],
    ['put.t.1.{}', 3095835067],
    ['', 1120186595],
  ])('checksum of %j is %i', (input, expected) => {
    expect(opChecksum(input)).toBe(expected);
  });

  test('builds the PUT and REMOVE inputs from their parts', () => {
    expect(putChecksum('todos', 't3', '{"id":"t3","description":"local","completed":0}')).toBe(464738854);
    expect(removeChecksum('6f1c0d3e-uuid')).toBe(3751489596);
  });
});

describe('bucket checksums', () => {
  const u32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

  test('wrap at 2^32', () => {
    expect(addChecksums(0xffffffff, 2)).toBe(1);
    expect(sumChecksums([0x80000000, 0x80000000, 5])).toBe(5);
    expect(sumChecksums([])).toBe(0);
  });

  test('give the signed form the official service sends and the unsigned form', () => {
    expect(toSignedChecksum(3573495687)).toBe(-721471609);
    expect(toUnsignedChecksum(-721471609)).toBe(3573495687);
    expect(sumChecksums([-1, 2])).toBe(1);
  });

  test('equal the exact sum modulo 2^32', () => {
    fc.assert(
      fc.property(fc.array(u32), (checksums) => {
        const exact = checksums.reduce((sum, c) => sum + BigInt(c), 0n) % 2n ** 32n;
        expect(sumChecksums(checksums)).toBe(Number(exact));
      }),
    );
  });

  test('do not depend on the order of the ops', () => {
    fc.assert(
      fc.property(
        fc.array(u32).chain((a) => fc.tuple(fc.constant(a), fc.shuffledSubarray(a, { minLength: a.length }))),
        ([a, b]) => {
          expect(sumChecksums(b)).toBe(sumChecksums(a));
        },
      ),
    );
  });

  test('round-trip between the signed and unsigned forms', () => {
    fc.assert(
      fc.property(u32, (c) => {
        const signed = toSignedChecksum(c);
        expect(signed).toBeGreaterThanOrEqual(-(2 ** 31));
        expect(signed).toBeLessThan(2 ** 31);
        expect(toUnsignedChecksum(signed)).toBe(c);
        expect(addChecksums(signed, 0)).toBe(c);
      }),
    );
  });
});
