// The data side of one stream bucket: rows of the synced table that pass the variant's filters go
// into the bucket named by their partition key values (one per element for an expanding key).
// Produces the same CompiledDataQuery that bucket definitions' data queries compile to.
import type { SelectedColumn } from 'pgsql-ast-parser';
import type { BucketNameCollector, BucketNamer, CompiledDataQuery } from './data-query';
import { ExpressionCompiler, type EvalContext } from './expression';
import * as jsonValues from './json-values';
import { compileColumns, compileStreamOutputRow } from './output-row';
import type { SqlSource } from './sql-source';
import { inferredName } from './stream-derived';
import type { PartitionKey } from './stream-plan';
import type { ResultSet } from './stream-terms';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonValue, SqliteValue } from '@syncline/sqlite-value';
import { compileTableMatcher } from './table-pattern';
import type { RowExpander } from './stream-attached';

const { jsonArrayElements } = jsonValues;
const { isTruthy, normalizeNumber } = sqliteValues;

export interface StreamDataSourceSpec {
  set: ResultSet;
  columns: SelectedColumn[];
  filters: ((ctx: EvalContext) => SqliteValue)[];
  keys: PartitionKey[];
  /** Set when the row is evaluated once per element of its own arrays (stream-attached.ts). */
  expand?: RowExpander;
}

/** Compiles the SELECT columns of a stream query (reported once per query, shared by its variants). */
export function compileStreamColumns(
  set: ResultSet,
  selected: SelectedColumn[],
  source: SqlSource,
  fixedJsonExtract: boolean,
) {
  // PowerSync names an expression column without AS by its text, with a warning.
  const columns = selected.map((c) =>
    c.alias || c.expr.type === 'ref' ? c : { ...c, alias: { name: inferredName(c, source) } },
  );
  const row = { rowQualifiers: [set.qualifier], rowTables: new Map([[set.qualifier, set.table]]) };
  const compiler = new ExpressionCompiler(
    source.text,
    { ...row, allowRequest: false, fixedJsonExtract, requestSyntax: 'streams' },
    source.report,
  );
  return compileStreamOutputRow(compileColumns(columns, compiler, source));
}

export function streamDataQuery(
  spec: StreamDataSourceSpec,
  outputRow: CompiledDataQuery['outputRow'],
): CompiledDataQuery {
  const { filters, keys, expand } = spec;
  const rowParameters = (ctx: EvalContext): SqliteJsonValue[][] => {
    for (const filter of filters) if (!isTruthy(filter(ctx))) return [];
    let tuples: SqliteJsonValue[][] = [[]];
    for (const key of keys) {
      const values = keyValues(key.evaluate(ctx), key.expands);
      if (values.length === 0) return [];
      tuples = tuples.flatMap((prefix) => values.map((v) => [...prefix, v]));
    }
    return tuples;
  };
  const bucketParameters = expand ? expandedParameters(expand, rowParameters) : rowParameters;
  return {
    table: spec.set.table,
    matchesTable: compileTableMatcher(spec.set.table),
    alias: spec.set.alias,
    // Edition 3 has the row metadata function `t.table_suffix()` instead.
    exposesTableSuffix: false,
    bucketParameters,
    compileBucketNames:
      (namer: BucketNamer): BucketNameCollector =>
      (ctx, out) => {
        const tuples = bucketParameters(ctx);
        for (let i = 0; i < tuples.length; i++) out[i] = namer.forTuple(tuples[i]!);
        return tuples.length;
      },
    outputRow,
  };
}

/** The parameters of every row `expand` gives, each tuple once; the context's row is restored. */
function expandedParameters(
  expand: RowExpander,
  rowParameters: (ctx: EvalContext) => SqliteJsonValue[][],
): (ctx: EvalContext) => SqliteJsonValue[][] {
  return (ctx) => {
    const original = ctx.row;
    const found = new Map<string, SqliteJsonValue[]>();
    try {
      for (const row of expand(ctx)) {
        ctx.row = row;
        for (const tuple of rowParameters(ctx)) found.set(tupleKey(tuple), tuple);
      }
    } finally {
      ctx.row = original;
    }
    return [...found.values()];
  };
}

function tupleKey(tuple: readonly SqliteJsonValue[]): string {
  return JSON.stringify(tuple, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Bucket parameter values of a key: NULL and blobs match nothing; arrays give each distinct element. */
export function keyValues(value: SqliteValue, expands: boolean): SqliteJsonValue[] {
  const candidates = expands ? (jsonArrayElements(value) ?? []) : [value];
  const out: SqliteJsonValue[] = [];
  for (const candidate of candidates) {
    if (candidate === null || candidate instanceof Uint8Array) continue;
    const v = normalizeNumber(candidate);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}
