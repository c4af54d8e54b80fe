// Every operator and function of the rules language, evaluated through a compiled data query.
import { evalExpression } from './helpers';

const wkbPoint = '0101000000000000000000F03F0000000000000040'; // POINT(1 2)

describe('operators and functions', () => {
  test.each([
    // literals and arithmetic
    ['1 + 2', {}, 3n],
    ['7 / 2', {}, 3n],
    ['7.0 / 2', {}, 3.5],
    ['1 / 0', {}, null],
    ['7 % 3', {}, 1n],
    ['-a', { a: 4n }, -4n],
    ['a * 2', { a: 9007199254740993n }, 18014398509481986n],
    ["'3' + 1", {}, 4n],
    ['9223372036854775807 + 1', {}, 9223372036854775808],
    // comparison and logic
    ['1 = 1.0', {}, 1n],
    ["1 = '1'", {}, 0n],
    ['a = 1', { a: null }, null],
    ['2 > 1', {}, 1n],
    ["'b' >= 'a'", {}, 1n],
    ['1 != 2', {}, 1n],
    ['1 <> 1', {}, 0n],
    ['1 < 2 AND 2 < 1', {}, 0n],
    ['1 < 2 OR a', { a: null }, 1n],
    ['NULL AND 1', {}, null],
    ['NOT 0', {}, 1n],
    ['a IS NULL', { a: null }, 1n],
    ['a IS NOT NULL', { a: null }, 0n],
    // text
    ["'a' || 'b' || 1", {}, 'ab1'],
    ["'a' || NULL", {}, null],
    ['upper(name)', { name: 'ab' }, 'AB'],
    ['lower(name)', { name: 'AB' }, 'ab'],
    ["substring('hello', 2, 3)", {}, 'ell'],
    ["substring('hello', -3)", {}, 'llo'],
    ["substr('hello', 0, 2)", {}, 'h'],
    ["length('héllo')", {}, 5n],
    ["instr('hello', 'll')", {}, 3n],
    ["instr('hello', 'z')", {}, 0n],
    ["hex('AB')", {}, '4142'],
    ['hex(b)', { b: new Uint8Array([1, 255]) }, '01FF'],
    ["base64('hi')", {}, 'aGk='],
    ['base64(b)', { b: new Uint8Array([222, 173, 190, 239]) }, '3q2+7w=='],
    ["hex(uuid_blob('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'))", {}, 'A0EEBC999C0B4EF8BB6D6BB9BD380A11'],
    ['length(b)', { b: new Uint8Array([1, 2, 3]) }, 3n],
    // types and casts
    ['typeof(1)', {}, 'integer'],
    ['typeof(1.5)', {}, 'real'],
    ["typeof('x')", {}, 'text'],
    ['typeof(NULL)', {}, 'null'],
    ['typeof(b)', { b: new Uint8Array([1]) }, 'blob'],
    ["CAST('12abc' AS integer)", {}, 12n],
    ["CAST('1.5' AS real)", {}, 1.5],
    ["CAST('2.0' AS numeric)", {}, 2n],
    ['CAST(1.0 AS text)', {}, '1.0'],
    ['CAST(5 AS text)', {}, '5'],
    ['a::text', { a: 7n }, '7'],
    ["typeof(CAST('a' AS blob))", {}, 'blob'],
    // conditionals
    ["ifnull(a, 'd')", { a: null }, 'd'],
    ["iif(a > 1, 'big', 'small')", { a: 5n }, 'big'],
    // IN and JSON arrays
    ["'a' IN tags", { tags: '["a","b"]' }, 1n],
    ["'z' IN tags", { tags: '["a","b"]' }, 0n],
    ['2 IN tags', { tags: '[1,2.0]' }, 1n],
    ["'z' NOT IN tags", { tags: '["a"]' }, 1n],
    ['a IN (1, 2, 3)', { a: 2n }, 1n],
    ['a IN (1, NULL)', { a: 2n }, null],
    ['tags && other', { tags: '["a","b"]', other: '["b"]' }, 1n],
    ['tags && other', { tags: '["a"]', other: '["b"]' }, 0n],
    // JSON
    ["j -> 'a'", { j: '{"a":[1,2]}' }, '[1,2]'],
    ["j ->> 'a'", { j: '{"a":"x"}' }, 'x'],
    ["j ->> 'n'", { j: '{"n":9007199254740993}' }, 9007199254740993n],
    ["j ->> 't'", { j: '{"t":true}' }, 1n],
    ["j ->> '$.a.b'", { j: '{"a":{"b":2}}' }, 2n],
    ["j ->> 'a.b'", { j: '{"a":{"b":2},"a.b":3}' }, 2n],
    ['j -> 1', { j: '[10,20]' }, '20'],
    ["j ->> 'missing'", { j: '{}' }, null],
    ["json_extract(j, '$.a[1]')", { j: '{"a":[1,2]}' }, 2n],
    ["json_extract(j, '$.a', '$.b')", { j: '{"a":1,"b":"x"}' }, '[1,"x"]'],
    ['json_array_length(j)', { j: '[1,2,3]' }, 3n],
    ["json_array_length(j, '$.a')", { j: '{"a":[1]}' }, 1n],
    ['json_valid(j)', { j: '{"a":1}' }, 1n],
    ['json_valid(j)', { j: '{a' }, 0n],
    ['json_keys(j)', { j: '{"a":1,"b":2}' }, '["a","b"]'],
    // time
    ["unixepoch('1970-01-02')", {}, 86400n],
    ["unixepoch('2024-01-01T10:00:00.500Z', 'subsec')", {}, 1704103200.5],
    ["unixepoch('2024-01-01 12:00:00+02:00')", {}, 1704103200n],
    ["datetime(86400, 'unixepoch')", {}, '1970-01-02 00:00:00'],
    ["datetime('2024-01-01T10:00:00.123Z', 'subsec')", {}, '2024-01-01 10:00:00.123'],
    ["unixepoch('not a time')", {}, null],
    // geometry (PostGIS WKB as hex text)
    ['st_astext(g)', { g: wkbPoint }, 'POINT(1 2)'],
    ['st_asgeojson(g)', { g: wkbPoint }, '{"type":"Point","coordinates":[1,2]}'],
    ['st_x(g)', { g: wkbPoint }, 1],
    ['st_y(g)', { g: wkbPoint }, 2],
  ])('%s on %p is %p', (expr, row, expected) => {
    expect(evalExpression(expr, row)).toEqual(expected);
  });

  test('fixed_json_extract (edition 2) treats a dotted key as one key', () => {
    expect(evalExpression("j ->> 'a.b'", { j: '{"a":{"b":2},"a.b":3}' }, 2)).toEqual(3n);
  });

  test('a blob output column is dropped unless converted', () => {
    expect(evalExpression('b', { b: new Uint8Array([1]) })).toBeUndefined();
  });
});
