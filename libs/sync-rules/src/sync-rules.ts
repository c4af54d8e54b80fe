// The compiled rule set and its evaluation API: compile once from YAML, then evaluateRow,
// evaluateParameterRow and resolveBuckets per change / per request. Pure: lookups are injected.
import { createHash } from 'node:crypto';
import { BucketNameCache, serializeBucketName } from './bucket-name';
import type { SyncRulesConfig } from './config';
import { compileDataQuery, type BucketNameCollector, type CompiledDataQuery } from './data-query';
import { BucketParameterError, SyncRulesCompileError, type SyncRulesDiagnostic } from './errors';
import type { EvalContext } from './expression';
import {
  compileParameterQuery,
  type CompiledParameterQuery,
  type LookupRequest,
  type ParameterLookup,
  type ParameterLookupEntry,
  type ResolvedParameters,
} from './parameter-query';
import { PRIORITY_COLUMN } from './parameter-priority';
import type { RequestContext } from './request-context';
import { SqlSource } from './sql-source';
import type { SqliteJsonRow, SqliteJsonValue, SqliteRow } from '@syncline/sqlite-value';
import { parseSourceTable, tableSuffix, type SourceTableName } from './table-pattern';
import { objectId } from './output-row';
import { compileStreams, type CompiledStreams } from './stream-compiler';
import {
  resolveStreamSubscriptions,
  type StreamResolution,
  type StreamSubscriptionRequest,
} from './stream-subscriptions';
import { readRulesYaml, type RawBucketDefinition, type RawSyncRules } from './yaml-rules';

export const DEFAULT_PRIORITY = 3;

export interface CompileOptions {
  /** Schema of unqualified table names, in rules and in `evaluateRow(table)`. Default `public`. */
  defaultSchema?: string;
  /** Sync config version used as the `<version>#` bucket prefix with versioned_bucket_ids. Default 1. */
  syncConfigVersion?: number | string;
}

/** One op a row contributes: PUT `data` into `bucket` as `outputTable`/`id`. */
export interface EvaluatedRow {
  bucket: string;
  outputTable: string;
  id: string;
  /**
   * Shared between the ops of one query: treat as read-only. Serialize with stringifyJson from
   * @syncline/lossless-json.
   */
  data: SqliteJsonRow;
}

export interface ResolvedBucket {
  bucket: string;
  priority: number;
  definition: string;
}

/** Reads the stored parameter rows for each lookup (results aligned with `lookups`). */
export type ParameterLookupSource = (lookups: readonly ParameterLookup[]) => Promise<SqliteJsonRow[][]>;

export interface BucketDefinition {
  name: string;
  /** Bucket name prefix, e.g. `1#` with versioned bucket ids, else empty. */
  bucketPrefix: string;
  priority: number | undefined;
  parameterNames: string[];
  parameterQueries: CompiledParameterQuery[];
  dataQueries: CompiledDataQuery[];
  /** Edition 3: the stream whose bucket this is (named `<stream>|<n>`); resolved per subscription. */
  stream?: string;
}

interface MatchedDataQuery {
  query: CompiledDataQuery;
  outputTable: string;
  /** Editions 1-2 wildcard queries: the `_table_suffix` column their expressions read. */
  tableSuffix: string | undefined;
  /** Appends the bucket names of the row, specialised for this query's WHERE and definition. */
  collectBucketNames: BucketNameCollector;
}

export class SyncRules {
  private readonly dataByTable = new Map<string, MatchedDataQuery[]>();
  private readonly parametersByTable = new Map<string, CompiledParameterQuery[]>();
  private readonly ctx: EvalContext = { row: {}, request: undefined };
  /** Bucket names of one query for the row being evaluated; reused so evaluateRow allocates less. */
  private readonly bucketNames: string[] = [];

  constructor(
    readonly config: SyncRulesConfig,
    readonly definitions: readonly BucketDefinition[],
    /** SHA-256 (hex) of the canonical rule text: changes whenever the rules' meaning may change. */
    readonly hash: string,
    private readonly defaultSchema: string,
    /** Edition 3: the streams' lookups and request-time resolvers; their buckets are in `definitions`. */
    private readonly streams?: CompiledStreams,
  ) {}

