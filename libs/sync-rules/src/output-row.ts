// The row a data query syncs: its SELECT columns compiled into a builder of the output row
// (`*` expanded without `_`-prefixed columns, blobs dropped, the id as text).
import type { SelectedColumn } from 'pgsql-ast-parser';
import type { EvalContext, Evaluator, ExpressionCompiler } from './expression';
import { columnName, isStar } from './sql-ast';
import type { SqlSource } from './sql-source';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteJsonRow, SqliteJsonValue, SqliteRow, SqliteValue } from '@syncline/sqlite-value';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { castAsText } = sqliteValues;

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

export function compileOutputRow(columns: readonly OutputColumn[]): (ctx: EvalContext) => SqliteJsonRow {
  const onlyStar = columns.length === 1 && columns[0]?.evaluate === undefined;
  if (onlyStar) return sharedStarRow;
  if (columns.some((c) => c.evaluate === undefined)) return (ctx) => mixedRow(columns, ctx);
  // Without `*`, every output key is one of these, in this order: no Object.assign, no deletes of
  // keys that cannot exist yet, and arrays instead of per-column objects in the loop.
  const names = columns.map((c) => c.name);
  const evaluators = columns.map((c) => c.evaluate!);
  const duplicateNames = new Set(names).size !== names.length;
  const idIndex = names.lastIndexOf('id');
  return (ctx) => {
    const data: SqliteJsonRow = {};
    let id: SqliteValue | undefined;
    for (let i = 0; i < names.length; i++) {
      const value = evaluators[i]!(ctx);
      if (i === idIndex) id = value;
      if (!(value instanceof Uint8Array)) data[names[i]!] = value;
      else if (duplicateNames) delete data[names[i]!]; // a later blob column hides an earlier one
    }
    // Text ids (the common case) are already in place; others become text, a missing one ''.
    if (typeof id !== 'string') data['id'] = idText(id instanceof Uint8Array ? undefined : id);
    return data;
  };
}

function sharedStarRow(ctx: EvalContext): SqliteJsonRow {
  return (ctx.starData ??= starRow(ctx.row)) as SqliteJsonRow;
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
  data['id'] = idText(data['id']);
  return data;
}

/** `*`: every column except `_`-prefixed ones and blobs, with the id as text. */
function starRow(row: SqliteRow): SqliteJsonRow {
  const data: SqliteJsonRow = {};
  for (const key in row) {
    if (key.charCodeAt(0) === 95 /* _ */) continue;
    const value = row[key] ?? null;
    if (!(value instanceof Uint8Array)) data[key] = value;
  }
  data['id'] = idText(data['id']);
  return data;
}

function idText(id: SqliteJsonValue | undefined): string {
  return typeof id === 'string' ? id : id === undefined || id === null ? '' : (castAsText(id) ?? '');
}
