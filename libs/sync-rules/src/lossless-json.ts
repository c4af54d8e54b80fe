// JSON text <-> values without losing 64-bit integers: integer literals parse to bigint, and
// bigints serialize as exact JSON integers. Used for Debezium payloads, request JSON and op data.

export type LosslessJson =
  null | boolean | bigint | number | string | LosslessJson[] | { [key: string]: LosslessJson };

export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at offset ${offset}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** Parses JSON; integer literals (no fraction, no exponent) become bigint, other numbers number. */
export function parseJsonLossless(text: string): LosslessJson {
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
  };
  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, pos);
  };
  const parseString = (): string => {
    const start = ++pos;
    let simpleEnd = start;
    while (simpleEnd < text.length) {
      const c = text.charCodeAt(simpleEnd);
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      simpleEnd++;
    }
    if (text.charCodeAt(simpleEnd) === 0x22) {
      pos = simpleEnd + 1;
      return text.slice(start, simpleEnd);
    }
    // Strings with escapes go through the platform parser, which implements every escape exactly.
    let end = simpleEnd;
    while (end < text.length && text.charCodeAt(end) !== 0x22) {
      if (text.charCodeAt(end) === 0x5c) end++;
      end++;
    }
    if (end >= text.length) fail('Unterminated string');
    pos = end + 1;
    try {
      return JSON.parse(text.slice(start - 1, end + 1)) as string;
    } catch {
      return fail('Invalid string');
    }
  };
  const parseValue = (): LosslessJson => {
    skipSpace();
    const c = text[pos];
    if (c === '{') {
      pos++;
      const result: Record<string, LosslessJson> = {};
      skipSpace();
      if (text[pos] === '}') {
        pos++;
        return result;
      }
      for (;;) {
        skipSpace();
        if (text[pos] !== '"') fail('Expected a property name');
        const key = parseString();
        skipSpace();
        if (text[pos] !== ':') fail("Expected ':'");
        pos++;
        result[key] = parseValue();
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] === '}') {
          pos++;
          return result;
        } else fail("Expected ',' or '}'");
      }
    }
    if (c === '[') {
      pos++;
      const result: LosslessJson[] = [];
      skipSpace();
      if (text[pos] === ']') {
        pos++;
        return result;
      }
      for (;;) {
        result.push(parseValue());
        skipSpace();
        if (text[pos] === ',') pos++;
        else if (text[pos] === ']') {
          pos++;
          return result;
        } else fail("Expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
    if (text.startsWith('true', pos)) {
      pos += 4;
      return true;
    }
    if (text.startsWith('false', pos)) {
      pos += 5;
      return false;
    }
    if (text.startsWith('null', pos)) {
      pos += 4;
      return null;
    }
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match) return fail('Unexpected token');
    pos += match[0].length;
    if (match[1] === undefined && match[2] === undefined) {
      const small = Number(match[0]);
      return Number.isSafeInteger(small) ? BigInt(small) : BigInt(match[0]);
    }
    return Number(match[0]);
  };
  const value = parseValue();
  skipSpace();
  if (pos < text.length) fail('Unexpected trailing text');
  return value;
}

/** Serializes like JSON.stringify, but bigints become exact integers and Uint8Arrays are omitted. */
export function stringifyJsonLossless(value: unknown): string {
  const out: string[] = [];
  writeValue(value, out);
  return out.join('');
}

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
    value.forEach((item, i) => {
      if (i > 0) out.push(',');
      if (!writeValue(item, out)) out.push('null');
    });
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