  /** Every op the row produces, for every bucket it belongs to. */
  evaluateRow(table: string, row: SqliteRow): EvaluatedRow[] {
    // Only streams have row metadata functions; editions 1-2 keep the context's shape unchanged.
    if (this.streams) this.ctx.table = table;
    const matched = this.dataQueriesFor(table);
    const ops: EvaluatedRow[] = [];
    if (matched.length === 0) return ops;
    const ctx = this.ctx;
    const names = this.bucketNames;
    ctx.starData = undefined;
    for (let i = 0; i < matched.length; i++) {
      const { query, outputTable, collectBucketNames, tableSuffix } = matched[i]!;
      // `*` skips `_` columns, so the shared starData is the same with or without the suffix.
      ctx.row = tableSuffix === undefined ? row : { ...row, _table_suffix: tableSuffix };
      const count = collectBucketNames(ctx, names);
      if (count === 0) continue;
      const data = query.outputRow(ctx);
      const id = objectId(data);
      for (let j = 0; j < count; j++) ops.push({ bucket: names[j]!, outputTable, id, data });
    }
    ctx.row = {};
    ctx.starData = undefined;
    return ops;
  }

  /** The lookup entries a replicated row contributes (replace the row's previous entries with these). */
  evaluateParameterRow(table: string, row: SqliteRow): ParameterLookupEntry[] {
    const entries: ParameterLookupEntry[] = [];
    for (const query of this.parameterQueriesFor(table)) entries.push(...query.lookupEntries(row));
    for (const lookup of this.streamLookupsFor(table)) entries.push(...lookup.lookupEntries(row, table));
    return entries;
  }

  /** True when rows of this table feed any data or parameter query. */
  usesTable(table: string): boolean {
    return (
      this.dataQueriesFor(table).length > 0 ||
      this.parameterQueriesFor(table).length > 0 ||
      this.streamLookupsFor(table).length > 0
    );
  }

  /** Whether the rules are sync streams (edition 3), resolved per subscription. */
  get hasStreams(): boolean {
    return this.streams !== undefined;
  }

  /** Edition 3: the stream names in file order (empty for editions 1-2). */
  get streamNames(): string[] {
    return this.streams?.streams.map((s) => s.name) ?? [];
  }

  /** Edition 3: the names of the `auto_subscribe` streams, in file order. */
  get autoSubscribeStreams(): string[] {
    return this.streams?.streams.filter((s) => s.autoSubscribe).map((s) => s.name) ?? [];
  }

  /**
   * Edition 3: the buckets a connection's stream subscriptions reach, with their priority and the
   * subscriptions that reached each; evaluation errors per subscription. Empty for editions 1-2.
   */
  async resolveStreamSubscriptions(
    request: RequestContext,
    subscriptions: StreamSubscriptionRequest,
    lookup: ParameterLookupSource,
  ): Promise<StreamResolution> {
    if (!this.streams) return { buckets: [], errors: [] };
    return resolveStreamSubscriptions(this.streams, this.bucketPrefix, request, subscriptions, lookup);
  }

  private get bucketPrefix(): string {
    return this.definitions[0]?.bucketPrefix ?? '';
  }

  private streamLookupsFor(table: string) {
    if (!this.streams || this.streams.lookups.length === 0) return [];
    const source = parseSourceTable(table, this.defaultSchema);
    return this.streams.lookups.filter((l) => l.matchesTable(source));
  }

  /** The user's buckets with priorities. `lookup` is called once with every table lookup needed. */
  async resolveBuckets(request: RequestContext, lookup: ParameterLookupSource): Promise<ResolvedBucket[]> {
    const found = new Map<string, ResolvedBucket>();
    if (this.streams) return this.resolveDefaultStreams(request, lookup);
    const pending: { definition: BucketDefinition; request: LookupRequest }[] = [];
    for (const definition of this.definitions) {
      if (definition.parameterQueries.length === 0) {
        this.addBucket(found, definition, {});
        continue;
      }
      for (const query of definition.parameterQueries) {
        if (query.form === 'table') {
          pending.push({ definition, request: query.lookupRequest(request) });
        } else {
          for (const resolved of query.resolveDirect(request))
            this.addBucket(found, definition, resolved.values);
        }
      }
    }
    const lookups = pending.flatMap((p) => p.request.lookups);
    if (lookups.length > 0) {
      const rows = await lookup(lookups);
      let offset = 0;
      for (const { definition, request: pendingRequest } of pending) {
        const count = pendingRequest.lookups.length;
        const slice = Array.from({ length: count }, (_, i) => rows[offset + i] ?? []);
        offset += count;
        for (const resolved of pendingRequest.complete(slice))
          this.addBucket(found, definition, resolved.values);
      }
    }
    return [...found.values()];
  }

