// Writes values as JSON text like JSON.stringify, except that bigints become exact integer
// literals (JSON.stringify throws on them) and byte arrays are omitted like undefined.

/**
 * Serializes like JSON.stringify: non-finite numbers become null, undefined / functions / symbols
 * and Uint8Arrays are omitted from objects and become null in arrays. Bigints stay exact.
 */
export function stringifyJson(value: unknown): string {
  return textOf(value) ?? '';
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Keys whose quoted form is kept; past it, new keys are quoted each time they are written. */
const QUOTED_KEYS_MAX = 4096;

/**
 * `"key":` for each key written so far (up to QUOTED_KEYS_MAX keys): the evaluator writes rows of
 * the same few columns hundreds of thousands of times, and quoting a key anew allocated a string
 * and a join per column per row. A pure function's results, so sharing them is safe.
 */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key) + ':';
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * `value`'s JSON text, or undefined when JSON has no representation for it. Built by string
 * concatenation (V8 joins the pieces lazily) and `for…in` over own keys: an array of pieces and
 * `Object.entries` cost a third more on the evaluator's rows, which it writes several times each.
 */
function textOf(value: unknown): string | undefined {
  switch (typeof value) {
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return undefined;
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + (textOf(value[i]) ?? 'null');
    return out + ']';
  }
  const object = value as Record<string, unknown>;
  let out = '{';
  for (const key in object) {
    if (!hasOwn.call(object, key)) continue;
    const item = textOf(object[key]);
    if (item === undefined) continue;
    out += (out.length > 1 ? ',' : '') + quotedKey(key) + item;
  }
  return out + '}';
}
