// Reads the YAML structure of a rules file (no SQL yet): bucket definitions (editions 1-2) or streams
// (edition 3) with their SQL
// strings as LocatedStrings, and the config block. Reports structural problems with positions.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { COMPATIBILITY_KEYS, defaultCompatibility, type Edition, type SyncRulesConfig } from './config';
import {
  ConfigStructureError,
  UnsupportedFeatureError,
  YamlSyntaxError,
  type SourcePosition,
  type SyncRulesDiagnostic,
} from './errors';
import {
  ACCEPT_TAG,
  keyName,
  readBooleanValue,
  readPriorityValue,
  readQuery,
  type RawQuery,
  type YamlReadContext,
} from './yaml-context';
import { LocatedString } from './yaml-source';
import {
  readCommonTableExpressions,
  readStreams,
  type RawCommonTableExpression,
  type RawStream,
} from './yaml-streams';

export type { RawQuery } from './yaml-context';

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
  /** Editions 1 and 2: `bucket_definitions`. */
  definitions: RawBucketDefinition[];
  /** Edition 3: `streams`. */
  streams: RawStream[];
  /** Edition 3: the top-level `with:` shared by every stream. */
  ctes: RawCommonTableExpression[];
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
    streams: [],
    ctes: [],
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
  // A duplicate key is a YAML error (uniqueKeys), handled above: there is at most one 'config'.
  const configPair = root.items.find((p) => keyName(p) === 'config');
  if (configPair) result.config = readConfig(configPair, ctx);
  if (result.config.edition === 3) {
    reportTopLevelKeys(root, ctx, STREAM_SECTIONS);
    result.streams = readStreams(root, ctx);
    const withPair = root.items.find((p) => keyName(p) === 'with');
    if (withPair)
      result.ctes = readCommonTableExpressions(withPair.value as Node | null, withPair.key as Node, ctx);
  } else {
    reportTopLevelKeys(root, ctx, DEFINITION_SECTIONS);
    result.definitions = readDefinitions(root, ctx);
  }
  return result;
}

/** How one top-level key is checked, per edition family. */
type SectionCheck = (key: string, keyNode: Node, valueNode: Node | null, ctx: YamlReadContext) => void;

const accepted: SectionCheck = () => undefined;

/** Editions 1 and 2: bucket definitions; streams are only read under edition 3. */
const DEFINITION_SECTIONS = new Map<string, SectionCheck>([
  ['bucket_definitions', accepted],
  [
    'streams',
    (_key, keyNode, _value, ctx) =>
      ctx.diagnostics.push(
        new UnsupportedFeatureError(
          "'streams' need 'config: edition: 3' (the alpha sync streams of editions 1 and 2 are not supported)",
          'error',
          ctx.nodeAt(keyNode),
        ),
      ),
  ],
  [
    'with',
    (_key, keyNode, _value, ctx) =>
      ctx.diagnostics.push(
        new ConfigStructureError('Common table expressions require edition 3', 'error', ctx.nodeAt(keyNode)),
      ),
  ],
]);

/** Edition 3: streams; bucket definitions are rejected, as PowerSync's stream compiler does. */
const STREAM_SECTIONS = new Map<string, SectionCheck>([
  ['streams', accepted],
  [
    'bucket_definitions',
    (_key, keyNode, value, ctx) =>
      ctx.diagnostics.push(
        new ConfigStructureError(
          "'bucket_definitions' are not supported with edition 3; define them as 'streams'",
          'error',
          ctx.nodeAt(value ?? keyNode),
        ),
      ),
  ],
  ['with', accepted], // read by readRulesYaml
]);

/** Reports unsupported and unknown top-level keys, and a file without 'bucket_definitions'. */
function reportTopLevelKeys(root: YAMLMap, ctx: YamlReadContext, sections: Map<string, SectionCheck>): void {
  const { diagnostics, nodeAt } = ctx;
  let sawDefinitions = false;
  let sawStreams = false;
  for (const pair of root.items) {
    const key = keyName(pair);
    const keyNode = pair.key as Node;
    const check = sections.get(key);
    if (check) {
      sawDefinitions ||= key === 'bucket_definitions';
      sawStreams ||= key === 'streams';
      check(key, keyNode, pair.value as Node | null, ctx);
    } else if (key === 'config') {
      continue;
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
  if (!sawDefinitions && !sawStreams && sections === DEFINITION_SECTIONS) {
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
    if (raw === 1 || raw === 2 || raw === 3) edition = raw;
    else {
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
          edition === 3
            ? new UnsupportedFeatureError(
                "'unstable_sqlite_expression_engine' is not supported; Syncline evaluates expressions itself",
                'error',
                nodeAt(value),
              )
            : new ConfigStructureError(
                "Enabling 'unstable_sqlite_expression_engine' requires edition: 3",
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
  definition.priority = readPriorityValue(value, ctx);
}

function readAcceptDangerous(
  value: Node | null,
  definition: RawBucketDefinition,
  ctx: YamlReadContext,
): void {
  const accept = readBooleanValue(value, 'accept_potentially_dangerous_queries', ctx);
  if (accept !== undefined) definition.acceptPotentiallyDangerousQueries = accept;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