  /** Edition 3 without subscriptions: the auto_subscribe streams' buckets (errors are thrown). */
  private async resolveDefaultStreams(
    request: RequestContext,
    lookup: ParameterLookupSource,
  ): Promise<ResolvedBucket[]> {
    const { buckets, errors } = await this.resolveStreamSubscriptions(
      request,
      { includeDefaults: true, subscriptions: [] },
      lookup,
    );
    if (errors[0]) throw new Error(`Stream '${errors[0].stream}': ${errors[0].message}`);
    return buckets.map((b) => ({ bucket: b.bucket, priority: b.priority, definition: b.stream }));
  }

  private addBucket(
    found: Map<string, ResolvedBucket>,
    definition: BucketDefinition,
    values: ResolvedParameters['values'],
  ): void {
    const tuple: SqliteJsonValue[] = definition.parameterNames.map((n) => values[n] ?? null);
    const bucket = serializeBucketName(definition.bucketPrefix + definition.name, tuple);
    const priority = priorityOf(values[PRIORITY_COLUMN]) ?? definition.priority ?? DEFAULT_PRIORITY;
    const existing = found.get(bucket);
    if (!existing || priority < existing.priority)
      found.set(bucket, { bucket, priority, definition: definition.name });
  }

  private dataQueriesFor(table: string): MatchedDataQuery[] {
    let matched = this.dataByTable.get(table);
    if (matched === undefined) {
      const source = parseSourceTable(table, this.defaultSchema);
      matched = [];
      for (const definition of this.definitions) {
        for (const query of definition.dataQueries) {
          if (query.matchesTable(source)) {
            matched.push({
              query,
              outputTable: query.alias ?? source.name,
              tableSuffix: query.exposesTableSuffix ? tableSuffix(query.table, source) : undefined,
              collectBucketNames: query.compileBucketNames(this.namerFor(definition)),
            });
          }
        }
      }
      this.dataByTable.set(table, matched);
    }
    return matched;
  }

  /** One name cache per definition, shared by its data queries and by every table. */
  private readonly namers = new Map<BucketDefinition, BucketNameCache>();

  private namerFor(definition: BucketDefinition): BucketNameCache {
    let namer = this.namers.get(definition);
    if (namer === undefined) {
      namer = new BucketNameCache(definition.bucketPrefix + definition.name);
      this.namers.set(definition, namer);
    }
    return namer;
  }

  private parameterQueriesFor(table: string): CompiledParameterQuery[] {
    let matched = this.parametersByTable.get(table);
    if (matched === undefined) {
      const source: SourceTableName = parseSourceTable(table, this.defaultSchema);
      matched = this.definitions.flatMap((d) => d.parameterQueries.filter((q) => q.matchesTable(source)));
      this.parametersByTable.set(table, matched);
    }
    return matched;
  }
}

function priorityOf(value: SqliteJsonValue | undefined): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 3 ? n : undefined;
}

export interface CompileResult {
  /** Undefined when any diagnostic is an error. */
  rules: SyncRules | undefined;
  /** Errors and warnings, in file order. */
  diagnostics: SyncRulesDiagnostic[];
}

export function compileSyncRules(yamlText: string, options: CompileOptions = {}): CompileResult {
  const diagnostics: SyncRulesDiagnostic[] = [];
  const raw = readRulesYaml(yamlText, diagnostics);
  const defaultSchema = options.defaultSchema ?? 'public';
  const version = options.syncConfigVersion ?? 1;
  const bucketPrefix = raw.config.compatibility.versionedBucketIds ? `${version}#` : '';
  const definitions = raw.definitions.map((d) =>
    compileDefinition(d, raw.config, defaultSchema, bucketPrefix, diagnostics),
  );
  const streams = raw.config.edition === 3 ? compileRawStreams(raw, defaultSchema, diagnostics) : undefined;
  for (const bucket of streams?.buckets ?? []) {
    definitions.push({
      name: bucket.name,
      bucketPrefix,
      priority: bucket.priority,
      parameterNames: [],
      parameterQueries: [],
      dataQueries: bucket.dataQueries,
      stream: bucket.stream,
    });
  }
  diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
  const hash = rulesHash(raw, defaultSchema, bucketPrefix);
  const hasErrors = diagnostics.some((d) => d.severity === 'error');
  return {
    rules: hasErrors ? undefined : new SyncRules(raw.config, definitions, hash, defaultSchema, streams),
    diagnostics,
  };
}

