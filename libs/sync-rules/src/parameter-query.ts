// Compiles parameter queries in their three forms: static (request values only), table lookups
// (pre-indexed from replicated rows, read back per request) and json_each over a request value.
import type { Expr, SelectedColumn, SelectStatement } from 'pgsql-ast-parser';
import { ExpressionCompiler, type CompiledExpression, type EvalContext, type Evaluator } from './expression';
import { jsonArrayElements } from './json-values';
import type { RequestContext } from './request-context';
import { columnName, isStar } from './sql-ast';
import type { SqlSource } from './sql-source';
import {
  isTruthy,
  normalizeNumber,
  type SqliteJsonRow,
  type SqliteJsonValue,
  type SqliteValue,
} from '@syncline/sqlite-value';
import { compileTableMatcher, tablePattern, type SourceTableName, type TablePattern } from './table-pattern';
import { checkPriorityColumns, checkPriorityValues } from './parameter-priority';

/** A key under which a replicated row's bucket parameters are indexed. */
export interface ParameterLookup {
  definition: string;
  /** Identifies the parameter query (and OR-branch) inside the definition. */
  queryId: string;
  /** Values compared with request values, in the query's condition order. */
  values: SqliteJsonValue[];
}

/** One indexed entry produced by a replicated row: store `parameters` under `lookup`. */
export interface ParameterLookupEntry {
  lookup: ParameterLookup;
  /** The row-derived output columns (bucket parameters and `_priority`). */
  parameters: SqliteJsonRow;
}

/** A bucket parameter assignment found for a request, before naming. */
export interface ResolvedParameters {
  values: SqliteJsonRow;
}

export interface LookupRequest {
  lookups: ParameterLookup[];
  /** Turns the stored rows for each lookup (aligned with `lookups`) into parameter assignments. */
  complete(rows: readonly (readonly SqliteJsonRow[])[]): ResolvedParameters[];
}

export interface CompiledParameterQuery {
  form: 'static' | 'table' | 'json_each';
  /** Output columns in SELECT order, including `_priority` when present. */
  outputNames: string[];
  table: TablePattern | undefined;
  matchesTable(table: SourceTableName): boolean;
  /** Table form: the lookup entries a replicated row contributes. */
  lookupEntries(row: EvalContext['row']): ParameterLookupEntry[];
  /** Static and json_each forms: parameter assignments for a request. */
  resolveDirect(request: RequestContext): ResolvedParameters[];
  /** Table form: the lookups to read for a request, and how to finish with their rows. */
  lookupRequest(request: RequestContext): LookupRequest;
}

export interface ParameterQueryOptions {
  definition: string;
  queryIndex: number;
  defaultSchema: string;
  fixedJsonExtract: boolean;
  acceptDangerous: boolean;
  /** The definition has `priority`, so a `_priority` column is an error (static and table forms). */
  definitionSetsPriority: boolean;
}

interface Output {
  name: string;
  expr: CompiledExpression;
}

interface LookupKey {
  row: Evaluator;
  /** `request_value IN row_json_array`: each array element is a key value. */
  rowExpands: boolean;
  request: Evaluator;
  /** `row_value IN request_json_array`: each array element is looked up. */
  requestExpands: boolean;
  condition: Expr;
}

interface Alternative {
  rowFilters: Evaluator[];
  requestFilters: Evaluator[];
  keys: LookupKey[];
}

const EMPTY_ROW = Object.freeze({}) as EvalContext['row'];

