// Reads the YAML structure of a rules file (no SQL yet): bucket definitions with their SQL
// strings as LocatedStrings, and the config block. Reports structural problems with positions.
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Node,
  type Pair,
  type Scalar,
  type YAMLMap,
} from 'yaml';
import { COMPATIBILITY_KEYS, defaultCompatibility, type Edition, type SyncRulesConfig } from './config';
import {
  ConfigStructureError,
  UnsupportedFeatureError,
  YamlSyntaxError,
  type SourcePosition,
  type SyncRulesDiagnostic,
} from './errors';
import { LocatedString } from './yaml-source';

export interface RawQuery {
  sql: LocatedString;
  /** Marked with the `!accept_potentially_dangerous_queries` tag. */
  acceptDangerous: boolean;
}

export interface RawBucketDefinition {
  name: string;
  position: SourcePosition;
  parameters: RawQuery[];
  data: RawQuery[];
  priority: number | undefined;
  acceptPotentiallyDangerousQueries: boolean;
}

export interface RawSyncRules {
  config: SyncRulesConfig;
  definitions: RawBucketDefinition[];
}

const ACCEPT_TAG = '!accept_potentially_dangerous_queries';

/** Where the readers below report problems, and how they find a YAML node in the file. */
interface YamlReadContext {
  diagnostics: SyncRulesDiagnostic[];
  /** Position of a node's first character; the start of the file for a missing node. */
  nodeAt: (node: Node | null | undefined) => SourcePosition;
  /** A scalar's value that knows the file position of each character, for errors inside SQL. */
  locate: (node: Scalar) => LocatedString;
}

/** Reads the value of one bucket definition key into the definition, reporting a bad value. */
type DefinitionKeyReader = (
  value: Node | null,
  definition: RawBucketDefinition,
  ctx: YamlReadContext,
  keyNode: Node,
) => void;

const DEFINITION_KEYS = new Map<string, DefinitionKeyReader>([
  ['parameters', readParameterQueries],
  ['data', readDataQueries],
  ['priority', readPriority],
  ['accept_potentially_dangerous_queries', readAcceptDangerous],
]);

export function readRulesYaml(text: string, diagnostics: SyncRulesDiagnostic[]): RawSyncRules {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    keepSourceTokens: true,
    prettyErrors: false,
    uniqueKeys: true,
    customTags: [{ tag: ACCEPT_TAG, resolve: (value: string) => value }],
  });
  const at = (offset: number): SourcePosition => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const ctx: YamlReadContext = {
    diagnostics,
    nodeAt: (node) => at(node?.range?.[0] ?? 0),
    locate: (node) => {
      const [start, end] = node.range ?? [0, 0];
      return new LocatedString(String(node.value), text, start, end, node.type, lines);
    },
  };
  const result: RawSyncRules = {
    config: { edition: 1, compatibility: defaultCompatibility(1) },
    definitions: [],
  };

  for (const error of doc.errors) {
    diagnostics.push(new YamlSyntaxError(firstLine(error.message), 'error', at(error.pos[0])));
  }
  for (const warning of doc.warnings) {
    diagnostics.push(new YamlSyntaxError(firstLine(warning.message), 'warning', at(warning.pos[0])));
  }
  if (doc.errors.length > 0) return result;

  const root = doc.contents;
  if (!isMap(root)) {
    diagnostics.push(
      new ConfigStructureError("'bucket_definitions' or 'streams' is required", 'error', ctx.nodeAt(root)),
    );
    return result;
  }
  reportTopLevelKeys(root, ctx);
  // A duplicate key is a YAML error (uniqueKeys), handled above: there is at most one 'config'.
  const configPair = root.items.find((p) => keyName(p) === 'config');
  if (configPair) result.config = readConfig(configPair, ctx);
  result.definitions = readDefinitions(root, ctx);
  return result;
}

