// Debezium (JSON converter, schemas on, time.precision.mode=isostring, decimal.handling.mode=string)
// values -> sync values, per the facts sheet's Postgres -> SQLite table. Parse payloads with
// parseJsonIntegersAsBigInt so int64 values arrive here as exact bigints.
import type { Edition } from './config';
import { stringifyJson, type JsonValue } from '@syncline/lossless-json';
import type { SqliteRow, SqliteValue } from '@syncline/sqlite-value';

/** One entry of a Kafka Connect struct schema's `fields` array. */
export interface ConnectField {
  type: string;
  field?: string;
  optional?: boolean;
  name?: string;
  items?: ConnectField;
  fields?: ConnectField[];
  parameters?: Record<string, string>;
}

export interface TypeMappingOptions {
  /** Use the ISO `T` separator for timestamps (edition 2 / timestamps_iso8601). */
  timestampsIso8601: boolean;
}

export function typeMappingOptions(edition: Edition, timestampsIso8601?: boolean): TypeMappingOptions {
  return { timestampsIso8601: timestampsIso8601 ?? edition >= 2 };
}

export class TypeMappingError extends Error {
  override readonly name = 'TypeMappingError';
}

const INTEGER_TYPES = new Set(['int8', 'int16', 'int32', 'int64']);

/** Maps one column value. `value` is the payload's JSON value (bigints for integers). */
export function toSyncValue(field: ConnectField, value: unknown, options: TypeMappingOptions): SqliteValue {
  if (value === null || value === undefined) return null;
  switch (field.name) {
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
  if (INTEGER_TYPES.has(field.type)) return toBigInt(value);
  switch (field.type) {
    case 'boolean':
      return value === true || value === 'true' ? 1n : 0n;
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      return typeof value === 'bigint' ? Number(value) : Number(value);
    case 'string':
      return String(value);
    case 'bytes':
      return Uint8Array.from(Buffer.from(String(value), 'base64'));
    case 'array':
      return stringifyJson(toJsonArray(field, value, options));
    case 'struct':
    case 'map':
      return stringifyJson(toJsonElement(field, value, options));
    default:
      throw new TypeMappingError(
        `Unsupported Connect type '${field.type}' for column '${field.field ?? '?'}'`,
      );
  }
}

/** Maps a Debezium `before`/`after` payload to a row using the schema's `fields`. */
export function mapDebeziumRow(
  fields: readonly ConnectField[],
  payload: Record<string, unknown>,
  options: TypeMappingOptions,
): SqliteRow {
  const row: SqliteRow = {};
  for (const field of fields) {
    const name = field.field;
    if (name === undefined) continue;
    row[name] = toSyncValue(field, payload[name], options);
  }
  return row;
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new TypeMappingError(`Integer ${value} lost precision: parse payloads with parseJsonLossless`);
    }
    return BigInt(value);
  }
  return BigInt(String(value));
}

function toJsonArray(field: ConnectField, value: unknown, options: TypeMappingOptions): JsonValue {
  if (!Array.isArray(value)) return stringOrNull(value);
  const items = field.items ?? { type: 'string' };
  return value.map((item) => toJsonElement(items, item, options));
}

/** Array elements and struct members: JSON natives, with times formatted like columns. */
function toJsonElement(field: ConnectField, value: unknown, options: TypeMappingOptions): JsonValue {
  if (value === null || value === undefined) return null;
  if (field.type === 'array') return toJsonArray(field, value, options);
  if (field.type === 'struct' && field.fields && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const member of field.fields) {
      if (member.field !== undefined)
        out[member.field] = toJsonElement(member, (value as Record<string, unknown>)[member.field], options);
    }
    return out;
  }
  if (field.type === 'boolean') return value === true;
  if (field.type === 'map' || (typeof value === 'object' && !(value instanceof Uint8Array)))
    return value as JsonValue;
  const mapped = toSyncValue(field, value, options);
  if (mapped instanceof Uint8Array) return Buffer.from(mapped).toString('base64');
  return mapped;
}

function stringOrNull(value: unknown): JsonValue {
  return value === null || value === undefined ? null : String(value);
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
