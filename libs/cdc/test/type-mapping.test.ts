// Debezium values -> SQLite values, from a record captured from Debezium 3.6.1 (schemas enabled,
// time.precision.mode=isostring, decimal.handling.mode=string) on Postgres 15, decoded as the
// evaluator decodes it: the row schema's columns and the image's values go straight in.
import type { JsonObject, JsonValue } from '@syncline/lossless-json';
import {
  CdcDecoder,
  isMalformed,
  toConnectSchema,
  toSqliteRow,
  toSqliteValue,
  TypeMappingError,
  type ConnectField,
  type TypeMappingOptions,
} from '../src';
import { findRecord } from './fixtures';

const EDITION_1: TypeMappingOptions = { timestampsIso8601: false };
const EDITION_2: TypeMappingOptions = { timestampsIso8601: true };

/** The update of `s1.types` in the schemas-enabled capture: one column of each Postgres type. */
function capturedRow(): { columns: readonly ConnectField[]; after: JsonObject } {
  const event = new CdcDecoder().decodeChange(findRecord('schemas-enabled', 't2.s1.types', 3, '0'));
  if (isMalformed(event) || event.kind !== 'update' || event.rowSchema === null) {
    throw new Error('fixture t2.s1.types/3@0 is not an update with a row schema');
  }
  return { columns: event.rowSchema.columns, after: event.after.values };
}

describe('type mapping', () => {
  const { columns, after } = capturedRow();

  test('maps the captured row for edition 1 (legacy timestamps)', () => {
    const row = toSqliteRow(columns, after, EDITION_1);
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
    const row = toSqliteRow(columns, after, EDITION_2);
    expect([row['ts'], row['tz']]).toEqual(['2024-01-01T10:00:00.123000', '2024-01-01T08:00:00.000000Z']);
  });

  // Schemas as JsonConverter writes them, read with the decoder's toConnectSchema.
  test.each<[JsonObject, JsonValue, unknown]>([
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
  ])('%j: %p -> %p', (json, value, expected) => {
    expect(toSqliteValue(toConnectSchema(json), value, EDITION_1)).toEqual(expected);
  });

  test('refuses an int64 that already lost precision', () => {
    expect(() => toSqliteValue(toConnectSchema({ type: 'int64' }), 2 ** 53 + 2, EDITION_1)).toThrow(
      TypeMappingError,
    );
  });
});
