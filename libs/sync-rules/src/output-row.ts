// The row a data query syncs: its SELECT columns compiled into a builder of the output row
// (`*` expanded without `_`-prefixed columns, blobs dropped), and the op's object id read from it.
// As in PowerSync, the row keeps its `id` value as it is (an integer id stays an integer in `data`);
// only the object id is text.
import type { SelectedColumn } from 'pgsql-ast-parser';
import type { EvalContext, Evaluator, ExpressionCompiler } from './expression';
import { columnName, isStar } from './sql-ast';
import type { SqlSource } from './sql-source';
import type { SqliteJsonRow, SqliteJsonValue, SqliteRow, SqliteValue } from '@syncline/sqlite-value';

export interface OutputColumn {
  name: string;
  evaluate: Evaluator | undefined; // undefined = `*`
}

export function compileColumns(
  columns: SelectedColumn[],
  compiler: ExpressionCompiler,
  source: SqlSource,
): OutputColumn[] {
  const out: OutputColumn[] = [];
  for (const column of columns) {
    if (isStar(column)) {
      out.push({ name: '*', evaluate: undefined });
      continue;
    }
    const name = columnName(column);
    const compiled = compiler.compile(column.expr);
    if (name === undefined) {
      source.report(
        'expression',
        'An expression in SELECT needs an alias: <expression> AS <name>',
        column.expr,
      );
      continue;
    }
    out.push({ name, evaluate: compiled.evaluate });
  }
  return out;
}

function toJsonValue(value: SqliteValue): SqliteJsonValue | undefined {
  return value instanceof Uint8Array ? undefined : value;
}

type OutputRowBuilder = (ctx: EvalContext) => SqliteJsonRow;
type MixedRowBuilder = (columns: readonly OutputColumn[], ctx: EvalContext) => SqliteJsonRow;

/** Editions 1-2 (data queries): `*` mixed with columns fills only the keys still unset or NULL. */
export function compileOutputRow(columns: readonly OutputColumn[]): OutputRowBuilder {
  return compileRow(columns, legacyMixedRow);
}

/** Edition 3 (stream queries): `*` mixed with columns overrides the columns before it. */
export function compileStreamOutputRow(columns: readonly OutputColumn[]): OutputRowBuilder {
  return compileRow(columns, mixedRow);
}

function compileRow(columns: readonly OutputColumn[], mixed: MixedRowBuilder): OutputRowBuilder {
  const onlyStar = columns.length === 1 && columns[0]?.evaluate === undefined;
  if (onlyStar) return sharedStarRow;
  if (columns.some((c) => c.evaluate === undefined)) return (ctx) => mixed(columns, ctx);
  // Without `*`, every output key is one of these, in this order: no Object.assign, no deletes of
  // keys that cannot exist yet, and arrays instead of per-column objects in the loop.
  const names = columns.map((c) => c.name);
  const evaluators = columns.map((c) => c.evaluate!);
  const duplicateNames = new Set(names).size !== names.length;
  return (ctx) => {
    const data: SqliteJsonRow = {};
    for (let i = 0; i < names.length; i++) {
      const value = evaluators[i]!(ctx);
      if (!(value instanceof Uint8Array)) data[names[i]!] = value;
      else if (duplicateNames) delete data[names[i]!]; // a later blob column hides an earlier one
    }
    return data;
  };
}

function sharedStarRow(ctx: EvalContext): SqliteJsonRow {
  return (ctx.starData ??= starRow(ctx.row)) as SqliteJsonRow;
}

/**
 * `*` mixed with other columns in PowerSync's legacy engine: a column sets its key; `*` sets each
 * of its keys only where the key is still unset or NULL (so `SELECT upper(name) AS name, *` keeps
 * the upper-cased name); blobs are dropped at the end.
 */
function legacyMixedRow(columns: readonly OutputColumn[], ctx: EvalContext): SqliteJsonRow {
  const values: SqliteRow = {};
  const row = ctx.row;
  for (const column of columns) {
    if (column.evaluate !== undefined) values[column.name] = column.evaluate(ctx);
    else for (const key in row) if (key.charCodeAt(0) !== 95 /* _ */) values[key] ??= row[key] ?? null;
  }
  const data: SqliteJsonRow = {};
  for (const key in values) {
    const value = toJsonValue(values[key] ?? null);
    if (value !== undefined) data[key] = value;
  }
  return data;
}

/** `*` mixed with other columns: later columns override earlier ones, blobs remove the key. */
function mixedRow(columns: readonly OutputColumn[], ctx: EvalContext): SqliteJsonRow {
  const data: SqliteJsonRow = {};
  for (const column of columns) {
    if (column.evaluate === undefined) {
      Object.assign(data, (ctx.starData ??= starRow(ctx.row)));
    } else {
      const value = toJsonValue(column.evaluate(ctx));
      if (value !== undefined) data[column.name] = value;
      else delete data[column.name];
    }
  }
  return data;
}

/** `*`: every column except `_`-prefixed ones and blobs. */
function starRow(row: SqliteRow): SqliteJsonRow {
  const data: SqliteJsonRow = {};
  for (const key in row) {
    if (key.charCodeAt(0) === 95 /* _ */) continue;
    const value = row[key] ?? null;
    if (!(value instanceof Uint8Array)) data[key] = value;
  }
  return data;
}

/**
 * The op's object id: the row's `id` as text (PowerSync's conversion: integers and reals as
 * JavaScript prints them, so a REAL 1.0 gives `1`), or '' when the row has no id, a NULL one or a
 * blob (blobs are not in `data`).
 */
export function objectId(data: SqliteJsonRow): string {
  const id = data['id'];
  if (typeof id === 'string') return id;
  return id === undefined || id === null ? '' : String(id);
}
