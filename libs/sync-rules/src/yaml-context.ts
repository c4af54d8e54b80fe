// What the YAML readers of a rules file share: where they report problems, how they find a node's
// position, and the small readers used by both `bucket_definitions` and `streams`.
import { isScalar, type Node, type Pair, type Scalar } from 'yaml';
import { ConfigStructureError, type SourcePosition, type SyncRulesDiagnostic } from './errors';
import type { LocatedString } from './yaml-source';

export const ACCEPT_TAG = '!accept_potentially_dangerous_queries';

export interface RawQuery {
  sql: LocatedString;
  /** Marked with the `!accept_potentially_dangerous_queries` tag. */
  acceptDangerous: boolean;
}

/** Where the readers report problems, and how they find a YAML node in the file. */
export interface YamlReadContext {
  diagnostics: SyncRulesDiagnostic[];
  /** Position of a node's first character; the start of the file for a missing node. */
  nodeAt: (node: Node | null | undefined) => SourcePosition;
  /** A scalar's value that knows the file position of each character, for errors inside SQL. */
  locate: (node: Scalar) => LocatedString;
}

export function readQuery(item: unknown, what: string, ctx: YamlReadContext): RawQuery | undefined {
  if (isScalar(item) && typeof item.value === 'string') {
    return { sql: ctx.locate(item), acceptDangerous: item.tag === ACCEPT_TAG };
  }
  ctx.diagnostics.push(
    new ConfigStructureError(`${what} must be a SQL string`, 'error', ctx.nodeAt(item as Node)),
  );
  return undefined;
}

/** `priority`: an integer from 0 to 3, else an error at the value. */
export function readPriorityValue(value: Node | null, ctx: YamlReadContext): number | undefined {
  const raw = isScalar(value) ? value.value : undefined;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 3) return raw;
  ctx.diagnostics.push(
    new ConfigStructureError("'priority' must be an integer from 0 to 3", 'error', ctx.nodeAt(value)),
  );
  return undefined;
}

/** A `true`/`false` option, else an error at the value naming the key. */
export function readBooleanValue(value: Node | null, key: string, ctx: YamlReadContext): boolean | undefined {
  const raw = isScalar(value) ? value.value : undefined;
  if (typeof raw === 'boolean') return raw;
  ctx.diagnostics.push(
    new ConfigStructureError(`'${key}' must be true or false`, 'error', ctx.nodeAt(value)),
  );
  return undefined;
}

export function keyName(pair: Pair): string {
  const key = pair.key;
  return isScalar(key) ? String(key.value) : String(key);
}
