// A small JSON parser that keeps 64-bit integers exact, in two flavours: parseJson (an integer
// literal outside Number.MAX_SAFE_INTEGER becomes a bigint, other numbers stay numbers) and
// parseJsonIntegersAsBigInt (every integer literal is a bigint, as SQLite's INTEGER needs).
// Hand-written because JSON.parse on Node 20 cannot see a number's source text, and the
// general-purpose lossless parsers are several times slower than this on Debezium records.

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A syntax error with the character position where parsing stopped. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    readonly detail: string,
    readonly position: number,
  ) {
    super(`${detail} at position ${position}`);
  }
}

const MAX_DEPTH = 256;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = -MAX_SAFE;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const DOT = 0x2e;

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Turns an integer literal `text[start, end)` (no fraction, no exponent) into a value. */
type IntegerReader = (
  text: string,
  start: number,
  end: number,
  digits: number,
  value: number,
) => number | bigint;

/** A number when it is exact (a safe integer), else a bigint. */
const integerAsNumberWhenSafe: IntegerReader = (text, start, end, digits, value) => {
  // Up to 15 digits the accumulated double is exact; beyond that decide from the exact value.
  if (digits <= 15) return value;
  const exact = BigInt(text.slice(start, end));
  return exact > MAX_SAFE || exact < MIN_SAFE ? exact : Number(exact);
};

const integerAsBigInt: IntegerReader = (text, start, end, digits, value) =>
  digits <= 15 ? BigInt(value) : BigInt(text.slice(start, end));

/**
 * Parses `text[start, end)` as one JSON value; integer literals outside the safe range become
 * bigints. Throws JsonSyntaxError on bad input (callers at the record edge turn that into a
 * MalformedRecord).
 */
export function parseJson(text: string, start = 0, end = text.length): JsonValue {
  return parseWith(integerAsNumberWhenSafe, text, start, end);
}

/**
 * Parses `text[start, end)` as one JSON value; every integer literal (no fraction, no exponent)
 * becomes a bigint, so `1` and `1.0` stay distinguishable (SQLite INTEGER vs REAL).
 */
export function parseJsonIntegersAsBigInt(text: string, start = 0, end = text.length): JsonValue {
  return parseWith(integerAsBigInt, text, start, end);
}

function parseWith(readInteger: IntegerReader, text: string, start: number, end: number): JsonValue {
  const parser = new Parser(text, start, end, readInteger);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (parser.pos !== end) throw new JsonSyntaxError('unexpected trailing characters', parser.pos);
  return value;
}

// A backslash or a raw control character (invalid in JSON strings): strings without one are sliced
// as they are. Searched natively and remembered, so the text is scanned once, not per string.
// eslint-disable-next-line no-control-regex -- raw control characters are what this must find
const SPECIAL = /[\\\u0000-\u001f]/g;
const NONE = -2;

class Parser {
  pos: number;
  // Position of the next SPECIAL character at or after `pos` (NONE: none before `end`).
  private nextSpecial = -1;

  constructor(
    private readonly text: string,
    start: number,
    private readonly end: number,
    private readonly readInteger: IntegerReader,
  ) {
    this.pos = start;
  }

  skipWhitespace(): void {
    const { text, end } = this;
    let pos = this.pos;
    while (pos < end) {
      const c = text.charCodeAt(pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
    this.pos = pos;
  }

  /** The character code at `pos`, or -1 past the end of the parsed range. */
  private peek(): number {
    return this.pos < this.end ? this.text.charCodeAt(this.pos) : -1;
  }

  parseValue(depth: number): JsonValue {
    if (this.pos >= this.end) throw new JsonSyntaxError('unexpected end of input', this.pos);
    const c = this.text.charCodeAt(this.pos);
    if (c === QUOTE) return this.parseString();
    if (c === 0x7b) return this.parseObject(depth + 1);
    if (c === 0x5b) return this.parseArray(depth + 1);
    if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
    if (this.text.startsWith('null', this.pos)) return this.literal(4, null);
    if (this.text.startsWith('true', this.pos)) return this.literal(4, true);
    if (this.text.startsWith('false', this.pos)) return this.literal(5, false);
    throw new JsonSyntaxError(`unexpected character ${JSON.stringify(this.text[this.pos])}`, this.pos);
  }

  private literal<T>(length: number, value: T): T {
    if (this.pos + length > this.end) throw new JsonSyntaxError('unexpected end of input', this.end);
    this.pos += length;
    return value;
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('nesting too deep', this.pos);
    const result: JsonObject = {};
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === 0x7d) {
      this.pos++;
      return result;
    }
    for (;;) {
      const c = this.peek();
      if (c !== QUOTE)
        throw new JsonSyntaxError(c < 0 ? 'unexpected end of input' : 'expected a property name', this.pos);
      const key = this.parseString();
      this.skipWhitespace();
      if (this.peek() !== 0x3a) throw new JsonSyntaxError("expected ':'", this.pos);
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      if (key === '__proto__') {
        // A plain assignment would replace the prototype instead of adding a property.
        Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        result[key] = value;
      }
      this.skipWhitespace();
      const next = this.peek();
      this.pos++;
      if (next === 0x2c) {
        this.skipWhitespace();
        continue;
      }
      if (next === 0x7d) return result;
      throw new JsonSyntaxError("expected ',' or '}'", this.pos - 1);
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) throw new JsonSyntaxError('nesting too deep', this.pos);
    const result: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.peek() === 0x5d) {
      this.pos++;
      return result;
    }
    for (;;) {
      result.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.peek();
      this.pos++;
      if (c === 0x2c) {
        this.skipWhitespace();
        continue;
      }
      if (c === 0x5d) return result;
      throw new JsonSyntaxError("expected ',' or ']'", this.pos - 1);
    }
  }

