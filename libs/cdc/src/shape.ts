// Typed readers over parsed JSON that name the path of the offending field when the shape is wrong.
import type { JsonObject, JsonValue } from '@syncline/lossless-json';
import { RecordShapeError } from './malformed';

export function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}

function wrongType(path: string, expected: string, value: JsonValue | undefined): RecordShapeError {
  const reason = value === undefined || value === null ? 'missing-value' : 'wrong-type';
  return new RecordShapeError(reason, `${path}: expected ${expected}, got ${describe(value)}`);
}

export function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function readObject(value: JsonValue | undefined, path: string): JsonObject {
  if (!isObject(value)) throw wrongType(path, 'an object', value);
  return value;
}

export function readObjectOrNull(value: JsonValue | undefined, path: string): JsonObject | null {
  if (value === null) return null;
  return readObject(value, path);
}

export function readString(value: JsonValue | undefined, path: string): string {
  if (typeof value !== 'string') throw wrongType(path, 'a string', value);
  return value;
}

export function readStringOrNull(value: JsonValue | undefined, path: string): string | null {
  if (value === null || value === undefined) return null;
  return readString(value, path);
}

/** An integer that fits a JS number (a bigint here means the value is outside the safe range). */
export function readSafeInteger(value: JsonValue | undefined, path: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(path, 'a safe integer', value);
  return value;
}

export function readSafeIntegerOrNull(value: JsonValue | undefined, path: string): number | null {
  if (value === null || value === undefined) return null;
  return readSafeInteger(value, path);
}

/** Any JSON integer as a bigint (Connect int64 fields). */
export function readInt64(value: JsonValue | undefined, path: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw wrongType(path, 'an integer', value);
}

export function readInt64OrNull(value: JsonValue | undefined, path: string): bigint | null {
  if (value === null || value === undefined) return null;
  return readInt64(value, path);
}

export function readArray(value: JsonValue | undefined, path: string): JsonValue[] {
  if (!Array.isArray(value)) throw wrongType(path, 'an array', value);
  return value;
}