export function compileParameterQuery(
  source: SqlSource,
  options: ParameterQueryOptions,
): CompiledParameterQuery | undefined {
  const statement = source.parseStatement();
  if (!statement) return undefined;
  const report = source.report;
  if (statement.type !== 'select') {
    report('query-shape', 'A parameter query must be a SELECT statement', statement);
    return undefined;
  }
  for (const [clause, node] of [
    ['GROUP BY', statement.groupBy?.[0]],
    ['ORDER BY', statement.orderBy?.[0]],
    ['LIMIT', statement.limit],
    ['HAVING', statement.having],
  ] as const) {
    if (node) report('query-shape', `${clause} is not supported in parameter queries`, node as Expr);
  }
  warnIfDangerous(statement, source, options.acceptDangerous);
  checkPriorityValues(statement.columns ?? [], source);
  const from = statement.from ?? [];
  if (from.length > 1 || from[0]?.join) {
    report('query-shape', 'Must SELECT from a single table', from[1] ?? from[0]);
    return undefined;
  }
  const first = from[0];
  const scopeBase = { fixedJsonExtract: options.fixedJsonExtract, allowRequest: true };
  if (first === undefined) {
    const compiler = new ExpressionCompiler(source.text, { ...scopeBase, rowQualifiers: undefined }, report);
    checkPriorityColumns(statement.columns ?? [], source, options.definitionSetsPriority);
    return staticQuery(statement, compiler, source);
  }
  if (first.type === 'call') {
    if (first.function.name.toLowerCase() !== 'json_each' || first.function.schema) {
      report(
        'query-shape',
        `Table-valued function '${first.function.name}' is not supported; only json_each()`,
        first,
      );
      return undefined;
    }
    const alias = first.alias?.name;
    const compiler = new ExpressionCompiler(
      source.text,
      { ...scopeBase, rowQualifiers: alias ? [alias] : ['json_each'] },
      report,
    );
    return jsonEachQuery(statement, first.args, compiler, source);
  }
  if (first.type !== 'table') {
    report('query-shape', 'Subqueries are not supported', first);
    return undefined;
  }
  if (first.name.alias) {
    report('query-shape', 'Table aliases are not supported in parameter queries', first);
  }
  const compiler = new ExpressionCompiler(
    source.text,
    { ...scopeBase, rowQualifiers: [first.name.name] },
    report,
  );
  const table = tablePattern(first.name.name, first.name.schema, options.defaultSchema);
  checkPriorityColumns(statement.columns ?? [], source, options.definitionSetsPriority);
  return tableQuery(statement, table, compiler, source, options);
}

function compileOutputs(
  statement: SelectStatement & { type: 'select' },
  compiler: ExpressionCompiler,
  source: SqlSource,
): Output[] {
  const outputs: Output[] = [];
  for (const column of (statement.columns ?? []) as SelectedColumn[]) {
    if (isStar(column)) {
      source.report(
        'query-shape',
        'SELECT * is not allowed in parameter queries; name the bucket parameters',
        column.expr,
      );
      continue;
    }
    const name = columnName(column);
    const expr = compiler.compile(column.expr);
    if (name === undefined) {
      source.report('expression', 'A bucket parameter needs a name: <expression> AS <name>', column.expr);
      continue;
    }
    outputs.push({ name, expr });
  }
  return outputs;
}

function notApplicable(): never {
  throw new Error('This parameter query form does not use this entry point');
}

function evaluateOutputs(outputs: readonly Output[], ctx: EvalContext): SqliteJsonRow | undefined {
  const values: SqliteJsonRow = {};
  for (const output of outputs) {
    const value = output.expr.evaluate(ctx);
    if (value instanceof Uint8Array) return undefined;
    values[output.name] = normalizeNumber(value);
  }
  return values;
}

function staticQuery(
  statement: SelectStatement & { type: 'select' },
  compiler: ExpressionCompiler,
  source: SqlSource,
): CompiledParameterQuery {
  const outputs = compileOutputs(statement, compiler, source);
  const where = statement.where ? compiler.compile(statement.where).evaluate : undefined;
  return {
    form: 'static',
    outputNames: outputs.map((o) => o.name),
    table: undefined,
    matchesTable: () => false,
    lookupEntries: () => [],
    resolveDirect: (request) => {
      const ctx: EvalContext = { row: EMPTY_ROW, request };
      if (where && !isTruthy(where(ctx))) return [];
      const values = evaluateOutputs(outputs, ctx);
      return values ? [{ values }] : [];
    },
    lookupRequest: notApplicable,
  };
}

