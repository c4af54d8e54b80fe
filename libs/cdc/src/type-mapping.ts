// Debezium row images -> SQLite rows, read through the row's own Connect schema, per the facts
// sheet's Postgres -> SQLite table. Expects the JSON converter with schemas on,
// time.precision.mode=isostring and decimal.handling.mode=string, and payloads parsed with
// @syncline/lossless-json so that int64 values beyond 2^53 arrive as exact bigints.
import { stringifyJson, type JsonObject, type JsonValue } from '@syncline/lossless-json';
import type { SqliteRow, SqliteValue } from '@syncline/sqlite-value';
import { plainConnectSchema, type ConnectField, type ConnectSchema } from './connect-schema';

/** Where the sync-rules editions write values differently; the caller sets it from the rules' config. */
export interface TypeMappingOptions {
  /** Use the ISO `T` separator for timestamps (edition 2 / timestamps_iso8601). */
  readonly timestampsIso8601: boolean;
}

export class TypeMappingError extends Error {
  override readonly name = 'TypeMappingError';
}

/** Maps a `before`/`after` image to a row, one value per column of the row schema. */
export function toSqliteRow(
  columns: readonly ConnectField[],
  values: JsonObject,
  options: TypeMappingOptions,
): SqliteRow {
  const row: SqliteRow = {};
  for (const column of columns) {
    row[column.field] = toSqliteValue(column.schema, values[column.field], options);
  }
  return row;
}

/** Maps one column value (undefined when the image lacks the column). */
export function toSqliteValue(
  schema: ConnectSchema,
  value: JsonValue | undefined,
  options: TypeMappingOptions,
): SqliteValue {
  if (value === null || value === undefined) return null;
  switch (schema.name) {
    case 'io.debezium.time.IsoDate':
      return formatDate(String(value));
    case 'io.debezium.time.IsoTime':
    case 'io.debezium.time.ZonedTime':
      return formatTime(String(value));
    case 'io.debezium.time.IsoTimestamp':
      return formatTimestamp(String(value), options, false);
    case 'io.debezium.time.ZonedTimestamp':
      return formatTimestamp(String(value), options, true);
    case 'io.debezium.time.Date':
      return new Date(Number(value) * 86400000).toISOString().slice(0, 10);
    case 'io.debezium.time.Timestamp':
      return formatEpoch(BigInt(value as number | bigint) * 1000n, options);
    case 'io.debezium.time.MicroTimestamp':
      return formatEpoch(BigInt(value as number | bigint), options);
    case 'io.debezium.data.Json':
    case 'io.debezium.data.Uuid':
    case 'io.debezium.data.Xml':
    case 'io.debezium.data.Enum':
    case 'io.debezium.data.EnumSet':
      return String(value);
  }
  switch (schema.type) {
    case 'int8':
    case 'int16':
    case 'int32':
    case 'int64':
      return toBigInt(value);
    case 'boolean':
      return value === true || value === 'true' ? 1n : 0n;
    case 'float':
    case 'double':
      return Number(value);
    case 'string':
      return String(value);
    case 'bytes':
      return Uint8Array.from(Buffer.from(String(value), 'base64'));
    case 'array':
      return stringifyJson(toJsonArray(schema, value, options));
    case 'struct':
    case 'map':
      return stringifyJson(toJsonElement(schema, value, options));
    default:
      return unsupported(schema.type);
  }
}

/** Every Connect type is handled above; a new one fails the build here before it fails at run time. */
function unsupported(type: never): never {
  throw new TypeMappingError(`Unsupported Connect type '${String(type)}'`);
}

function toBigInt(value: JsonValue): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TypeMappingError(
        `Integer ${value} lost precision: parse payloads with @syncline/lossless-json`,
      );
    }
    return BigInt(value);
  }
  return BigInt(String(value));
}

/** An array schema without `items` (JsonConverter always writes them): elements read as strings. */
const UNTYPED_ITEMS: ConnectSchema = plainConnectSchema('string', true);

