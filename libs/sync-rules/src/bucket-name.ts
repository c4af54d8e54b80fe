// Bucket names exactly as PowerSync writes them: `<definition>[<json values>]`, where equal
// numbers serialize the same (1 and 1.0 -> `1`) and 64-bit integers stay exact.
import { parseJsonIntegersAsBigInt } from '@syncline/lossless-json';
import type { SqliteJsonValue } from '@syncline/sqlite-value';

/** One bucket parameter value in its canonical JSON form. */
export function serializeBucketValue(value: SqliteJsonValue): string {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      if (!Number.isFinite(value)) return 'null';
      return Number.isInteger(value) ? BigInt(value).toString() : String(value);
    case 'string':
      return isPlainAscii(value) ? `"${value}"` : JSON.stringify(value);
    default:
      return 'null';
  }
}

/** True when JSON.stringify would only add quotes (printable ASCII without `"` or `\\`). */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

export function serializeBucketName(definition: string, values: readonly SqliteJsonValue[]): string {
  let out = `${definition}[`;
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += serializeBucketValue(values[i] ?? null);
  }
  return `${out}]`;
}

/** Caps memory: a table with millions of owners must not grow the cache without bound. */
const NAME_CACHE_LIMIT = 10_000;

type NameTrie = Map<SqliteJsonValue, NameTrie | string>;

/**
 * serializeBucketName for one definition, memoised by parameter values (a trie, one level per
 * parameter): the same owners, lists and tags recur across rows, and names are built per op.
 * Keys equal under SameValueZero serialize the same, so a hit is always the right name.
 */
export class BucketNameCache {
  private root: NameTrie = new Map();
  private size = 0;
  private readonly noParameters: string;

  constructor(private readonly definition: string) {
    this.noParameters = serializeBucketName(definition, []);
  }

  forTuple(tuple: readonly SqliteJsonValue[]): string {
    const last = tuple.length - 1;
    if (last < 0) return this.noParameters;
    if (this.size >= NAME_CACHE_LIMIT) {
      this.root = new Map();
      this.size = 0;
    }
    let level = this.root;
    for (let i = 0; i < last; i++) {
      const key = tuple[i] ?? null;
      let next = level.get(key) as NameTrie | undefined;
      if (next === undefined) {
        next = new Map();
        level.set(key, next);
      }
      level = next;
    }
    const key = tuple[last] ?? null;
    let name = level.get(key) as string | undefined;
    if (name === undefined) {
      name = serializeBucketName(this.definition, tuple);
      level.set(key, name);
      this.size++;
    }
    return name;
  }
}

export interface ParsedBucketName {
  /** The definition name, including a `<version>#` prefix when versioned bucket ids are on. */
  definition: string;
  /** Parameter values; integers are bigints. */
  parameters: SqliteJsonValue[];
}

export class BucketNameError extends Error {
  override readonly name = 'BucketNameError';
}

/**
 * Inverse of serializeBucketName. The definition is the text before the first `[` whose remainder
 * is a JSON array of scalars, so definition names containing `[` still round-trip.
 */
export function parseBucketName(name: string): ParsedBucketName {
  if (!name.endsWith(']')) throw new BucketNameError(`Not a bucket name: ${JSON.stringify(name)}`);
  for (let i = name.indexOf('['); i >= 0; i = name.indexOf('[', i + 1)) {
    let parsed: unknown;
    try {
      parsed = parseJsonIntegersAsBigInt(name, i);
    } catch {
      continue;
    }
    if (Array.isArray(parsed) && parsed.every(isScalar)) {
      return { definition: name.slice(0, i), parameters: parsed as SqliteJsonValue[] };
    }
  }
  throw new BucketNameError(`Not a bucket name: ${JSON.stringify(name)}`);
}

function isScalar(value: unknown): boolean {
  return value === null || ['bigint', 'number', 'string'].includes(typeof value);
}
