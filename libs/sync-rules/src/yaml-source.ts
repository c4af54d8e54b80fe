// Maps offsets inside a YAML scalar's *value* (e.g. a position in a SQL string) back to the
// YAML file, for plain, quoted and block scalars, so diagnostics point inside the SQL text.
import type { LineCounter, Scalar } from 'yaml';
import type { SourcePosition } from './errors';

/** A string from the YAML file that knows where each of its characters came from. */
export class LocatedString {
  private offsets: number[] | undefined;

  constructor(
    readonly value: string,
    private readonly source: string,
    private readonly start: number,
    private readonly end: number,
    private readonly kind: Scalar.Type | undefined,
    private readonly lines: LineCounter,
  ) {}

  /** Position in the YAML file of the value's character at `index` (clamped to the value). */
  positionAt(index: number): SourcePosition {
    const offsets = (this.offsets ??= this.computeOffsets());
    const clamped = Math.max(0, Math.min(index, offsets.length - 1));
    const pos = this.lines.linePos(offsets[clamped] ?? this.start);
    return { line: pos.line, column: pos.col };
  }

  /** Position of the whole scalar (its first source character). */
  get position(): SourcePosition {
    const pos = this.lines.linePos(this.start);
    return { line: pos.line, column: pos.col };
  }

  private computeOffsets(): number[] {
    const src = this.source;
    let j = this.start;
    if (this.kind === 'QUOTE_DOUBLE' || this.kind === 'QUOTE_SINGLE') j++;
    if (this.kind === 'BLOCK_LITERAL' || this.kind === 'BLOCK_FOLDED') {
      const newline = src.indexOf('\n', j);
      j = newline < 0 ? this.end : newline + 1;
    }
    const offsets: number[] = [];
    const value = this.value;
    for (let i = 0; i < value.length; i++) {
      const ch = value[i];
      if (this.kind === 'QUOTE_DOUBLE' && src[j] === '\\' && j < this.end) {
        const consumed = escapeLength(src, j);
        if (consumed > 0) {
          offsets.push(j);
          j += consumed;
          continue;
        }
      }
      // Greedy alignment: skip source characters that the scalar folding removed (indentation,
      // quotes, line breaks turned into spaces) until the value's character is found.
      let k = j;
      while (k < this.end && src[k] !== ch && !(ch === ' ' && src[k] === '\n')) k++;
      if (k >= this.end) {
        offsets.push(Math.min(j, this.end));
        continue;
      }
      offsets.push(k);
      j = k + 1;
    }
    offsets.push(Math.min(j, this.end));
    return offsets;
  }
}

function escapeLength(src: string, j: number): number {
  const c = src[j + 1];
  if (c === 'x') return 4;
  if (c === 'u') return 6;
  if (c === 'U') return 10;
  if (c === '\n' || c === '\r') return 0;
  return 2;
}
