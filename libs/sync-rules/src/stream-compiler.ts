// Compiles the streams of an edition-3 file into the plan editions 1-2 use: bucket definitions
// (row -> buckets), parameter lookup creators (row -> lookups) and per-stream resolvers (request ->
// bucket names). Buckets are named `<stream>|<n>` as PowerSync names them: n counts the OR-variants
// of the stream's queries; variants instantiated the same way share the first one's bucket, and a
// bucket whose data side equals an earlier stream's bucket reuses that name.
import type { Expr, SelectedColumn, Statement } from 'pgsql-ast-parser';
import type { CompiledDataQuery } from './data-query';
import { BucketParameterError, ConfigStructureError, type SyncRulesDiagnostic } from './errors';
import type { CompiledExpression } from './expression';
import { SqlSource } from './sql-source';
import { compileRowExpander } from './stream-attached';
import { compileStreamColumns, streamDataQuery } from './stream-data-source';
import { createLookupCreator, lookupSignature, type StreamLookupCreator } from './stream-lookup';
import {
  exprSignature,
  planVariant,
  type LookupPlan,
  type ParameterValue,
  type VariantPlan,
} from './stream-plan';
import { parseStreamQuery, type CommonTableExpression } from './stream-query';
import type { ResultSet } from './stream-terms';
import type { RawCommonTableExpression, RawStream } from './yaml-streams';

export const DEFAULT_STREAM_PRIORITY = 3;

/** PowerSync refuses streams with more buckets than this. */
const MAX_BUCKETS_PER_STREAM = 100;

/** One way a stream reaches one bucket: request filters, existence checks and partition values. */
export interface StreamBucketResolver {
  /** The bucket's name without the `<version>#` prefix, e.g. `lists|0`. */
  bucket: string;
  plan: VariantPlan;
}

export interface CompiledStream {
  name: string;
  autoSubscribe: boolean;
  priority: number;
  resolvers: StreamBucketResolver[];
}

/** The data side of one stream bucket: one data query per distinct (table, filters, keys, columns). */
export interface StreamBucket {
  name: string;
  stream: string;
  priority: number;
  dataQueries: CompiledDataQuery[];
}

export interface CompiledStreams {
  streams: CompiledStream[];
  buckets: StreamBucket[];
  lookups: StreamLookupCreator[];
  /** Query id of every planned lookup (canonical: equal lookups share one). */
  lookupIds: Map<LookupPlan, string>;
}

export interface StreamCompileOptions {
  defaultSchema: string;
  fixedJsonExtract: boolean;
}

interface PendingResolver {
  bucket: string;
  instantiation: string;
  plan: VariantPlan;
  data: Map<string, CompiledDataQuery>;
}

export function compileStreams(
  raw: readonly RawStream[],
  globalCtes: readonly RawCommonTableExpression[],
  options: StreamCompileOptions,
  diagnostics: SyncRulesDiagnostic[],
): CompiledStreams {
  const found: SyncRulesDiagnostic[] = [];
  const compiler = new StreamsCompiler(options, found, globalCtes);
  const streams = raw.map((stream) => compiler.stream(stream));
  compiler.warnUnusedGlobalCtes();
  // A term negated or merged in several OR-variants is compiled once per variant: report it once.
  const seen = new Set<string>();
  for (const d of found) {
    const key = `${d.category}:${d.line}:${d.column}:${d.message}`;
    if (!seen.has(key)) diagnostics.push(d);
    seen.add(key);
  }
  return { streams, buckets: compiler.buckets, lookups: compiler.lookups, lookupIds: compiler.lookupIds };
}

class StreamsCompiler {
  readonly buckets: StreamBucket[] = [];
  readonly lookups: StreamLookupCreator[] = [];
  readonly lookupIds = new Map<LookupPlan, string>();
  private readonly lookupsBySignature = new Map<string, string>();
  private readonly bucketsByData = new Map<string, string>();

  private readonly usedGlobalCtes = new Set<RawCommonTableExpression>();

  constructor(
    private readonly options: StreamCompileOptions,
    private readonly diagnostics: SyncRulesDiagnostic[],
    private readonly globalCtes: readonly RawCommonTableExpression[],
  ) {}

