// SQLite's five storage classes as values, and SQLite's casts and comparisons between them. INTEGER
// is always a bigint so 64-bit ids survive exactly; REAL is a number; BLOB is a Uint8Array (dropped
// from synced data).

export type SqliteValue = null | bigint | number | string | Uint8Array;
/** A value that can appear in synced JSON data and in bucket names (no blobs). */
export type SqliteJsonValue = null | bigint | number | string;
export type SqliteRow = Record<string, SqliteValue>;
export type SqliteJsonRow = Record<string, SqliteJsonValue>;

export type SqliteType = 'null' | 'integer' | 'real' | 'text' | 'blob';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export function sqliteTypeOf(value: SqliteValue): SqliteType {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'bigint':
      return 'integer';
    case 'number':
      return 'real';
    case 'string':
      return 'text';
    default:
      return 'blob';
  }
}

export function isJsonValue(value: SqliteValue): value is SqliteJsonValue {
  return !(value instanceof Uint8Array);
}

/** Wraps a bigint result back into INTEGER, or REAL when it overflows 64 bits (as SQLite does). */
export function integerOrReal(value: bigint): bigint | number {
  return value < INT64_MIN || value > INT64_MAX ? Number(value) : value;
}

/** SQLite's text rendering of a REAL: always has a decimal point or exponent, 15 significant digits. */
export function realToText(value: number): string {
  if (Number.isNaN(value)) return '';
  if (!Number.isFinite(value)) return value > 0 ? 'Inf' : '-Inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return `${value}.0`;
  const text = String(Number(value.toPrecision(15)));
  if (text.includes('e')) {
    const [mantissa = '', exponent = ''] = text.split('e');
    const m = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${m}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return text.includes('.') ? text : `${text}.0`;
}

export function castAsText(value: SqliteValue): string | null {
  if (value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return realToText(value);
  return utf8Decoder.decode(value);
}

export function textToBlob(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

export function castAsBlob(value: SqliteValue): Uint8Array | null {
  if (value === null) return null;
  if (value instanceof Uint8Array) return value;
  return textToBlob(castAsText(value) ?? '');
}

const NUMERIC_PREFIX = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/;

/** SQLite's CAST(x AS NUMERIC): the longest numeric prefix of a text, INTEGER when it is whole. */
export function castAsNumeric(value: SqliteValue): bigint | number | null {
  if (value === null) return null;
  if (typeof value === 'bigint' || typeof value === 'number') return value;
  const text = typeof value === 'string' ? value : utf8Decoder.decode(value);
  const match = NUMERIC_PREFIX.exec(text);
  if (!match) return 0n;
  const literal = match[0].trim();
  if (/^[+-]?\d+$/.test(literal)) return integerOrReal(BigInt(literal));
  const real = Number(literal);
  if (Number.isInteger(real) && Math.abs(real) <= Number.MAX_SAFE_INTEGER && !/[eE]/.test(literal)) {
    return BigInt(real);
  }
  return real;
}

export function castAsInteger(value: SqliteValue): bigint | null {
  if (value === null) return null;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return realToInteger(value);
  const text = typeof value === 'string' ? value : utf8Decoder.decode(value);
  const match = /^\s*[+-]?\d+/.exec(text);
  if (!match) {
    const numeric = castAsNumeric(text);
    return typeof numeric === 'number' ? realToInteger(numeric) : (numeric ?? 0n);
  }
  const parsed = BigInt(match[0].trim());
  if (parsed > INT64_MAX) return INT64_MAX;
  if (parsed < INT64_MIN) return INT64_MIN;
  return parsed;
}

function realToInteger(value: number): bigint {
  if (Number.isNaN(value)) return 0n;
  if (value >= 2 ** 63) return INT64_MAX;
  if (value <= -(2 ** 63)) return INT64_MIN;
  return BigInt(Math.trunc(value));
}

export function castAsReal(value: SqliteValue): number | null {
  const numeric = castAsNumeric(value);
  return numeric === null ? null : Number(numeric);
}

/** SQLite truthiness: NULL is "unknown" (treated as false by WHERE); numbers are true when non-zero. */
export function isTruthy(value: SqliteValue): boolean {
  if (value === null) return false;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0;
  const numeric = castAsNumeric(value);
  return numeric !== null && numeric !== 0n && numeric !== 0;
}

export function fromBoolean(value: boolean): bigint {
  return value ? 1n : 0n;
}

const TYPE_ORDER: Record<SqliteType, number> = { null: 0, integer: 1, real: 1, text: 2, blob: 3 };

/** Orders two non-null values the way SQLite does without column affinity. */
export function compareValues(a: Exclude<SqliteValue, null>, b: Exclude<SqliteValue, null>): number {
  const ta = TYPE_ORDER[sqliteTypeOf(a)];
  const tb = TYPE_ORDER[sqliteTypeOf(b)];
  if (ta !== tb) return ta - tb;
  if (typeof a === 'bigint' || typeof a === 'number') return compareNumbers(a, b as bigint | number);
  if (typeof a === 'string') {
    const bs = b as string;
    return a < bs ? -1 : a > bs ? 1 : 0;
  }
  return compareBytes(a, b as Uint8Array);
}

function compareNumbers(a: bigint | number, b: bigint | number): number {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  // Mixed INTEGER/REAL: JavaScript's relational operators compare bigint and number exactly.
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Equality used by `=`, IN and lookups: 1 and 1.0 are equal, text never equals a number. */
export function valuesEqual(a: SqliteValue, b: SqliteValue): boolean {
  if (a === null || b === null) return false;
  if (typeof a === typeof b && typeof a !== 'object') return a === b;
  return compareValues(a, b) === 0;
}

/** Canonical form for keys: whole REALs become INTEGERs so that equal numbers give equal keys. */
export function normalizeNumber(value: SqliteJsonValue): SqliteJsonValue {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return value;
}