function jsonEachQuery(
  statement: SelectStatement & { type: 'select' },
  args: Expr[],
  compiler: ExpressionCompiler,
  source: SqlSource,
): CompiledParameterQuery {
  const [arg] = args;
  let array: Evaluator = () => null;
  if (args.length !== 1 || !arg) {
    source.report('expression', 'json_each() takes exactly one argument', statement.from?.[0]);
  } else {
    const compiled = compiler.compile(arg);
    if (compiled.usesRow)
      source.report('expression', 'The json_each() argument must only use request values', arg);
    array = compiled.evaluate;
  }
  const outputs = compileOutputs(statement, compiler, source);
  const where = statement.where ? compiler.compile(statement.where).evaluate : undefined;
  return {
    form: 'json_each',
    outputNames: outputs.map((o) => o.name),
    table: undefined,
    matchesTable: () => false,
    lookupEntries: () => [],
    resolveDirect: (request) => {
      const elements = jsonArrayElements(array({ row: EMPTY_ROW, request })) ?? [];
      const results: ResolvedParameters[] = [];
      elements.forEach((value, index) => {
        const ctx: EvalContext = { row: { value, key: BigInt(index) }, request };
        if (where && !isTruthy(where(ctx))) return;
        const values = evaluateOutputs(outputs, ctx);
        if (values) results.push({ values });
      });
      return results;
    },
    lookupRequest: notApplicable,
  };
}

function tableQuery(
  statement: SelectStatement & { type: 'select' },
  table: TablePattern,
  compiler: ExpressionCompiler,
  source: SqlSource,
  options: ParameterQueryOptions,
): CompiledParameterQuery {
  const outputs = compileOutputs(statement, compiler, source);
  for (const output of outputs) {
    if (output.expr.usesRow && output.expr.usesRequest) {
      source.report(
        'expression',
        `Output '${output.name}' must use either row values or request values, not both`,
        statement,
      );
    }
  }
  const rowOutputs = outputs.filter((o) => o.expr.usesRow);
  const requestOutputs = outputs.filter((o) => !o.expr.usesRow);
  const alternatives = statement.where
    ? toAlternatives(statement.where, compiler, source)
    : [emptyAlternative()];
  const expanding = alternatives.some((a) => a.keys.filter((k) => k.requestExpands).length > 1);
  if (expanding) {
    source.report(
      'expression',
      'At most one condition may expand a request array (row_value IN request_array)',
      statement.where ?? statement,
    );
  }
  const queryId = (alt: number): string =>
    alternatives.length === 1 ? `${options.queryIndex}` : `${options.queryIndex}.${alt}`;

  return {
    form: 'table',
    outputNames: outputs.map((o) => o.name),
    table,
    matchesTable: compileTableMatcher(table),
    lookupEntries: (row) => {
      const ctx: EvalContext = { row, request: undefined };
      const parameters = evaluateOutputs(rowOutputs, ctx);
      if (!parameters) return [];
      const entries: ParameterLookupEntry[] = [];
      alternatives.forEach((alt, altIndex) => {
        if (!alt.rowFilters.every((f) => isTruthy(f(ctx)))) return;
        const valueSets = alt.keys.map((k) => keyValues(k.row(ctx), k.rowExpands));
        for (const values of product(valueSets)) {
          entries.push({
            lookup: { definition: options.definition, queryId: queryId(altIndex), values },
            parameters,
          });
        }
      });
      return entries;
    },
    resolveDirect: notApplicable,
    lookupRequest: (request) => {
      const ctx: EvalContext = { row: EMPTY_ROW, request };
      const lookups: ParameterLookup[] = [];
      alternatives.forEach((alt, altIndex) => {
        if (!alt.requestFilters.every((f) => isTruthy(f(ctx)))) return;
        const valueSets = alt.keys.map((k) => keyValues(k.request(ctx), k.requestExpands));
        for (const values of product(valueSets)) {
          lookups.push({ definition: options.definition, queryId: queryId(altIndex), values });
        }
      });
      const requestValues = evaluateOutputs(requestOutputs, ctx);
      return {
        lookups,
        complete: (rows) => {
          if (!requestValues) return [];
          const results: ResolvedParameters[] = [];
          for (const stored of rows)
            for (const row of stored) results.push({ values: { ...row, ...requestValues } });
          return results;
        },
      };
    },
  };
}

function keyValues(value: SqliteValue, expands: boolean): SqliteJsonValue[] {
  const candidates = expands ? (jsonArrayElements(value) ?? []) : [value];
  const out: SqliteJsonValue[] = [];
  for (const candidate of candidates) {
    if (candidate === null || candidate instanceof Uint8Array) continue;
    out.push(normalizeNumber(candidate));
  }
  return out;
}

function product(sets: readonly SqliteJsonValue[][]): SqliteJsonValue[][] {
  let result: SqliteJsonValue[][] = [[]];
  for (const set of sets) {
    const next: SqliteJsonValue[][] = [];
    for (const prefix of result) for (const value of set) next.push([...prefix, value]);
    result = next;
  }
  return result;
}