/** Reports unsupported and unknown top-level keys, and a file without 'bucket_definitions'. */
function reportTopLevelKeys(root: YAMLMap, ctx: YamlReadContext): void {
  const { diagnostics, nodeAt } = ctx;
  let sawDefinitions = false;
  let sawStreams = false;
  for (const pair of root.items) {
    const key = keyName(pair);
    const keyNode = pair.key as Node;
    if (key === 'bucket_definitions' || key === 'config') {
      sawDefinitions ||= key === 'bucket_definitions';
    } else if (key === 'streams' || key === 'with') {
      sawStreams ||= key === 'streams';
      diagnostics.push(
        new UnsupportedFeatureError(
          `'${key}' (sync streams, edition 3) is not supported yet; use 'bucket_definitions'`,
          'error',
          nodeAt(keyNode),
        ),
      );
    } else if (key === 'event_definitions') {
      diagnostics.push(
        new UnsupportedFeatureError(
          "'event_definitions' are not supported yet and are ignored",
          'warning',
          nodeAt(keyNode),
        ),
      );
    } else {
      diagnostics.push(new ConfigStructureError(`Unknown top-level key '${key}'`, 'error', nodeAt(keyNode)));
    }
  }
  if (!sawDefinitions && !sawStreams) {
    diagnostics.push(
      new ConfigStructureError("'bucket_definitions' or 'streams' is required", 'error', nodeAt(root)),
    );
  }
}

function readConfig(pair: Pair, ctx: YamlReadContext): SyncRulesConfig {
  const { diagnostics, nodeAt } = ctx;
  const node = pair.value as Node | null;
  let edition: Edition = 1;
  if (!isMap(node)) {
    diagnostics.push(
      new ConfigStructureError("'config' must be a map", 'error', nodeAt(node ?? (pair.key as Node))),
    );
    return { edition, compatibility: defaultCompatibility(edition) };
  }
  const editionPair = node.items.find((p) => keyName(p) === 'edition');
  if (editionPair) {
    const value = editionPair.value as Node | null;
    const raw = isScalar(value) ? value.value : undefined;
    if (raw === 1 || raw === 2) edition = raw;
    else if (raw === 3) {
      diagnostics.push(
        new UnsupportedFeatureError(
          'edition 3 (sync streams) is not supported yet; use edition 1 or 2',
          'error',
          nodeAt(value),
        ),
      );
    } else {
      diagnostics.push(new ConfigStructureError("'edition' must be 1, 2 or 3", 'error', nodeAt(value)));
    }
  }
  const compatibility = defaultCompatibility(edition);
  for (const item of node.items) {
    const key = keyName(item);
    const value = item.value as Node | null;
    const raw = isScalar(value) ? value.value : undefined;
    if (key === 'edition') continue;
    const flag = COMPATIBILITY_KEYS[key];
    if (flag) {
      if (typeof raw !== 'boolean') {
        diagnostics.push(new ConfigStructureError(`'${key}' must be true or false`, 'error', nodeAt(value)));
      } else compatibility[flag] = raw;
    } else if (key === 'unstable_sqlite_expression_engine') {
      if (raw === true) {
        diagnostics.push(
          new UnsupportedFeatureError(
            "'unstable_sqlite_expression_engine' needs edition 3, which is not supported yet",
            'error',
            nodeAt(value),
          ),
        );
      }
    } else if (key === 'storage_version') {
      if (typeof raw !== 'number') {
        diagnostics.push(
          new ConfigStructureError("'storage_version' must be a number", 'error', nodeAt(value)),
        );
      }
    } else if (key === 'timestamp_max_precision') {
      if (!['seconds', 'milliseconds', 'microseconds', 'nanoseconds'].includes(String(raw))) {
        diagnostics.push(
          new ConfigStructureError(
            "'timestamp_max_precision' must be seconds, milliseconds, microseconds or nanoseconds",
            'error',
            nodeAt(value),
          ),
        );
      }
    } else {
      diagnostics.push(
        new ConfigStructureError(`Unknown config key '${key}'`, 'error', nodeAt(item.key as Node)),
      );
    }
  }
  return { edition, compatibility };
}

/** The definitions under 'bucket_definitions', in file order, without those that are not maps. */
function readDefinitions(root: YAMLMap, ctx: YamlReadContext): RawBucketDefinition[] {
  const definitions: RawBucketDefinition[] = [];
  const definitionsPair = root.items.find((p) => keyName(p) === 'bucket_definitions');
  const definitionsNode = definitionsPair?.value as Node | null | undefined;
  if (definitionsPair && !isMap(definitionsNode)) {
    ctx.diagnostics.push(
      new ConfigStructureError(
        "'bucket_definitions' must be a map of name -> definition",
        'error',
        ctx.nodeAt(definitionsNode ?? (definitionsPair.key as Node)),
      ),
    );
  } else if (isMap(definitionsNode)) {
    for (const pair of definitionsNode.items) {
      const definition = readDefinition(pair, ctx);
      if (definition) definitions.push(definition);
    }
  }
  return definitions;
}

