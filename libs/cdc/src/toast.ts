// Unchanged TOAST columns: Debezium cannot see them (REPLICA IDENTITY DEFAULT) and writes the
// `unavailable.value.placeholder` instead. The evaluator must fill them from its stored row.
import type { JsonObject, JsonValue } from '@syncline/lossless-json';
import type { ConnectSchema } from './connect-schema';

export const DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER = '__debezium_unavailable_value';

export interface ToastPlaceholders {
  /** The connector's `unavailable.value.placeholder` (text form). */
  readonly text: string;
  /** The same placeholder as `bytea` columns carry it: base64 of its bytes (binary.handling.mode=bytes). */
  readonly base64: string;
}

export function toastPlaceholders(text = DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER): ToastPlaceholders {
  return { text, base64: Buffer.from(text, 'utf8').toString('base64') };
}

/**
 * Names of the columns of `row` that hold the placeholder. Text and jsonb columns carry the
 * string itself, bytea columns its base64 bytes, text arrays a one-element list, hstore (map mode)
 * a one-entry map. With a schema, the base64 form is only recognised on `bytes` columns.
 */
export function unavailableColumns(
  row: JsonObject,
  placeholders: ToastPlaceholders,
  rowSchema: ReadonlyMap<string, ConnectSchema> | null,
): string[] {
  const found: string[] = [];
  for (const column in row) {
    if (isPlaceholder(row[column] as JsonValue, placeholders, rowSchema?.get(column) ?? null))
      found.push(column);
  }
  return found;
}

function isPlaceholder(value: JsonValue, p: ToastPlaceholders, schema: ConnectSchema | null): boolean {
  if (typeof value === 'string') {
    if (value === p.text) return schema === null || schema.type !== 'bytes';
    return value === p.base64 && (schema === null || schema.type === 'bytes');
  }
  if (Array.isArray(value)) return value.length === 1 && value[0] === p.text;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 1 && keys[0] === p.text && value[p.text] === p.text;
  }
  return false;
}