  /** The CTEs a stream's queries can use: the global ones, shadowed by the stream's own. */
  private ctesFor(
    raw: RawStream,
  ): Map<string, { raw: RawCommonTableExpression; cte: CommonTableExpression }> {
    const map = new Map<string, { raw: RawCommonTableExpression; cte: CommonTableExpression }>();
    for (const definition of [...this.globalCtes, ...raw.ctes]) {
      const source = new SqlSource(definition.query.sql, this.diagnostics);
      let parsed: { statement: Statement | undefined } | undefined;
      const cte: CommonTableExpression = {
        name: definition.name,
        source,
        statement: () => (parsed ??= { statement: source.parseStatement() }).statement,
        used: false,
      };
      map.set(definition.name, { raw: definition, cte });
    }
    return map;
  }

  /** PowerSync warns about a CTE no query uses. */
  private warnUnused(definition: RawCommonTableExpression): void {
    this.diagnostics.push(
      new ConfigStructureError(
        `This common table expression isn't referenced: '${definition.name}'`,
        'warning',
        definition.position,
      ),
    );
  }

  warnUnusedGlobalCtes(): void {
    for (const definition of this.globalCtes)
      if (!this.usedGlobalCtes.has(definition)) this.warnUnused(definition);
  }

  stream(raw: RawStream): CompiledStream {
    const priority = raw.priority ?? DEFAULT_STREAM_PRIORITY;
    const pending: PendingResolver[] = [];
    const ctes = this.ctesFor(raw);
    const available = new Map([...ctes].map(([name, { cte }]) => [name, cte]));
    let counter = 0;
    for (const query of raw.queries) {
      const source = new SqlSource(query.sql, this.diagnostics);
      const parsed = parseStreamQuery(source, this.options.defaultSchema, available);
      if (!parsed) continue;
      const { fixedJsonExtract } = this.options;
      const outputRow = compileStreamColumns(
        parsed.primary,
        parsed.columns,
        parsed.columnSource,
        fixedJsonExtract,
      );
      const compiled = new Map<Expr, CompiledExpression>();
      const expand = compileRowExpander(parsed.primary, fixedJsonExtract);
      for (const terms of parsed.variants) {
        const plan = planVariant(parsed.primary, terms, { source, fixedJsonExtract, compiled });
        const bucket = `${raw.name}|${counter++}`;
        const dataKey = dataSignature(parsed.primary, parsed.columns, plan);
        const dataQuery = streamDataQuery(
          { set: parsed.primary, columns: parsed.columns, ...plan, ...(expand ? { expand } : {}) },
          outputRow,
        );
        const instantiation = this.instantiationSignature(plan);
        const same = pending.find((p) => p.instantiation === instantiation);
        if (same) same.data.set(dataKey, same.data.get(dataKey) ?? dataQuery);
        else pending.push({ bucket, instantiation, plan, data: new Map([[dataKey, dataQuery]]) });
        if (!raw.acceptPotentiallyDangerousQueries && !query.acceptDangerous)
          warnIfUnauthenticated(plan, source);
      }
    }
    if (pending.length > MAX_BUCKETS_PER_STREAM) {
      this.diagnostics.push(
        new BucketParameterError(
          `This stream defines too many buckets (${pending.length}, at most ${MAX_BUCKETS_PER_STREAM} are allowed). Split it into several streams or move inner OR operators into separate queries.`,
          'error',
          raw.position,
        ),
      );
    }
    for (const { raw: definition, cte } of ctes.values()) {
      if (!cte.used) continue;
      if (this.globalCtes.includes(definition)) this.usedGlobalCtes.add(definition);
    }
    for (const definition of raw.ctes) if (!ctes.get(definition.name)?.cte.used) this.warnUnused(definition);
    const resolvers = pending.map((p) => ({ bucket: this.bucketFor(p, raw.name, priority), plan: p.plan }));
    return { name: raw.name, autoSubscribe: raw.autoSubscribe, priority, resolvers };
  }