function emptyAlternative(): Alternative {
  return { rowFilters: [], requestFilters: [], keys: [] };
}

/** WHERE as a disjunction of conjunctions of lookup keys, row filters and request filters. */
function toAlternatives(expr: Expr, compiler: ExpressionCompiler, source: SqlSource): Alternative[] {
  if (expr.type === 'binary' && expr.op === 'OR') {
    return [...toAlternatives(expr.left, compiler, source), ...toAlternatives(expr.right, compiler, source)];
  }
  if (expr.type === 'binary' && expr.op === 'AND') {
    const left = toAlternatives(expr.left, compiler, source);
    const right = toAlternatives(expr.right, compiler, source);
    const rightExpanding = firstRowExpanding(right);
    if (rightExpanding && firstRowExpanding(left)) {
      // As in PowerSync: a row would be indexed under the product of two arrays.
      source.report('expression', 'Cannot have multiple IN expressions on bucket parameters', rightExpanding);
    }
    const out: Alternative[] = [];
    for (const a of left) {
      for (const b of right) {
        out.push({
          rowFilters: [...a.rowFilters, ...b.rowFilters],
          requestFilters: [...a.requestFilters, ...b.requestFilters],
          keys: [...a.keys, ...b.keys],
        });
      }
    }
    return out;
  }
  if (expr.type === 'binary' && (expr.op === '=' || expr.op === 'IN') && expr.right.type !== 'list') {
    const left = compiler.compile(expr.left);
    const right = compiler.compile(expr.right);
    const rowOnly = (c: CompiledExpression): boolean => c.usesRow && !c.usesRequest;
    const requestOnly = (c: CompiledExpression): boolean => c.usesRequest && !c.usesRow;
    if (rowOnly(left) && requestOnly(right)) {
      return [
        {
          ...emptyAlternative(),
          keys: [
            {
              row: left.evaluate,
              rowExpands: false,
              request: right.evaluate,
              requestExpands: expr.op === 'IN',
              condition: expr,
            },
          ],
        },
      ];
    }
    if (requestOnly(left) && rowOnly(right)) {
      return [
        {
          ...emptyAlternative(),
          keys: [
            {
              row: right.evaluate,
              rowExpands: expr.op === 'IN',
              request: left.evaluate,
              requestExpands: false,
              condition: expr,
            },
          ],
        },
      ];
    }
  }
  const compiled = compiler.compile(expr);
  if (compiled.usesRow && compiled.usesRequest) {
    source.report(
      'expression',
      'A condition mixing row and request values must be `row_value = request_value` or use IN',
      expr,
    );
    return [emptyAlternative()];
  }
  const alt = emptyAlternative();
  (compiled.usesRow ? alt.rowFilters : alt.requestFilters).push(compiled.evaluate);
  return [alt];
}

/** The first `request_value IN row_json_array` condition of the alternatives. */
function firstRowExpanding(alternatives: readonly Alternative[]): Expr | undefined {
  for (const alt of alternatives) for (const key of alt.keys) if (key.rowExpands) return key.condition;
  return undefined;
}

/** The first use of a client-controlled value, unless the query is marked as accepted. */
function warnIfDangerous(statement: SelectStatement, source: SqlSource, accepted: boolean): void {
  if (accepted) return;
  const node = findClientParameter(statement);
  if (node) {
    source.report(
      'dangerous',
      'Potentially dangerous query based on parameters set by the client. The client can send any value for these parameters so it is not a good place to do authorization. Set accept_potentially_dangerous_queries: true on the bucket definition if this is intended.',
      node,
    );
  }
}

function findClientParameter(node: unknown): Expr | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  const n = node as {
    type?: string;
    table?: { name?: string };
    function?: { name?: string; schema?: string };
  };
  if (n.type === 'ref' && n.table?.name === 'user_parameters') return node as Expr;
  if (n.type === 'call' && n.function?.schema === 'request' && n.function.name === 'parameters')
    return node as Expr;
  for (const [key, value] of Object.entries(node)) {
    if (key === '_location') continue;
    const found = Array.isArray(value)
      ? value.map(findClientParameter).find((v) => v !== undefined)
      : findClientParameter(value);
    if (found) return found;
  }
  return undefined;
}
