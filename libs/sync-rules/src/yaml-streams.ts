// Reads the `streams:` section of an edition-3 rules file (PowerSync's Sync Streams): each stream's
// SQL strings as LocatedStrings and its options, reporting structural problems with positions.
import { isMap, isSeq, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigStructureError, type SourcePosition } from './errors';
import {
  keyName,
  readBooleanValue,
  readPriorityValue,
  readQuery,
  type RawQuery,
  type YamlReadContext,
} from './yaml-context';

/** A common table expression of a `with:` block (global or per stream). */
export interface RawCommonTableExpression {
  name: string;
  position: SourcePosition;
  query: RawQuery;
}

export interface RawStream {
  name: string;
  position: SourcePosition;
  queries: RawQuery[];
  /** The stream's own `with:`, which shadows global ones of the same name. */
  ctes: RawCommonTableExpression[];
  autoSubscribe: boolean;
  priority: number | undefined;
  acceptPotentiallyDangerousQueries: boolean;
}

type StreamKeyReader = (value: Node | null, stream: RawStream, ctx: YamlReadContext, keyNode: Node) => void;

const STREAM_KEYS = new Map<string, StreamKeyReader>([
  ['query', (value, stream, ctx) => addQuery(value, stream, ctx)],
  ['queries', readQueries],
  [
    'auto_subscribe',
    (value, stream, ctx) => (stream.autoSubscribe = readBooleanValue(value, 'auto_subscribe', ctx) ?? false),
  ],
  ['priority', (value, stream, ctx) => (stream.priority = readPriorityValue(value, ctx))],
  [
    'accept_potentially_dangerous_queries',
    (value, stream, ctx) =>
      (stream.acceptPotentiallyDangerousQueries =
        readBooleanValue(value, 'accept_potentially_dangerous_queries', ctx) ?? false),
  ],
  ['with', (value, stream, ctx, keyNode) => (stream.ctes = readCommonTableExpressions(value, keyNode, ctx))],
]);

/** The streams under `streams:`, in file order, without those that are not maps. */
export function readStreams(root: YAMLMap, ctx: YamlReadContext): RawStream[] {
  const pair = root.items.find((p) => keyName(p) === 'streams');
  if (!pair) {
    ctx.diagnostics.push(
      new ConfigStructureError("'streams' are required with edition 3", 'error', ctx.nodeAt(root)),
    );
    return [];
  }
  const node = pair.value as Node | null;
  if (!isMap(node)) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        "'streams' must be a map of name -> stream",
        'error',
        ctx.nodeAt(node ?? (pair.key as Node)),
      ),
    );
    return [];
  }
  const streams: RawStream[] = [];
  for (const item of node.items) {
    const stream = readStream(item, ctx);
    if (stream) streams.push(stream);
  }
  return streams;
}

/** A `with:` block: name -> SQL of a SELECT usable as `IN name` in the stream queries. */
export function readCommonTableExpressions(
  value: Node | null,
  keyNode: Node,
  ctx: YamlReadContext,
): RawCommonTableExpression[] {
  if (!isMap(value)) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        "'with' must be a map of name -> SQL query",
        'error',
        ctx.nodeAt(value ?? keyNode),
      ),
    );
    return [];
  }
  const ctes: RawCommonTableExpression[] = [];
  for (const item of value.items) {
    const query = readQuery(item.value, 'A common table expression', ctx);
    if (query) ctes.push({ name: keyName(item), position: ctx.nodeAt(item.key as Node), query });
  }
  return ctes;
}

function readStream(pair: Pair, ctx: YamlReadContext): RawStream | undefined {
  const name = keyName(pair);
  const keyNode = pair.key as Node;
  const node = pair.value as Node | null;
  if (!isMap(node)) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        `Stream '${name}' must be a map with 'query' or 'queries'`,
        'error',
        ctx.nodeAt(node ?? keyNode),
      ),
    );
    return undefined;
  }
  const stream: RawStream = {
    name,
    position: ctx.nodeAt(keyNode),
    queries: [],
    ctes: [],
    autoSubscribe: false,
    priority: undefined,
    acceptPotentiallyDangerousQueries: false,
  };
  for (const item of node.items) {
    const key = keyName(item);
    const readKey = STREAM_KEYS.get(key);
    if (readKey) readKey(item.value as Node | null, stream, ctx, item.key as Node);
    else {
      ctx.diagnostics.push(
        new ConfigStructureError(
          `Unknown key '${key}' in stream '${name}'`,
          'error',
          ctx.nodeAt(item.key as Node),
        ),
      );
    }
  }
  const given = node.items.filter((item) => ['query', 'queries'].includes(keyName(item))).length;
  if (given !== 1) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        `Stream '${name}' needs exactly one of 'query' or 'queries'`,
        'error',
        ctx.nodeAt(node),
      ),
    );
  }
  return stream;
}

function addQuery(value: Node | null, stream: RawStream, ctx: YamlReadContext): void {
  const query = readQuery(value, 'A stream query', ctx);
  if (query) stream.queries.push(query);
}

/** `queries`: a list of SQL strings, all syncing into the same stream. */
function readQueries(value: Node | null, stream: RawStream, ctx: YamlReadContext, keyNode: Node): void {
  if (!isSeq(value)) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        "'queries' must be a list of SQL queries",
        'error',
        ctx.nodeAt(value ?? keyNode),
      ),
    );
    return;
  }
  for (const item of value.items) addQuery(item as Node, stream, ctx);
}
