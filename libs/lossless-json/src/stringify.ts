// Writes values as JSON text like JSON.stringify, except that bigints become exact integer
// literals (JSON.stringify throws on them) and byte arrays are omitted like undefined.

/**
 * Serializes like JSON.stringify: non-finite numbers become null, undefined / functions / symbols
 * and Uint8Arrays are omitted from objects and become null in arrays. Bigints stay exact.
 */
export function stringifyJson(value: unknown): string {
  const out: string[] = [];
  writeValue(value, out);
  return out.join('');
}

/** Appends `value`; false (nothing appended) when JSON has no representation for it. */
function writeValue(value: unknown, out: string[]): boolean {
  switch (typeof value) {
    case 'bigint':
      out.push(value.toString());
      return true;
    case 'number':
      out.push(Number.isFinite(value) ? String(value) : 'null');
      return true;
    case 'string':
      out.push(JSON.stringify(value));
      return true;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return true;
    case 'undefined':
    case 'function':
    case 'symbol':
      return false;
  }
  if (value === null) {
    out.push('null');
    return true;
  }
  if (value instanceof Uint8Array) return false;
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      if (!writeValue(value[i], out)) out.push('null');
    }
    out.push(']');
    return true;
  }
  out.push('{');
  let first = true;
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const mark = out.length;
    out.push(first ? '' : ',', JSON.stringify(key), ':');
    if (writeValue(item, out)) first = false;
    else out.length = mark;
  }
  out.push('}');
  return true;
}
