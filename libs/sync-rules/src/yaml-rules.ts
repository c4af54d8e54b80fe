// Reads the YAML structure of a rules file (no SQL yet): bucket definitions with their SQL
// strings as LocatedStrings, and the config block. Reports structural problems with positions.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type Scalar } from 'yaml';
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
const DEFINITION_KEYS = new Set(['parameters', 'data', 'priority', 'accept_potentially_dangerous_queries']);

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
  const nodeAt = (node: Node | null | undefined): SourcePosition => at(node?.range?.[0] ?? 0);
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
      new ConfigStructureError("'bucket_definitions' or 'streams' is required", 'error', nodeAt(root)),
    );
    return result;
  }
  const locate = (node: Scalar): LocatedString => {
    const [start, end] = node.range ?? [0, 0];
    return new LocatedString(String(node.value), text, start, end, node.type, lines);
  };

  let sawDefinitions = false;
  let sawStreams = false;
  let configPair: Pair | undefined;
  for (const pair of root.items) {
    const key = keyName(pair);
    const keyNode = pair.key as Node;
    if (key === 'bucket_definitions') {
      sawDefinitions = true;
    } else if (key === 'config') {
      configPair = pair;
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
  if (configPair) result.config = readConfig(configPair, diagnostics, nodeAt);

  const definitionsPair = root.items.find((p) => keyName(p) === 'bucket_definitions');
  const definitionsNode = definitionsPair?.value as Node | null | undefined;
  if (definitionsPair && !isMap(definitionsNode)) {
    diagnostics.push(
      new ConfigStructureError(
        "'bucket_definitions' must be a map of name -> definition",
        'error',
        nodeAt(definitionsNode ?? (definitionsPair.key as Node)),
      ),
    );
  } else if (isMap(definitionsNode)) {
    for (const pair of definitionsNode.items) {
      const definition = readDefinition(pair, diagnostics, nodeAt, locate);
      if (definition) result.definitions.push(definition);
    }
  }
  return result;
}

function readConfig(
  pair: Pair,
  diagnostics: SyncRulesDiagnostic[],
  nodeAt: (node: Node | null | undefined) => SourcePosition,
): SyncRulesConfig {
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

function readDefinition(
  pair: Pair,
  diagnostics: SyncRulesDiagnostic[],
  nodeAt: (node: Node | null | undefined) => SourcePosition,
  locate: (node: Scalar) => LocatedString,
): RawBucketDefinition | undefined {
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
  let sawData = false;
  const readQuery = (item: unknown, what: string): RawQuery | undefined => {
    if (isScalar(item) && typeof item.value === 'string') {
      return { sql: locate(item), acceptDangerous: item.tag === ACCEPT_TAG };
    }
    diagnostics.push(new ConfigStructureError(`${what} must be a SQL string`, 'error', nodeAt(item as Node)));
    return undefined;
  };
  for (const item of node.items) {
    const key = keyName(item);
    const value = item.value as Node | null;
    if (!DEFINITION_KEYS.has(key)) {
      diagnostics.push(
        new ConfigStructureError(
          `Unknown key '${key}' in bucket definition '${name}'`,
          'error',
          nodeAt(item.key as Node),
        ),
      );
      continue;
    }
    if (key === 'parameters') {
      const items = isSeq(value) ? value.items : [value];
      for (const q of items) {
        const query = readQuery(q, 'A parameter query');
        if (query) definition.parameters.push(query);
      }
    } else if (key === 'data') {
      sawData = true;
      if (!isSeq(value)) {
        diagnostics.push(
          new ConfigStructureError(
            "'data' must be a list of SQL queries",
            'error',
            nodeAt(value ?? (item.key as Node)),
          ),
        );
        continue;
      }
      for (const q of value.items) {
        const query = readQuery(q, 'A data query');
        if (query) definition.data.push(query);
      }
    } else if (key === 'priority') {
      const raw = isScalar(value) ? value.value : undefined;
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 3) definition.priority = raw;
      else
        diagnostics.push(
          new ConfigStructureError("'priority' must be an integer from 0 to 3", 'error', nodeAt(value)),
        );
    } else {
      const raw = isScalar(value) ? value.value : undefined;
      if (typeof raw === 'boolean') definition.acceptPotentiallyDangerousQueries = raw;
      else {
        diagnostics.push(
          new ConfigStructureError(
            "'accept_potentially_dangerous_queries' must be true or false",
            'error',
            nodeAt(value),
          ),
        );
      }
    }
  }
  if (!sawData) {
    diagnostics.push(
      new ConfigStructureError(`Bucket definition '${name}' has no 'data' queries`, 'error', nodeAt(keyNode)),
    );
  }
  return definition;
}

function keyName(pair: Pair): string {
  const key = pair.key;
  return isScalar(key) ? String(key.value) : String(key);
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
