// SQLite's casts, truthiness and comparisons on the values sync rules see. The rules' own tests
// (libs/sync-rules/test/functions.test.ts) cover them again through SQL expressions.
import {
  castAsInteger,
  castAsNumeric,
  castAsText,
  compareValues,
  integerOrReal,
  isTruthy,
  valuesEqual,
  type SqliteValue,
} from '../src';

describe('SQLite values', () => {
  test.each<[SqliteValue, string | null]>([
    [null, null],
    [1n, '1'],
    [1, '1.0'],
    [2.5, '2.5'],
    ['x', 'x'],
    [new Uint8Array([0x68, 0x69]), 'hi'],
  ])('CAST(%p AS TEXT) is %p', (value, text) => {
    expect(castAsText(value)).toBe(text);
  });

  test.each<[SqliteValue, bigint | null]>([
    [null, null],
    ['12abc', 12n],
    [' -3 ', -3n],
    ['abc', 0n],
    [3.9, 3n],
    ['99999999999999999999', 9223372036854775807n],
  ])('CAST(%p AS INTEGER) is %p', (value, integer) => {
    expect(castAsInteger(value)).toBe(integer);
  });

  test.each<[SqliteValue, bigint | number | null]>([
    ['3.0', 3n],
    ['  42abc', 42n],
    ['2.5', 2.5],
    ['x', 0n],
  ])('CAST(%p AS NUMERIC) is %p', (value, numeric) => {
    expect(castAsNumeric(value)).toBe(numeric);
  });

  test('an INTEGER result beyond 64 bits becomes a REAL', () => {
    expect(integerOrReal(2n ** 63n)).toBe(9223372036854775808);
    expect(integerOrReal(2n ** 63n - 1n)).toBe(9223372036854775807n);
  });

  test.each<[SqliteValue, boolean]>([
    [null, false],
    [0n, false],
    [0.5, true],
    ['0.0', false],
    ['1abc', true],
  ])('%p is truthy: %p', (value, truthy) => {
    expect(isTruthy(value)).toBe(truthy);
  });

  test('1 equals 1.0, text never equals a number, NULL equals nothing', () => {
    expect(valuesEqual(1n, 1)).toBe(true);
    expect(valuesEqual('1', 1n)).toBe(false);
    expect(valuesEqual(null, null)).toBe(false);
  });

  test('orders numbers before text before blobs, INTEGER and REAL by value', () => {
    const blob = new Uint8Array([0]);
    const sorted = [blob, 'a', 2.5, 3n, 1n].sort(compareValues);
    expect(sorted).toEqual([1n, 2.5, 3n, 'a', blob]);
  });
});
