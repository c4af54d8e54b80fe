// Rows of a table with json_each items over its own arrays (`FROM posts, json_each(posts.tags) AS
// t WHERE t.value ->> 'name' = ...`): the row is evaluated once per element (per combination, with
// several), the element's `value` and `key` as synthetic columns, as PowerSync expands them.
import { ExpressionCompiler, type EvalContext } from './expression';
import { jsonEachRows } from './stream-lookup';
import { elementColumn } from './stream-scope';
import type { ResultSet } from './stream-terms';
import { parseJsonValue } from './json-values';
import type { SqliteRow } from '@syncline/sqlite-value';

/** The rows a row stands for, or undefined when the table has no such json_each item. */
export type RowExpander = (ctx: EvalContext) => SqliteRow[];

export function compileRowExpander(set: ResultSet, fixedJsonExtract: boolean): RowExpander | undefined {
  const attached = set.attached ?? [];
  if (attached.length === 0) return undefined;
  const scope = {
    rowQualifiers: [set.qualifier],
    rowTables: new Map([[set.qualifier, set.table]]),
    allowRequest: false,
    fixedJsonExtract,
    requestSyntax: 'streams' as const,
  };
  const arrays = attached.map((a) => ({
    value: elementColumn(a.qualifier, 'value'),
    key: elementColumn(a.qualifier, 'key'),
    evaluate: new ExpressionCompiler(a.source.text, scope, a.source.report).compile(a.array).evaluate,
  }));
  return (ctx) => {
    let rows: SqliteRow[] = [ctx.row];
    for (const array of arrays) {
      rows = rows.flatMap((row) => {
        const parsed = parseJsonValue(array.evaluate({ ...ctx, row }));
        if (parsed === undefined) return [];
        return jsonEachRows(parsed).map((e) => ({
          ...row,
          [array.key]: e['key']!,
          [array.value]: e['value']!,
        }));
      });
    }
    return rows;
  };
}
