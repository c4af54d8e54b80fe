// parseJson (safe integers as numbers) and parseJsonIntegersAsBigInt (SQLite INTEGERs): exact
// values, positions of errors, and agreement with JSON.parse; stringifyJson round-trips both.
import fc from 'fast-check';
import {
  JsonSyntaxError,
  ownString,
  parseJson,
  parseJsonIntegersAsBigInt,
  stringifyJson,
  type JsonValue,
} from '../src';

describe('parseJson', () => {
  test.each([
    ['9223372036854775807', 9223372036854775807n],
    ['-9223372036854775808', -9223372036854775808n],
    ['9007199254740993', 9007199254740993n],
    ['9007199254740991', 9007199254740991],
    ['-9007199254740991', -9007199254740991],
    ['1795757183307977000', 1795757183307977000n],
    ['123456789012345', 123456789012345],
    ['0', 0],
    ['-0', -0],
    ['1.5', 1.5],
    ['-2.25e3', -2250],
    ['1E2', 100],
    ['12345678901234567890.5', Number('12345678901234567890.5')],
  ])('reads %s exactly', (text, expected) => {
    expect(parseJson(text)).toBe(expected);
  });

  test('keeps int64 extremes exact inside a record', () => {
    const parsed = parseJson('{"after":{"big":9223372036854775807,"small":-9223372036854775808,"n":3}}') as {
      after: Record<string, JsonValue>;
    };
    expect(parsed.after).toEqual({ big: 9223372036854775807n, small: -9223372036854775808n, n: 3 });
  });

  test.each([
    ['"a\\"b"', 'a"b'],
    ['"\\u00e9\\n\\t\\/\\\\"', 'é\n\t/\\'],
    ['"\\ud83d\\ude00"', '😀'],
    ['"plain"', 'plain'],
    ['""', ''],
  ])('decodes the string %s', (text, expected) => {
    expect(parseJson(text)).toBe(expected);
  });

  test('handles escaped and plain strings mixed in one document', () => {
    expect(parseJson('["a","b\\"c","d","e\\\\","f"]')).toEqual(['a', 'b"c', 'd', 'e\\', 'f']);
  });

  test('adds a __proto__ key as a property instead of changing the prototype', () => {
    const parsed = parseJson('{"__proto__":{"polluted":true},"a":1}') as Record<string, JsonValue>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('parses only the requested range', () => {
    const text = 'xx{"a":[1,2]}yy';
    expect(parseJson(text, 2, text.length - 2)).toEqual({ a: [1, 2] });
  });

  test.each([
    ['', 0],
    ['{', 1],
    ['{"a":1', 6],
    ['{"a" 1}', 5],
    ['[1,]', 3],
    ['01', 0],
    ['1.', 2],
    ['-', 1],
    ['"abc', 0],
    ['"\\x"', 1],
    ['{"a":1} x', 8],
    ['tru', 0],
    ['{"a":1}}', 7],
  ])('rejects %j with the position of the error', (text, position) => {
    let error: unknown;
    try {
      parseJson(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(JsonSyntaxError);
    expect((error as JsonSyntaxError).position).toBe(position);
  });

  test('rejects a range whose closing brace lies outside it', () => {
    const text = '{"a":1}';
    expect(() => parseJson(text, 0, text.length - 1)).toThrow(JsonSyntaxError);
  });

  test.each(['"a\nb"', '"tab\there"', '["x\u0001"]'])('rejects the raw control character in %j', (text) => {
    expect(() => parseJson(text)).toThrow(JsonSyntaxError);
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });

  test('rejects nesting deeper than 256 levels instead of overflowing the stack', () => {
    expect(() => parseJson('['.repeat(10000))).toThrow(JsonSyntaxError);
  });

  test('agrees with JSON.parse except that unsafe integer literals become bigints', () => {
    // JSON.stringify writes integral doubles below 1e21 as plain digits, which parseJson reads as
    // integer literals; the expected value converts exactly those.
    const expected = (value: unknown): unknown => {
      if (typeof value === 'number' && !Number.isSafeInteger(value) && Number.isInteger(value)) {
        return String(value).includes('e') ? value : BigInt(String(value));
      }
      if (Array.isArray(value)) return value.map(expected);
      if (value !== null && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, expected(v)]));
      }
      return value;
    };
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        expect(parseJson(text)).toEqual(expected(JSON.parse(text)));
      }),
      { numRuns: 300 },
    );
  });

  test('reads every int64 exactly: a number inside the safe range, a bigint outside', () => {
    fc.assert(
      fc.property(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), (value) => {
        const parsed = parseJson(`[${value}]`) as JsonValue[];
        const safe = value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER);
        expect(parsed[0]).toBe(safe ? Number(value) : value);
      }),
    );
  });

  test('stringifyJson writes what parseJson reads back', () => {
    const value = { a: [1, 'x', null, true], big: -9223372036854775808n, s: 'q"\n' };
    expect(parseJson(stringifyJson(value))).toEqual(value);
  });
});

