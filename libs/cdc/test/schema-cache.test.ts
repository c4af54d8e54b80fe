import { CdcDecoder, SchemaCache, type ConnectSchema, type KafkaRecord } from '../src';

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

  test('byte fast path: finds recent schemas by their bytes, including non-ASCII field names', () => {
    const cache = new SchemaCache((s) => s);
    const a = envelope('größe', '{"größe":1}');
    const b = envelope('grösse', '{"grösse":2}');
    // Unknown until the text path has parsed the schema once.
    expect(cache.splitBytes(Buffer.from(a))).toBeUndefined();
    cache.split(a);
    cache.split(b);
    const bytes = Buffer.from(envelope('größe', '{"größe":"ü"}'));
    const hit = cache.splitBytes(bytes)!;
    expect(fieldOf(hit.schema)).toBe('größe');
    expect(bytes.subarray(hit.start, hit.end).toString('utf8')).toBe('{"größe":"ü"}');
    expect(fieldOf(cache.splitBytes(Buffer.from(b))!.schema)).toBe('grösse');
    // Same bytes up to a point, then another schema: no false hit.
    expect(cache.splitBytes(Buffer.from(envelope('größer', '{"größer":1}')))).toBeUndefined();
    expect(cache.splitBytes(Buffer.from(`${a} `))).toBeUndefined();
  });
});

describe('CdcDecoder byte and text paths', () => {
  const record = (value: string | Buffer, offset: number): KafkaRecord => ({
    topic: 'p.s.t',
    partition: 0,
    offset: String(offset),
    key: '{"id":1}',
    value,
  });
  const change = (id: string, payload: string): string =>
    `{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":true,"name":"p.s.t.Value","field":"before"},{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"}],"optional":true,"name":"p.s.t.Value","field":"after"},{"type":"struct","fields":[{"type":"string","optional":false,"field":"schema"},{"type":"string","optional":false,"field":"table"},{"type":"int64","optional":true,"field":"lsn"}],"optional":false,"name":"io.debezium.connector.postgresql.Source","field":"source"},{"type":"string","optional":false,"field":"op"}],"optional":false,"name":"p.s.t.Envelope${id}"},"payload":${payload}}`;
  const payload =
    '{"before":null,"after":{"id":9007199254740993},"source":{"schema":"s","table":"t","lsn":42},"op":"r"}';

  test('decodes a record the same from bytes (cached schema) as from text', () => {
    const decoder = new CdcDecoder();
    const text = decoder.decodeChange(record(change('', payload), 0));
    const bytes = decoder.decodeChange(record(Buffer.from(change('', payload)), 0));
    expect(bytes).toEqual(text);
    expect(decoder.stats.schemaCacheHits).toBe(1);
  });

  test('reports invalid UTF-8 after a cached schema as invalid-utf8', () => {
    const decoder = new CdcDecoder();
    decoder.decodeChange(record(change('', payload), 0));
    const broken = Buffer.concat([
      Buffer.from(change('', payload).slice(0, -3)),
      Buffer.from([0xff, 0x7d, 0x7d]),
    ]);
    expect(decoder.decodeChange(record(broken, 1))).toMatchObject({ reason: 'invalid-utf8' });
  });

  test('a rejected record still names its transaction when the block is readable', () => {
    const decoder = new CdcDecoder();
    const unknownOp = change(
      '',
      '{"before":null,"after":{"id":1},"source":{"schema":"s","table":"t","lsn":77},"transaction":{"id":"12:70","total_order":3,"data_collection_order":1},"op":"x"}',
    );
    const rejected = decoder.decodeChange(record(Buffer.from(unknownOp), 2));
    expect(rejected).toMatchObject({
      reason: 'unknown-op',
      transaction: { xid: 12n, lsn: 77n, totalOrder: 3 },
    });
    const garbage = decoder.decodeChange(record(Buffer.from('not json'), 3));
    expect(garbage).toMatchObject({ reason: 'invalid-json', transaction: null });
  });
});