function readDefinition(pair: Pair, ctx: YamlReadContext): RawBucketDefinition | undefined {
  const { diagnostics, nodeAt } = ctx;
  const name = keyName(pair);
  const keyNode = pair.key as Node;
  const node = pair.value as Node | null;
  if (!isMap(node)) {
    diagnostics.push(
      new ConfigStructureError(
        `Bucket definition '${name}' must be a map with a 'data' list`,
        'error',
        nodeAt(node ?? keyNode),
      ),
    );
    return undefined;
  }
  const definition: RawBucketDefinition = {
    name,
    position: nodeAt(keyNode),
    parameters: [],
    data: [],
    priority: undefined,
    acceptPotentiallyDangerousQueries: false,
  };
  for (const item of node.items) {
    const key = keyName(item);
    const readKey = DEFINITION_KEYS.get(key);
    if (readKey) {
      readKey(item.value as Node | null, definition, ctx, item.key as Node);
    } else {
      diagnostics.push(
        new ConfigStructureError(
          `Unknown key '${key}' in bucket definition '${name}'`,
          'error',
          nodeAt(item.key as Node),
        ),
      );
    }
  }
  if (!node.items.some((item) => keyName(item) === 'data')) {
    diagnostics.push(
      new ConfigStructureError(`Bucket definition '${name}' has no 'data' queries`, 'error', nodeAt(keyNode)),
    );
  }
  return definition;
}

/** `parameters`: one SQL string or a list of them. */
function readParameterQueries(
  value: Node | null,
  definition: RawBucketDefinition,
  ctx: YamlReadContext,
): void {
  const items = isSeq(value) ? value.items : [value];
  for (const q of items) {
    const query = readQuery(q, 'A parameter query', ctx);
    if (query) definition.parameters.push(query);
  }
}

/** `data`: a list of SQL strings (unlike `parameters`, never a single one). */
function readDataQueries(
  value: Node | null,
  definition: RawBucketDefinition,
  ctx: YamlReadContext,
  keyNode: Node,
): void {
  if (!isSeq(value)) {
    ctx.diagnostics.push(
      new ConfigStructureError("'data' must be a list of SQL queries", 'error', ctx.nodeAt(value ?? keyNode)),
    );
    return;
  }
  for (const q of value.items) {
    const query = readQuery(q, 'A data query', ctx);
    if (query) definition.data.push(query);
  }
}

function readPriority(value: Node | null, definition: RawBucketDefinition, ctx: YamlReadContext): void {
  const raw = isScalar(value) ? value.value : undefined;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 3) definition.priority = raw;
  else
    ctx.diagnostics.push(
      new ConfigStructureError("'priority' must be an integer from 0 to 3", 'error', ctx.nodeAt(value)),
    );
}

function readAcceptDangerous(
  value: Node | null,
  definition: RawBucketDefinition,
  ctx: YamlReadContext,
): void {
  const raw = isScalar(value) ? value.value : undefined;
  if (typeof raw === 'boolean') definition.acceptPotentiallyDangerousQueries = raw;
  else {
    ctx.diagnostics.push(
      new ConfigStructureError(
        "'accept_potentially_dangerous_queries' must be true or false",
        'error',
        ctx.nodeAt(value),
      ),
    );
  }
}

function readQuery(item: unknown, what: string, ctx: YamlReadContext): RawQuery | undefined {
  if (isScalar(item) && typeof item.value === 'string') {
    return { sql: ctx.locate(item), acceptDangerous: item.tag === ACCEPT_TAG };
  }
  ctx.diagnostics.push(
    new ConfigStructureError(`${what} must be a SQL string`, 'error', ctx.nodeAt(item as Node)),
  );
  return undefined;
}

function keyName(pair: Pair): string {
  const key = pair.key;
  return isScalar(key) ? String(key.value) : String(key);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
