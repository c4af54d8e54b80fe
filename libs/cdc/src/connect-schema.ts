// Kafka Connect schemas as JsonConverter writes them ({"schema":...,"payload":...}), the split of
// that envelope, and the cache that parses each distinct schema text once: Debezium repeats the
// same 4 KB schema on every record of a table, so re-parsing it would dominate decoding.
import { parseJson, type JsonObject, type JsonValue } from '@syncline/lossless-json';
import { RecordShapeError } from './malformed';
import { isObject, readArray, readObject, readString } from './shape';

export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float'
  | 'double'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

const CONNECT_TYPES: ReadonlySet<string> = new Set<ConnectType>([
  'int8',
  'int16',
  'int32',
  'int64',
  'float',
  'double',
  'boolean',
  'string',
  'bytes',
  'array',
  'map',
  'struct',
]);

export interface ConnectSchema {
  readonly type: ConnectType;
  readonly optional: boolean;
  /** Logical type name, e.g. `io.debezium.time.ZonedTimestamp`, or the struct's record name. */
  readonly name: string | null;
  readonly version: number | null;
  readonly parameters: Readonly<Record<string, string>> | null;
  /** The schema default, `undefined` when the schema declares none. */
  readonly defaultValue: JsonValue | undefined;
  readonly fields: readonly ConnectField[] | null;
  readonly items: ConnectSchema | null;
  readonly keys: ConnectSchema | null;
  readonly values: ConnectSchema | null;
}

/** A schema of `type` with no name, parameters, default or children. */
export function plainConnectSchema(type: ConnectType, optional: boolean): ConnectSchema {
  return {
    type,
    optional,
    name: null,
    version: null,
    parameters: null,
    defaultValue: undefined,
    fields: null,
    items: null,
    keys: null,
    values: null,
  };
}

export interface ConnectField {
  readonly field: string;
  readonly schema: ConnectSchema;
}

/** Converts JsonConverter's schema JSON into a ConnectSchema; throws RecordShapeError. */
export function toConnectSchema(json: JsonValue, path = 'schema'): ConnectSchema {
  const node = readObject(json, path);
  const type = readString(node.type, `${path}.type`);
  if (!CONNECT_TYPES.has(type))
    throw new RecordShapeError('invalid-schema', `${path}.type: unknown type ${type}`);
  const fields =
    node.fields === undefined
      ? null
      : readArray(node.fields, `${path}.fields`).map((f, i) => {
          const fieldPath = `${path}.fields[${i}]`;
          return {
            field: readString(readObject(f, fieldPath).field, `${fieldPath}.field`),
            schema: toConnectSchema(f, fieldPath),
          };
        });
  const optional = node.optional;
  if (optional !== undefined && typeof optional !== 'boolean') {
    throw new RecordShapeError('invalid-schema', `${path}.optional: expected a boolean`);
  }
  return {
    type: type as ConnectType,
    optional: optional === true,
    name: typeof node.name === 'string' ? node.name : null,
    version: typeof node.version === 'number' ? node.version : null,
    parameters: isObject(node.parameters) ? stringRecord(node.parameters) : null,
    defaultValue: 'default' in node ? node.default : undefined,
    fields,
    items: node.items === undefined ? null : toConnectSchema(node.items, `${path}.items`),
    keys: node.keys === undefined ? null : toConnectSchema(node.keys, `${path}.keys`),
    values: node.values === undefined ? null : toConnectSchema(node.values, `${path}.values`),
  };
}

function stringRecord(node: JsonObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(node)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
}

export function fieldSchema(schema: ConnectSchema | null, name: string): ConnectSchema | null {
  return schema?.fields?.find((f) => f.field === name)?.schema ?? null;
}

/** A record value split into its Connect schema (null when schemas are disabled) and payload. */
export interface SplitEnvelope<T> {
  readonly schema: T | null;
  readonly payload: JsonValue;
}

const SCHEMA_PREFIX = '{"schema":';
const PAYLOAD_SEPARATOR = ',"payload":';

interface CacheEntry<T> {
  readonly text: string;
  readonly derived: T;
  /** UTF-8 bytes of `{"schema":<text>,"payload":`, for the byte-level fast path. */
  readonly head: Buffer;
}

/** Cached schemas tried first by splitBytes (most recently used first). */
const RECENT = 8;

/**
 * Parses each distinct schema text once and keeps what `derive` computes from it. Lookups
 * compare the record text with cached schema texts instead of hashing a 4 KB substring:
 * first against the schema that matched last (records arrive in per-partition batches), then
 * against the schemas of the same text length. Bounded: when full, the oldest entry is dropped.
 */
export class SchemaCache<T> {
  private readonly byLength = new Map<number, CacheEntry<T>[]>();
  private readonly insertionOrder: CacheEntry<T>[] = [];
  private last: CacheEntry<T> | undefined;
  private readonly recent: CacheEntry<T>[] = [];
  hits = 0;
  misses = 0;

  constructor(
    private readonly derive: (schema: ConnectSchema) => T,
    private readonly maxEntries = 512,
  ) {}

  get size(): number {
    return this.insertionOrder.length;
  }

