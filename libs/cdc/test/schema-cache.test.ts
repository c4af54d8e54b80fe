import { SchemaCache, type ConnectSchema } from '../src';

const envelope = (field: string, payload: string): string =>
  `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"${field}"}],"optional":false,"name":"t.Value"},"payload":${payload}}`;

describe('SchemaCache', () => {
  const fieldOf = (schema: ConnectSchema | null): string | undefined => schema?.fields?.[0]?.field;

  test('returns the schema of each record when several schemas alternate', () => {
    const cache = new SchemaCache((s) => s);
    const texts = [envelope('a', '{"a":1}'), envelope('bb', '{"bb":2}'), envelope('c', '{"c":3}')];
    const seen = [0, 1, 2, 0, 2, 1, 1, 0].map((i) => cache.split(texts[i] as string));
    expect(seen.map((s) => fieldOf(s.schema))).toEqual(['a', 'bb', 'c', 'a', 'c', 'bb', 'bb', 'a']);
    expect(seen.map((s) => Object.values(s.payload as object)[0])).toEqual([1, 2, 3, 1, 3, 2, 2, 1]);
    expect([cache.misses, cache.hits, cache.size]).toEqual([3, 5, 3]);
  });

  test('stays correct past its bound by dropping the oldest schema', () => {
    const cache = new SchemaCache((s) => s, 1);
    const a = envelope('a', '{"a":1}');
    const b = envelope('b', '{"b":2}');
    expect([a, b, a, a].map((t) => fieldOf(cache.split(t).schema))).toEqual(['a', 'b', 'a', 'a']);
    expect([cache.misses, cache.hits, cache.size]).toEqual([3, 1, 1]);
  });

  test('treats a value without the envelope as a schemaless payload', () => {
    const cache = new SchemaCache((s) => s);
    expect(cache.split('{"schema":1,"payload":2,"x":3}')).toEqual({
      schema: null,
      payload: { schema: 1, payload: 2, x: 3 },
    });
    expect(cache.split('{"schema":null,"payload":{"a":1}}')).toEqual({ schema: null, payload: { a: 1 } });
  });

  test('rejects a schema with an unknown Connect type', () => {
    const cache = new SchemaCache((s) => s);
    expect(() => cache.split('{"schema":{"type":"decimal"},"payload":1}')).toThrow(/unknown type decimal/);
  });
});