describe('parseJsonIntegersAsBigInt', () => {
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });

  test.each([
    ['0', 0n],
    ['-0', 0n],
    ['42', 42n],
    ['9223372036854775807', 9223372036854775807n],
    ['1.0', 1],
    ['1e2', 100],
  ])('reads %s as an INTEGER only when it is an integer literal', (text, expected) => {
    expect(parseJsonIntegersAsBigInt(text)).toBe(expected);
  });

  test('parse(stringify(x)) is x for JSON with bigints', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        int64,
        fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
        fc.string(),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (value) => {
        expect(parseJsonIntegersAsBigInt(stringifyJson(value))).toEqual(value);
      }),
    );
  });

  test('agrees with JSON.parse on text without large integers', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        const lossless = parseJsonIntegersAsBigInt(text);
        expect(JSON.parse(stringifyJson(lossless))).toEqual(JSON.parse(text));
      }),
    );
  });
});

describe('stringifyJson', () => {
  test('writes like JSON.stringify for values without bigints or bytes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(stringifyJson(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  test('writes non-finite numbers as null and omits what JSON cannot hold', () => {
    expect(stringifyJson([NaN, Infinity, undefined, new Uint8Array(1)])).toBe('[null,null,null,null]');
    expect(stringifyJson({ a: undefined, b: new Uint8Array(1), c: 1n })).toBe('{"c":1}');
  });

  test('writes own keys only, in JSON.stringify order (integer-like keys first)', () => {
    const value = Object.assign(Object.create({ inherited: 1 }) as Record<string, unknown>, {
      b: 1,
      '2': 'two',
      a: [undefined, 3n],
    });
    expect(stringifyJson(value)).toBe('{"2":"two","b":1,"a":[null,3]}');
  });

  test('writes keys the same the first time, when seen before, and past the quoted-key cache', () => {
    const odd = { 'a"b': 1, 'line\nbreak': 2, '\u2028': 3, '': 4, __proto__x: 5 };
    expect(stringifyJson(odd)).toBe(JSON.stringify(odd));
    expect(stringifyJson(odd)).toBe(JSON.stringify(odd));
    // More distinct keys than the cache keeps: the later ones are quoted each time.
    const many = Object.fromEntries(Array.from({ length: 6000 }, (_, i) => [`k${i}"`, i]));
    expect(stringifyJson(many)).toBe(JSON.stringify(many));
    expect(stringifyJson(many)).toBe(JSON.stringify(many));
    expect(stringifyJson({ empty: {}, one: { x: [] } })).toBe('{"empty":{},"one":{"x":[]}}');
  });
});

describe('ownString', () => {
  test('gives the same characters, short or long, escaped or not', () => {
    const parsed = parseJson(
      '{"short":"r1","long":"0f8fad5b-d9cb-469f-a165-70867728950e","esc":"a\\u00e9 \\"quoted\\" text"}',
    ) as Record<string, string>;
    for (const value of [...Object.values(parsed), '', '🙂'.repeat(20)]) expect(ownString(value)).toBe(value);
  });
});
