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
  const parser = new LosslessParser(text);
  const value = parser.value();
  parser.skipSpace();
  if (parser.pos < text.length) parser.fail('Unexpected trailing text');
  return value;
}

// A class rather than nested closures: parsing runs per row, and per-call closures cost.
class LosslessParser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new JsonSyntaxError(message, this.pos);
  }

  skipSpace(): void {
    const text = this.text;
    let pos = this.pos;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) pos++;
      else break;
    }
    this.pos = pos;
  }

  string(): string {
    const text = this.text;
    const start = ++this.pos;
    let end = start;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      end++;
    }
    if (text.charCodeAt(end) === 0x22) {
      this.pos = end + 1;
      return text.slice(start, end);
    }
    // Strings with escapes go through the platform parser, which implements every escape exactly.
    while (end < text.length && text.charCodeAt(end) !== 0x22) {
      if (text.charCodeAt(end) === 0x5c) end++;
      end++;
    }
    if (end >= text.length) this.fail('Unterminated string');
    this.pos = end + 1;
    try {
      return JSON.parse(text.slice(start - 1, end + 1)) as string;
    } catch {
      return this.fail('Invalid string');
    }
  }

  value(): LosslessJson {
    this.skipSpace();
    const text = this.text;
    const c = text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.object();
    if (c === 0x5b /* [ */) return this.array();
    if (c === 0x22 /* " */) return this.string();
    if (text.startsWith('true', this.pos)) {
      this.pos += 4;
      return true;
    }
    if (text.startsWith('false', this.pos)) {
      this.pos += 5;
      return false;
    }
    if (text.startsWith('null', this.pos)) {
      this.pos += 4;
      return null;
    }
    NUMBER.lastIndex = this.pos;
    const match = NUMBER.exec(text);
    if (!match) return this.fail('Unexpected token');
    this.pos += match[0].length;
    if (match[1] === undefined && match[2] === undefined) {
      const small = Number(match[0]);
      return Number.isSafeInteger(small) ? BigInt(small) : BigInt(match[0]);
    }
    return Number(match[0]);
  }

  private object(): LosslessJson {
    this.pos++;
    const result: Record<string, LosslessJson> = {};
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] !== '"') this.fail('Expected a property name');
      const key = this.string();
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail("Expected ':'");
      this.pos++;
      result[key] = this.value();
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') return result;
      if (next !== ',') {
        this.pos--;
        this.fail("Expected ',' or '}'");
      }
    }
  }

  private array(): LosslessJson {
    this.pos++;
    const result: LosslessJson[] = [];
    this.skipSpace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.value());
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') return result;
      if (next !== ',') {
        this.pos--;
        this.fail("Expected ',' or ']'");
      }
    }
  }
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
