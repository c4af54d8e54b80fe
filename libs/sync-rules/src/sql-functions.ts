// The scalar SQL functions sync rules may call (facts sheet §5.4), implemented with SQLite
// semantics over SqliteValue. Names are matched case-insensitively by the compiler.
import { stAsGeoJson, stAsText, stX, stY } from './geometry';
import { followPath, jsonArrowText, parseJsonPath, parseJsonValue } from './json-values';
import { stringifyJson } from '@syncline/lossless-json';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteValue } from '@syncline/sqlite-value';
import { datetime, unixepoch } from './time-functions';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { castAsBlob, castAsText, fromBoolean, isTruthy, sqliteTypeOf, textToBlob } = sqliteValues;

export interface SqlFunction {
  minArgs: number;
  maxArgs: number;
  /** Short signature for docs and error messages. */
  signature: string;
  call(args: readonly SqliteValue[]): SqliteValue;
}

function unary(signature: string, f: (value: SqliteValue) => SqliteValue): SqlFunction {
  return { minArgs: 1, maxArgs: 1, signature, call: (args) => f(args[0] ?? null) };
}

function textFunction(signature: string, f: (text: string) => SqliteValue): SqlFunction {
  return unary(signature, (value) => {
    const text = castAsText(value);
    return text === null ? null : f(text);
  });
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

/** SQLite substr(): 1-based, negative start counts from the end, negative length goes left. */
function substring(args: readonly SqliteValue[]): SqliteValue {
  const [value = null, startValue = null, lengthValue] = args;
  if (value === null || startValue === null || lengthValue === null) return null;
  const chars = value instanceof Uint8Array ? Array.from(value) : Array.from(castAsText(value) ?? '');
  let start = Number(startValue);
  let length = lengthValue === undefined ? chars.length + 1 : Number(lengthValue);
  if (start < 0)
    start = Math.max(chars.length + start + 1, lengthValue === undefined ? 1 : start + chars.length + 1);
  if (length < 0) {
    start += length;
    length = -length;
  }
  // Position 0 is before the first character: it eats one unit of the length.
  let from = start - 1;
  if (from < 0) {
    length += from;
    from = 0;
  }
  if (length <= 0) return value instanceof Uint8Array ? new Uint8Array() : '';
  const picked = chars.slice(from, from + length);
  return value instanceof Uint8Array ? Uint8Array.from(picked as number[]) : (picked as string[]).join('');
}

function uuidBlob(value: SqliteValue): SqliteValue {
  const text = castAsText(value);
  if (text === null) return null;
  const hex = text.replace(/[-{}]/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return null;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function instr(args: readonly SqliteValue[]): SqliteValue {
  const [haystack = null, needle = null] = args;
  if (haystack === null || needle === null) return null;
  if (haystack instanceof Uint8Array && needle instanceof Uint8Array) {
    const index = Buffer.from(haystack).indexOf(Buffer.from(needle));
    return BigInt(index + 1);
  }
  const h = castAsText(haystack) ?? '';
  const n = castAsText(needle) ?? '';
  const index = h.indexOf(n);
  return index < 0 ? 0n : BigInt(Array.from(h.slice(0, index)).length + 1);
}

function jsonExtract(args: readonly SqliteValue[]): SqliteValue {
  const [json = null, ...paths] = args;
  if (json === null) return null;
  if (paths.length === 1) return jsonArrowText(json, parseJsonPath(castAsText(paths[0] ?? null) ?? ''));
  // Several paths: SQLite returns a JSON array of the selected values.
  const document = parseJsonValue(json);
  const selected = paths.map((p) => followPath(document, parseJsonPath(castAsText(p) ?? '') ?? []) ?? null);
  return stringifyJson(selected);
}

function jsonArrayLength(args: readonly SqliteValue[]): SqliteValue {
  const [json = null, path] = args;
  if (json === null) return null;
  const steps = path === undefined ? [] : parseJsonPath(castAsText(path) ?? '');
  if (!steps) return null;
  const selected = followPath(parseJsonValue(json), steps);
  if (selected === undefined) return null;
  return Array.isArray(selected) ? BigInt(selected.length) : 0n;
}

function jsonKeys(args: readonly SqliteValue[]): SqliteValue {
  const [json = null, path] = args;
  if (json === null) return null;
  const steps = path === undefined ? [] : parseJsonPath(castAsText(path) ?? '');
  if (!steps) return null;
  const selected = followPath(parseJsonValue(json), steps);
  if (selected === null || typeof selected !== 'object' || Array.isArray(selected)) return null;
  return JSON.stringify(Object.keys(selected));
}

function length(value: SqliteValue): SqliteValue {
  if (value === null) return null;
  if (value instanceof Uint8Array) return BigInt(value.length);
  let count = 0;
  for (const _ of castAsText(value) ?? '') count++;
  return BigInt(count);
}

/** Every scalar function, by lower-case name. */
export const SQL_FUNCTIONS: Readonly<Record<string, SqlFunction>> = {
  upper: textFunction('upper(text) -> text', (t) => t.toUpperCase()),
  lower: textFunction('lower(text) -> text', (t) => t.toLowerCase()),
  substring: {
    minArgs: 2,
    maxArgs: 3,
    signature: 'substring(text, start[, length]) -> text',
    call: substring,
  },
  substr: { minArgs: 2, maxArgs: 3, signature: 'substr(text, start[, length]) -> text', call: substring },
  hex: unary('hex(value) -> text', (v) => (v === null ? '' : toHex(castAsBlob(v) ?? new Uint8Array()))),
  length: unary('length(value) -> integer', length),
  base64: unary('base64(value) -> text', (v) =>
    v === null
      ? null
      : Buffer.from(v instanceof Uint8Array ? v : textToBlob(castAsText(v) ?? '')).toString('base64'),
  ),
  uuid_blob: unary('uuid_blob(text) -> blob', uuidBlob),
  typeof: unary('typeof(value) -> text', sqliteTypeOf),
  ifnull: {
    minArgs: 2,
    maxArgs: 2,
    signature: 'ifnull(a, b)',
    call: ([a = null, b = null]) => (a === null ? b : a),
  },
  iif: {
    minArgs: 3,
    maxArgs: 3,
    signature: 'iif(condition, then, else)',
    call: ([c = null, a = null, b = null]) => (isTruthy(c) ? a : b),
  },
  instr: { minArgs: 2, maxArgs: 2, signature: 'instr(text, search) -> integer', call: instr },
  json_extract: { minArgs: 2, maxArgs: 64, signature: 'json_extract(json, path, ...)', call: jsonExtract },
  json_array_length: {
    minArgs: 1,
    maxArgs: 2,
    signature: 'json_array_length(json[, path]) -> integer',
    call: jsonArrayLength,
  },
  json_valid: unary('json_valid(text) -> integer', (v) =>
    v === null ? null : fromBoolean(typeof v === 'string' && parseJsonValue(v) !== undefined),
  ),
  json_keys: { minArgs: 1, maxArgs: 2, signature: 'json_keys(json[, path]) -> text', call: jsonKeys },
  unixepoch: {
    minArgs: 1,
    maxArgs: 3,
    signature: "unixepoch(time[, 'unixepoch'][, 'subsec'])",
    call: unixepoch,
  },
  datetime: {
    minArgs: 1,
    maxArgs: 3,
    signature: "datetime(time[, 'unixepoch'][, 'subsec'])",
    call: datetime,
  },
  st_asgeojson: unary('st_asgeojson(geometry) -> text', stAsGeoJson),
  st_astext: unary('st_astext(geometry) -> text', stAsText),
  st_x: unary('st_x(point) -> real', stX),
  st_y: unary('st_y(point) -> real', stY),
};

/** Aggregates get their own error: rules are evaluated one row at a time. */
export const AGGREGATE_FUNCTIONS = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'total',
  'group_concat',
  'string_agg',
  'array_agg',
  'json_agg',
  'json_group_array',
  'json_group_object',
]);
