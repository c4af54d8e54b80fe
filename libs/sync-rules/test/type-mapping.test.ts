// Debezium values -> sync values, from a record captured from Debezium 3.6.1 (schemas enabled,
// time.precision.mode=isostring, decimal.handling.mode=string) on Postgres 15.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapDebeziumRow, toSyncValue, typeMappingOptions, TypeMappingError, type ConnectField } from '../src';
import { parseJsonIntegersAsBigInt } from '@syncline/lossless-json';

/** Fixture line: `topic partition offset key value headers`; the value is the 5th field. */
function capturedRecord(): { fields: ConnectField[]; after: Record<string, unknown> } {
  const line = readFileSync(join(__dirname, 'fixtures', 'debezium-types-record.txt'), 'utf8').trim();
  const valueStart = line.indexOf('{"schema"');
  const valueEnd = line.lastIndexOf(' {"__debezium');
  const value = parseJsonIntegersAsBigInt(line.slice(valueStart, valueEnd)) as unknown as {
    schema: { fields: { field: string; fields: ConnectField[] }[] };
    payload: { after: Record<string, unknown> };
  };
  const afterSchema = value.schema.fields.find((f) => f.field === 'after');
  return { fields: afterSchema?.fields ?? [], after: value.payload.after };
}

describe('type mapping', () => {
  const { fields, after } = capturedRecord();

  test('maps the captured row for edition 1 (legacy timestamps)', () => {
    const row = mapDebeziumRow(fields, after, typeMappingOptions(1));
    expect(row).toEqual({
      id: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      b: 0n,
      i2: 7n,
      i8: 9007199254740993n,
      f4: 1.5,
      f8: 2.25,
      n: '12345678901234567890.123456789',
      n2: '1.500',
      t: '12:34:56.789000',
      tz: '2024-01-01 08:00:00.000000Z',
      ts: '2024-01-01 10:00:00.123000',
      d: '2024-02-29',
      j: '{"a":[1,2]}',
      jb: '{"b": true}',
      arr: '[1,2,3]',
      by: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
      iv: 93600000000n,
      e: null,
    });
  });

  test('edition 2 (timestamps_iso8601) uses the T separator', () => {
    const row = mapDebeziumRow(fields, after, typeMappingOptions(2));
    expect([row['ts'], row['tz']]).toEqual(['2024-01-01T10:00:00.123000', '2024-01-01T08:00:00.000000Z']);
  });

  test.each<[ConnectField, unknown, unknown]>([
    [{ type: 'boolean' }, true, 1n],
    [{ type: 'int64' }, 9223372036854775807n, 9223372036854775807n],
    [{ type: 'int32' }, -5, -5n],
    [{ type: 'double' }, 3n, 3],
    [{ type: 'string', name: 'io.debezium.time.ZonedTimestamp' }, 'infinity', '9999-12-31 23:59:59.999999Z'],
    [
      { type: 'string', name: 'io.debezium.time.IsoTimestamp' },
      '2024-01-01T10:00:00Z',
      '2024-01-01 10:00:00.000000',
    ],
    [
      { type: 'array', items: { type: 'string', name: 'io.debezium.time.IsoDate' } },
      ['2024-01-01Z', null],
      '["2024-01-01",null]',
    ],
    [{ type: 'array', items: { type: 'boolean' } }, [true, false], '[true,false]'],
    [{ type: 'array', items: { type: 'int64' } }, [9007199254740993n], '[9007199254740993]'],
    [{ type: 'int32', name: 'io.debezium.time.Date' }, 19723, '2024-01-01'],
    [
      { type: 'int64', name: 'io.debezium.time.MicroTimestamp' },
      1704103200123456n,
      '2024-01-01 10:00:00.123456',
    ],
    [{ type: 'struct', fields: [{ type: 'int32', field: 'x' }] }, { x: 1n }, '{"x":1}'],
    [{ type: 'string' }, null, null],
  ])('%j: %p -> %p', (field, value, expected) => {
    expect(toSyncValue(field, value, typeMappingOptions(1))).toEqual(expected);
  });

  test('refuses an int64 that already lost precision', () => {
    expect(() => toSyncValue({ type: 'int64', field: 'i8' }, 2 ** 53 + 2, typeMappingOptions(1))).toThrow(
      TypeMappingError,
    );
  });
});