function toJsonArray(schema: ConnectSchema, value: JsonValue, options: TypeMappingOptions): JsonValue {
  if (!Array.isArray(value)) return stringOrNull(value);
  const items = schema.items ?? UNTYPED_ITEMS;
  return value.map((item) => toJsonElement(items, item, options));
}

/** Array elements and struct members: JSON natives, with times formatted like columns. */
function toJsonElement(
  schema: ConnectSchema,
  value: JsonValue | undefined,
  options: TypeMappingOptions,
): JsonValue {
  if (value === null || value === undefined) return null;
  if (schema.type === 'array') return toJsonArray(schema, value, options);
  if (schema.type === 'struct' && schema.fields !== null && typeof value === 'object') {
    const out: JsonObject = {};
    for (const member of schema.fields) {
      out[member.field] = toJsonElement(member.schema, (value as JsonObject)[member.field], options);
    }
    return out;
  }
  if (schema.type === 'boolean') return value === true;
  if (schema.type === 'map' || (typeof value === 'object' && !(value instanceof Uint8Array))) return value;
  const mapped = toSqliteValue(schema, value, options);
  if (mapped instanceof Uint8Array) return Buffer.from(mapped).toString('base64');
  return mapped;
}

function stringOrNull(value: JsonValue): JsonValue {
  return value === null ? null : String(value);
}

function stripZone(text: string): string {
  return text.endsWith('Z') || text.endsWith('z') ? text.slice(0, -1) : text;
}

/** `2024-02-29Z` (Debezium's IsoDate) -> `2024-02-29`. */
function formatDate(text: string): string {
  return stripZone(text);
}

/** Fraction padded/truncated to 6 digits (Postgres keeps microseconds). */
function micros(fraction: string | undefined): string {
  return (fraction ?? '').padEnd(6, '0').slice(0, 6);
}

/** `12:34:56.789Z` -> `12:34:56.789000`. */
function formatTime(text: string): string {
  const m = /^(\d{2}:\d{2}:\d{2})(?:\.(\d+))?(.*)$/.exec(text);
  if (!m) return text;
  const zone = m[3] === 'Z' || m[3] === undefined ? '' : m[3];
  return `${m[1]}.${micros(m[2])}${zone}`;
}

const INFINITY_TIMESTAMP = '9999-12-31T23:59:59.999999';
const MINUS_INFINITY_TIMESTAMP = '0000-01-01T00:00:00.000000';

/**
 * Timestamps to `YYYY-MM-DD HH:MM:SS.ffffff` (legacy) or with `T` (timestamps_iso8601);
 * timestamptz (`withZone`) is UTC and keeps a `Z` suffix. Debezium appends `Z` even to
 * timestamps without time zone, which is dropped.
 */
function formatTimestamp(text: string, options: TypeMappingOptions, withZone: boolean): string {
  let normalized: string;
  const lower = text.toLowerCase();
  if (lower === 'infinity' || lower === '+infinity') normalized = INFINITY_TIMESTAMP;
  else if (lower === '-infinity') normalized = MINUS_INFINITY_TIMESTAMP;
  else {
    const m = /^(-?\d{4,}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      text,
    );
    if (!m) return text;
    const [, date, time, fraction, zone] = m;
    if (zone && zone.toUpperCase() !== 'Z') {
      // Not produced by Debezium (it normalizes to UTC), but keep the instant exact if it happens.
      const ms = Date.parse(`${date}T${time}${zone}`);
      const utc = new Date(ms).toISOString();
      normalized = `${utc.slice(0, 19)}.${micros(fraction)}`;
    } else {
      normalized = `${date}T${time}.${micros(fraction)}`;
    }
  }
  const separated = options.timestampsIso8601 ? normalized : normalized.replace('T', ' ');
  return withZone ? `${separated}Z` : separated;
}

function formatEpoch(microsSinceEpoch: bigint, options: TypeMappingOptions): string {
  const ms = Number(microsSinceEpoch / 1000n);
  const fraction = ((microsSinceEpoch % 1000000n) + 1000000n) % 1000000n;
  const iso = new Date(ms).toISOString().slice(0, 19);
  return formatTimestamp(`${iso}.${fraction.toString().padStart(6, '0')}`, options, false);
}