function compileRawStreams(
  raw: RawSyncRules,
  defaultSchema: string,
  diagnostics: SyncRulesDiagnostic[],
): CompiledStreams {
  const fixedJsonExtract = raw.config.compatibility.fixedJsonExtract;
  return compileStreams(raw.streams, raw.ctes, { defaultSchema, fixedJsonExtract }, diagnostics);
}

/** Like compileSyncRules, but throws SyncRulesCompileError when there is any error. */
export function compileSyncRulesOrThrow(yamlText: string, options: CompileOptions = {}): SyncRules {
  const result = compileSyncRules(yamlText, options);
  if (!result.rules) throw new SyncRulesCompileError(result.diagnostics);
  return result.rules;
}

function compileDefinition(
  raw: RawBucketDefinition,
  config: SyncRulesConfig,
  defaultSchema: string,
  bucketPrefix: string,
  diagnostics: SyncRulesDiagnostic[],
): BucketDefinition {
  const fixedJsonExtract = config.compatibility.fixedJsonExtract;
  const parameterQueries: CompiledParameterQuery[] = [];
  let parameterNames: string[] | undefined;
  raw.parameters.forEach((query, queryIndex) => {
    const compiled = compileParameterQuery(new SqlSource(query.sql, diagnostics), {
      definition: raw.name,
      queryIndex,
      defaultSchema,
      fixedJsonExtract,
      acceptDangerous: raw.acceptPotentiallyDangerousQueries || query.acceptDangerous,
      definitionSetsPriority: raw.priority !== undefined,
    });
    if (!compiled) return;
    const names = compiled.outputNames.filter((n) => n !== PRIORITY_COLUMN);
    if (parameterNames === undefined) parameterNames = names;
    else if (names.length !== parameterNames.length || names.some((n) => !parameterNames?.includes(n))) {
      diagnostics.push(
        new BucketParameterError(
          `All parameter queries of '${raw.name}' must return the same bucket parameters. Expected: ${JSON.stringify(parameterNames)} Got: ${JSON.stringify(names)}`,
          'error',
          query.sql.positionAt(0),
        ),
      );
    }
    parameterQueries.push(compiled);
  });
  const names = parameterNames ?? [];
  const dataQueries: CompiledDataQuery[] = [];
  for (const query of raw.data) {
    const compiled = compileDataQuery(new SqlSource(query.sql, diagnostics), {
      parameterNames: names,
      defaultSchema,
      fixedJsonExtract,
    });
    if (compiled) dataQueries.push(compiled);
  }
  return {
    name: raw.name,
    bucketPrefix,
    priority: raw.priority,
    parameterNames: names,
    parameterQueries,
    dataQueries,
  };
}

function rulesHash(raw: RawSyncRules, defaultSchema: string, bucketPrefix: string): string {
  const { config, definitions, streams } = raw;
  const canonical = JSON.stringify({
    format: 1,
    config,
    defaultSchema,
    bucketPrefix,
    // Absent for editions 1-2, so their hashes do not change.
    ...(streams.length > 0 ? { streams: streams.map(streamForHash), ctes: raw.ctes.map(cteForHash) } : {}),
    definitions: definitions.map((d) => ({
      name: d.name,
      priority: d.priority ?? null,
      accept: d.acceptPotentiallyDangerousQueries,
      parameters: d.parameters.map((q) => [q.sql.value.trim(), q.acceptDangerous]),
      data: d.data.map((q) => q.sql.value.trim()),
    })),
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function streamForHash(stream: RawSyncRules['streams'][number]): unknown {
  return {
    name: stream.name,
    priority: stream.priority ?? null,
    auto: stream.autoSubscribe,
    accept: stream.acceptPotentiallyDangerousQueries,
    queries: stream.queries.map((q) => [q.sql.value.trim(), q.acceptDangerous]),
    ctes: stream.ctes.map(cteForHash),
  };
}

function cteForHash(cte: RawSyncRules['ctes'][number]): unknown {
  return [cte.name, cte.query.sql.value.trim()];
}