  /**
   * The byte-level fast path: when the record starts with the bytes of a recently used schema,
   * returns that schema and the payload's byte range, without decoding the schema's kilobytes
   * to a string. Undefined when no recent schema matches (then decode the text and call split).
   */
  splitBytes(bytes: Buffer): { schema: T; start: number; end: number } | undefined {
    const end = bytes.length - 1;
    if (end < 0 || bytes[end] !== 0x7d) return undefined;
    for (let i = 0; i < this.recent.length; i++) {
      const entry = this.recent[i]!;
      const n = entry.head.length;
      if (n < end && bytes.compare(entry.head, 0, n, 0, n) === 0) {
        if (i > 0) {
          this.recent.splice(i, 1);
          this.recent.unshift(entry);
        }
        this.hits++;
        return { schema: entry.derived, start: n, end };
      }
    }
    return undefined;
  }

  /** Splits a JSON record text into schema and payload, parsing the schema only on a cache miss. */
  split(text: string): SplitEnvelope<T> {
    if (text.startsWith(SCHEMA_PREFIX)) {
      const entry = this.lookup(text);
      if (entry !== undefined) {
        this.hits++;
        this.last = entry;
        this.useRecent(entry);
        const end = text.length - 1;
        if (text.charCodeAt(end) !== 0x7d)
          throw new RecordShapeError('invalid-json', 'envelope is not closed by }');
        const payloadStart = SCHEMA_PREFIX.length + entry.text.length + PAYLOAD_SEPARATOR.length;
        return { schema: entry.derived, payload: parseJson(text, payloadStart, end) };
      }
    }
    return this.splitSlow(text);
  }

  // JsonConverter writes `{"schema":<schema>,"payload":<payload>}` with no whitespace. A cached
  // schema text followed by `,"payload":` proves the boundary: the cached text is a complete JSON
  // object and JSON objects are prefix-free, so the schema value ends exactly there.
  private lookup(text: string): CacheEntry<T> | undefined {
    if (this.last !== undefined && matches(text, this.last.text)) return this.last;
    // `,"payload":` can occur inside a schema only as an object key (inside strings the quotes are
    // escaped), so try every occurrence until one is the end of a cached schema.
    for (let at = text.indexOf(PAYLOAD_SEPARATOR); at >= 0; at = text.indexOf(PAYLOAD_SEPARATOR, at + 1)) {
      const candidates = this.byLength.get(at - SCHEMA_PREFIX.length);
      const found = candidates?.find((entry) => matches(text, entry.text));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  private splitSlow(text: string): SplitEnvelope<T> {
    const value = parseJson(text);
    if (!isObject(value) || !isEnvelope(value)) return { schema: null, payload: value };
    this.misses++;
    const schema = value.schema === null ? null : this.remember(text, value.schema as JsonValue);
    return { schema, payload: value.payload as JsonValue };
  }

  private remember(text: string, schemaJson: JsonValue): T {
    const derived = this.derive(toConnectSchema(schemaJson));
    // Cache only the canonical layout, whose schema text can be located without parsing.
    const boundary = text.startsWith(SCHEMA_PREFIX) ? schemaEnd(text) : undefined;
    if (boundary === undefined) return derived;
    if (this.insertionOrder.length >= this.maxEntries) this.evictOldest();
    const schemaText = text.slice(SCHEMA_PREFIX.length, boundary);
    const entry = {
      text: schemaText,
      derived,
      head: Buffer.from(SCHEMA_PREFIX + schemaText + PAYLOAD_SEPARATOR, 'utf8'),
    };
    this.insertionOrder.push(entry);
    this.useRecent(entry);
    const sameLength = this.byLength.get(entry.text.length);
    if (sameLength === undefined) this.byLength.set(entry.text.length, [entry]);
    else sameLength.push(entry);
    return derived;
  }

  private useRecent(entry: CacheEntry<T>): void {
    if (this.recent[0] === entry) return;
    const at = this.recent.indexOf(entry);
    if (at >= 0) this.recent.splice(at, 1);
    this.recent.unshift(entry);
    if (this.recent.length > RECENT) this.recent.pop();
  }

  private evictOldest(): void {
    const oldest = this.insertionOrder.shift();
    if (oldest === undefined) return;
    const sameLength = this.byLength.get(oldest.text.length) ?? [];
    const remaining = sameLength.filter((e) => e !== oldest);
    if (remaining.length === 0) this.byLength.delete(oldest.text.length);
    else this.byLength.set(oldest.text.length, remaining);
    if (this.last === oldest) this.last = undefined;
    const at = this.recent.indexOf(oldest);
    if (at >= 0) this.recent.splice(at, 1);
  }
}

function matches(text: string, schemaText: string): boolean {
  // `===` on a slice is a memcmp in V8; startsWith walks characters and is ~100x slower here.
  const end = SCHEMA_PREFIX.length + schemaText.length;
  return text.startsWith(PAYLOAD_SEPARATOR, end) && text.slice(SCHEMA_PREFIX.length, end) === schemaText;
}

function isEnvelope(value: JsonObject): boolean {
  const keys = Object.keys(value);
  return keys.length === 2 && 'schema' in value && 'payload' in value;
}

/** Index of `,"payload":` that ends the schema value starting at SCHEMA_PREFIX.length, if any. */
function schemaEnd(text: string): number | undefined {
  let depth = 0;
  for (let i = SCHEMA_PREFIX.length; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, honouring backslash escapes.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return text.startsWith(PAYLOAD_SEPARATOR, i + 1) ? i + 1 : undefined;
    } else if (depth === 0) {
      return undefined; // schema is not an object (e.g. null)
    }
  }
  return undefined;
}