  /** The bucket of a resolver: a new one, or an earlier one with exactly the same data side. */
  private bucketFor(pending: PendingResolver, stream: string, priority: number): string {
    const key = JSON.stringify([...pending.data.keys()].sort());
    const existing = this.bucketsByData.get(key);
    if (existing !== undefined) return existing;
    this.bucketsByData.set(key, pending.bucket);
    this.buckets.push({ name: pending.bucket, stream, priority, dataQueries: [...pending.data.values()] });
    return pending.bucket;
  }

  /** Registers the lookups a plan reads and returns how a request instantiates it, as text. */
  private instantiationSignature(plan: VariantPlan): string {
    return JSON.stringify([
      plan.requestFilters.map((f) => f.sig).sort(),
      plan.values.map((v) => this.valueSignature(v)),
      plan.existence.map((l) => this.lookupId(l)).sort(),
    ]);
  }

  private valueSignature(value: ParameterValue): string {
    if (value.kind === 'request') return `r:${value.sig}`;
    if (value.kind === 'lookup') return `l:${this.lookupId(value.lookup)}#${value.output}`;
    return `i(${value.values.map((v) => this.valueSignature(v)).join(',')})`;
  }

  /** The canonical query id of a lookup (with its instantiation, since ids name stored keys). */
  private lookupId(plan: LookupPlan): string {
    let id = this.lookupIds.get(plan);
    // json_each(<request value>) reads no store: its identity is its signature, it has no row side.
    if (id === undefined && plan.requestArray) id = `request:${lookupSignature(plan)}`;
    if (id === undefined) {
      const signature = lookupSignature(plan);
      id = this.lookupsBySignature.get(signature);
      if (id === undefined) {
        id = String(this.lookups.length);
        this.lookupsBySignature.set(signature, id);
        this.lookups.push(createLookupCreator(plan, id));
      }
      this.lookupIds.set(plan, id);
    }
    const inputs = plan.values.map((v) => this.valueSignature(v)).join(',');
    return `${id}(${inputs})`;
  }
}

function dataSignature(set: ResultSet, columns: readonly SelectedColumn[], plan: VariantPlan): string {
  const { schema, name } = set.table;
  return JSON.stringify([
    schema,
    name,
    set.alias ?? null,
    columns.map((c) => [exprSignature(c.expr), c.alias?.name ?? null]),
    [...plan.filterSigs].sort(),
    plan.keys.map((k) => k.sig),
  ]);
}

/**
 * Warns when a bucket is instantiated only from client-controlled values (connection or
 * subscription parameters): any `auth.*` value among its parameters or request filters is enough.
 */
function warnIfUnauthenticated(plan: VariantPlan, source: SqlSource): void {
  const found: { auth: boolean; client: Expr | undefined } = { auth: false, client: undefined };
  plan.values.forEach((v) => classify(v, found));
  plan.existence.forEach((l) => classifyLookup(l, found));
  if (!found.auth && found.client === undefined) {
    for (const filter of plan.requestFilters) classifySide(filter.side, found);
  }
  if (found.auth || found.client === undefined) return;
  source.report(
    'dangerous',
    'Clients can send any value for this unauthenticated parameter, so this is unsuitable for authorization. Consider further constraining this with an authenticated parameter, or set accept_potentially_dangerous_queries: true on the stream.',
    found.client,
  );
}

function classify(value: ParameterValue, found: { auth: boolean; client: Expr | undefined }): void {
  if (value.kind === 'request') classifySide(value.side, found);
  else if (value.kind === 'lookup') classifyLookup(value.lookup, found);
  else value.values.forEach((v) => classify(v, found));
}

function classifyLookup(lookup: LookupPlan, found: { auth: boolean; client: Expr | undefined }): void {
  if (lookup.set.requestArray) classifySide(lookup.set.requestArray, found);
  lookup.values.forEach((v) => classify(v, found));
}

function classifySide(
  side: { expr: Expr; request: ReadonlySet<string> },
  found: { auth: boolean; client: Expr | undefined },
): void {
  if (side.request.has('auth')) found.auth = true;
  else if (side.request.size > 0) found.client ??= side.expr;
}
