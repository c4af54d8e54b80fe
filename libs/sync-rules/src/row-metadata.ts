// Row metadata functions of sync streams, as PowerSync has them: `t.schema()`, `t.table_name()`
// and `t.table_suffix()` give the schema, the name and the part a wildcard matched of the source
// table the row of `t` came from. The table is the one evaluateRow / evaluateParameterRow was given.
import type { Expr } from 'pgsql-ast-parser';
import type { DiagnosticReporter } from './sql-source';
import type { CompiledExpression, EvalContext } from './expression';
import { parseSourceTable, type SourceTableName, type TablePattern } from './table-pattern';

export const ROW_METADATA_FUNCTIONS: ReadonlySet<string> = new Set(['schema', 'table_name', 'table_suffix']);

/** `t.<kind>()` where `t` reads a table of `pattern`; reports arguments and a suffix that is always empty. */
export function compileRowMetadata(
  expr: Expr & { type: 'call' },
  pattern: TablePattern,
  report: DiagnosticReporter,
): CompiledExpression {
  const kind = expr.function.name.toLowerCase();
  if (expr.args.length > 0) report('expression', 'Expected no arguments here', expr.function);
  const schemaIsWildcard = pattern.schema.endsWith('%');
  const wildcardAt = pattern.name.indexOf('%');
  let evaluate: (ctx: EvalContext) => string;
  if (kind === 'schema') {
    evaluate = schemaIsWildcard ? (ctx) => sourceOf(ctx, pattern).schema : () => pattern.schema;
  } else if (kind === 'table_name') {
    evaluate = wildcardAt >= 0 ? (ctx) => sourceOf(ctx, pattern).name : () => pattern.name;
  } else {
    if (wildcardAt < 0) {
      report(
        'expression',
        'table_suffix() is always empty because this table is not selected with a wildcard name',
        expr.function,
        'warning',
      );
    }
    evaluate = wildcardAt < 0 ? () => '' : (ctx) => sourceOf(ctx, pattern).name.slice(wildcardAt);
  }
  return { evaluate, usesRow: true, usesRequest: false, usesClientParameters: false };
}

/** The source table of the row being evaluated (`schema.name`, or `name` in the pattern's schema). */
function sourceOf(ctx: EvalContext, pattern: TablePattern): SourceTableName {
  return parseSourceTable(ctx.table ?? '', pattern.schema);
}