  private parseString(): string {
    const { text, end } = this;
    const start = this.pos + 1;
    const close = text.indexOf('"', start);
    if (close < 0 || close >= end) throw new JsonSyntaxError('unterminated string', this.pos);
    if (this.nextSpecial < start && this.nextSpecial !== NONE) {
      SPECIAL.lastIndex = start;
      const found = SPECIAL.exec(text);
      this.nextSpecial = found === null || found.index >= end ? NONE : found.index;
    }
    if (this.nextSpecial === NONE || this.nextSpecial > close) {
      this.pos = close + 1;
      return text.slice(start, close);
    }
    return this.parseEscapedString(start);
  }

  private parseEscapedString(start: number): string {
    const { text, end } = this;
    let out = '';
    let chunkStart = start;
    let pos = start;
    while (pos < end) {
      const c = text.charCodeAt(pos);
      if (c === QUOTE) {
        out += text.slice(chunkStart, pos);
        this.pos = pos + 1;
        return out;
      }
      if (c < 0x20) throw new JsonSyntaxError('control character in string', pos);
      if (c !== BACKSLASH) {
        pos++;
        continue;
      }
      out += text.slice(chunkStart, pos);
      const escape = text[pos + 1];
      if (escape === 'u') {
        const hex = text.slice(pos + 2, pos + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError('invalid \\u escape', pos);
        out += String.fromCharCode(parseInt(hex, 16));
        pos += 6;
      } else {
        const decoded = escape === undefined ? undefined : ESCAPES[escape];
        if (decoded === undefined) throw new JsonSyntaxError('invalid escape', pos);
        out += decoded;
        pos += 2;
      }
      chunkStart = pos;
    }
    throw new JsonSyntaxError('unterminated string', start - 1);
  }

  private parseNumber(): number | bigint {
    const { text, end } = this;
    const start = this.pos;
    let pos = start;
    const negative = text.charCodeAt(pos) === MINUS;
    if (negative) pos++;
    const digitsStart = pos;
    let value = 0;
    while (pos < end) {
      const c = text.charCodeAt(pos);
      if (c < ZERO || c > NINE) break;
      value = value * 10 + (c - ZERO);
      pos++;
    }
    const digits = pos - digitsStart;
    if (digits === 0) throw new JsonSyntaxError('expected a digit', pos);
    if (digits > 1 && text.charCodeAt(digitsStart) === ZERO)
      throw new JsonSyntaxError('leading zero', digitsStart);
    const c = pos < end ? text.charCodeAt(pos) : -1;
    if (c === DOT || c === 0x65 || c === 0x45) return this.parseFraction(start, pos);
    this.pos = pos;
    return this.readInteger(text, start, pos, digits, negative ? -value : value);
  }

  private parseFraction(start: number, from: number): number {
    const { text, end } = this;
    let pos = from;
    if (text.charCodeAt(pos) === DOT) {
      pos++;
      const fracStart = pos;
      while (pos < end && text.charCodeAt(pos) >= ZERO && text.charCodeAt(pos) <= NINE) pos++;
      if (pos === fracStart) throw new JsonSyntaxError('expected a digit after the decimal point', pos);
    }
    const e = text.charCodeAt(pos);
    if (e === 0x65 || e === 0x45) {
      pos++;
      const sign = text.charCodeAt(pos);
      if (sign === 0x2b || sign === MINUS) pos++;
      const expStart = pos;
      while (pos < end && text.charCodeAt(pos) >= ZERO && text.charCodeAt(pos) <= NINE) pos++;
      if (pos === expStart) throw new JsonSyntaxError('expected a digit in the exponent', pos);
    }
    this.pos = pos;
    return Number(text.slice(start, pos));
  }
}
