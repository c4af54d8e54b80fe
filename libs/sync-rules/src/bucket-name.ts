// Bucket names exactly as PowerSync writes them: `<definition>[<json values>]`, where equal
// numbers serialize the same (1 and 1.0 -> `1`) and 64-bit integers stay exact.
import { parseJsonLossless } from './lossless-json';
import type { SqliteJsonValue } from './sqlite-value';

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
      parsed = parseJsonLossless(name.slice(i));
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
