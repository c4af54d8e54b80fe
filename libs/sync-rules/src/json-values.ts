// JSON inside SQL: converting JSON values to SQLite values, JSON paths (`$.a[0]`) and the
// `->` / `->>` / json_extract semantics, including the legacy vs fixed `->> 'a.b'` behaviour.
import * as losslessJson from '@syncline/lossless-json';
import type { JsonValue } from '@syncline/lossless-json';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteValue } from '@syncline/sqlite-value';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { parseJsonIntegersAsBigInt, stringifyJson } = losslessJson;
const { castAsText } = sqliteValues;

export type JsonPathStep = string | number;

/** Converts a parsed JSON value to the SQL value `->>`/json_extract return. */
export function jsonToSqlite(value: JsonValue | undefined): SqliteValue {
  if (value === undefined || value === null) return null;
  switch (typeof value) {
    case 'boolean':
      return value ? 1n : 0n;
    case 'bigint':
    case 'number':
    case 'string':
      return value;
    default:
      return stringifyJson(value);
  }
}

// Rows often read several keys of the same JSON columns, and many rows share JSON texts (tags,
// settings): remember recent parses. Parsed values are never mutated, so sharing is safe.
const PARSE_CACHE_SIZE = 64;
const parseCache = new Map<string, JsonValue | undefined>();

/** Parses JSON text from a SQL value; undefined when the value is not valid JSON. */
export function parseJsonValue(value: SqliteValue): JsonValue | undefined {
  const text = typeof value === 'string' ? value : castAsText(value);
  if (text === null) return undefined;
  if (parseCache.has(text)) return parseCache.get(text);
  let parsed: JsonValue | undefined;
  try {
    parsed = parseJsonIntegersAsBigInt(text);
  } catch {
    parsed = undefined;
  }
  if (text.length <= 4096) {
    if (parseCache.size >= PARSE_CACHE_SIZE) parseCache.clear();
    parseCache.set(text, parsed);
  }
  return parsed;
}

/** Parses `$`, `$.a.b`, `$[0]`, `$."a.b"`, `$.a[1].c`; undefined when malformed. */
export function parseJsonPath(path: string): JsonPathStep[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: JsonPathStep[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === '.') {
      i++;
      if (path[i] === '"') {
        const end = path.indexOf('"', i + 1);
        if (end < 0) return undefined;
        steps.push(path.slice(i + 1, end));
        i = end + 1;
      } else {
        let end = i;
        while (end < path.length && path[end] !== '.' && path[end] !== '[') end++;
        if (end === i) return undefined;
        steps.push(path.slice(i, end));
        i = end;
      }
    } else if (c === '[') {
      const end = path.indexOf(']', i);
      if (end < 0) return undefined;
      const inner = path.slice(i + 1, end);
      if (/^\d+$/.test(inner)) steps.push(Number(inner));
      else if (/^#-\d+$/.test(inner)) steps.push(-Number(inner.slice(2)));
      else if (/^".*"$/.test(inner)) steps.push(inner.slice(1, -1));
      else return undefined;
      i = end + 1;
    } else return undefined;
  }
  return steps;
}

export function followPath(
  value: JsonValue | undefined,
  steps: readonly JsonPathStep[],
): JsonValue | undefined {
  let current = value;
  for (const step of steps) {
    if (current === undefined || current === null) return undefined;
    if (typeof step === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[step < 0 ? current.length + step : step];
    } else {
      if (typeof current !== 'object' || Array.isArray(current)) return undefined;
      current = Object.prototype.hasOwnProperty.call(current, step) ? current[step] : undefined;
    }
  }
  return current;
}

/**
 * The path a `->`/`->>` operand selects. A text starting with `$` is a JSON path. Otherwise,
 * with `fixedJsonExtract` it is one object key; without it (legacy) `a.b` means `$.a.b`.
 */
export function memberPath(member: string | number, fixedJsonExtract: boolean): JsonPathStep[] | undefined {
  if (typeof member === 'number') return [member];
  if (member.startsWith('$')) return parseJsonPath(member);
  if (fixedJsonExtract) return [member];
  return parseJsonPath(`$.${member}`);
}

/** `json -> path`: the selected value as JSON text, NULL when absent. */
export function jsonArrow(json: SqliteValue, steps: readonly JsonPathStep[] | undefined): SqliteValue {
  if (json === null || steps === undefined) return null;
  const selected = followPath(parseJsonValue(json), steps);
  return selected === undefined ? null : stringifyJson(selected);
}

/** `json ->> path` / json_extract: the selected value as a SQL value. */
export function jsonArrowText(json: SqliteValue, steps: readonly JsonPathStep[] | undefined): SqliteValue {
  if (json === null || steps === undefined) return null;
  return jsonToSqlite(followPath(parseJsonValue(json), steps));
}

// `bucket.tag IN tags` converts the same array texts row after row: remember the converted
// elements as the parse cache remembers parses. Callers only read the returned arrays.
const elementsCache = new Map<string, readonly SqliteValue[] | undefined>();

/** Elements of a JSON array held in a SQL value, as SQL values; undefined when not an array. */
export function jsonArrayElements(value: SqliteValue): readonly SqliteValue[] | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'string') return arrayElements(parseJsonValue(value));
  const cached = elementsCache.get(value);
  if (cached !== undefined || elementsCache.has(value)) return cached;
  const elements = arrayElements(parseJsonValue(value));
  if (value.length <= 4096) {
    if (elementsCache.size >= PARSE_CACHE_SIZE) elementsCache.clear();
    elementsCache.set(value, elements);
  }
  return elements;
}

function arrayElements(parsed: JsonValue | undefined): readonly SqliteValue[] | undefined {
  return Array.isArray(parsed) ? parsed.map(jsonToSqlite) : undefined;
}
