// The order of a stream bucket's parameters, which decides bucket names: PowerSync sorts partition
// keys by a stable hash of each key's SQL text (row values written `?`) followed by the names of
// the columns it reads; a JSON array key (`x IN t.array`, a json_each over a row) is hashed as
// `json_each`, its array's text and columns, then `?value`. This module renders that text for the
// expressions we can render exactly; others leave the written order.
import type { Expr } from 'pgsql-ast-parser';
import { ROW_METADATA_FUNCTIONS } from './row-metadata';

/** Operator precedences of SQLite, as PowerSync's SQL printer parenthesises by them. */
const PRECEDENCE: Record<string, number> = { '||': 9, '*': 8, '/': 8, '%': 8, '+': 7, '-': 7 };

/** The text PowerSync hashes for a partition key, or undefined when this expression is not rendered. */
export function partitionHashText(expr: Expr, expands: boolean): string | undefined {
  const inputs: string[] = [];
  const sql = render(expr, 0, inputs);
  if (sql === undefined) return undefined;
  const text = sql + inputs.join('');
  return expands ? `json_each${text}?value` : text;
}

function render(expr: Expr, outer: number, inputs: string[]): string | undefined {
  switch (expr.type) {
    case 'ref':
      // `*`, and the synthetic element columns of a json_each over the row (hashed otherwise).
      if (expr.name === '*' || expr.name.startsWith('\u0000')) return undefined;
      inputs.push(expr.name);
      return '?';
    case 'string':
      return `'${expr.value.replaceAll("'", "''")}'`;
    case 'integer':
      return Number.isSafeInteger(expr.value) ? String(expr.value) : undefined;
    case 'null':
      return 'NULL';
    case 'call':
      return renderCall(expr, inputs);
    case 'member': {
      const operand = render(expr.operand, 0, inputs);
      const member =
        typeof expr.member === 'number'
          ? String(expr.member)
          : render({ type: 'string', value: expr.member }, 0, inputs);
      return operand === undefined ? undefined : `"${expr.op}"(${operand}, ${member})`;
    }
    case 'cast': {
      const to = (expr.to as { name?: string }).name?.toLowerCase();
      const operand = render(expr.operand, 0, inputs);
      return to === undefined || operand === undefined ? undefined : `CAST(${operand} AS ${to})`;
    }
    case 'binary': {
      const precedence = PRECEDENCE[expr.op];
      if (precedence === undefined) return undefined;
      const left = render(expr.left, precedence, inputs);
      const right = render(expr.right, precedence, inputs);
      if (left === undefined || right === undefined) return undefined;
      const text = `${left} ${expr.op} ${right}`;
      return outer >= precedence ? `(${text})` : text;
    }
    default:
      return undefined;
  }
}

function renderCall(expr: Expr & { type: 'call' }, inputs: string[]): string | undefined {
  const name = expr.function.name.toLowerCase();
  if (expr.function.schema !== undefined) {
    if (!ROW_METADATA_FUNCTIONS.has(name) || expr.args.length > 0) return undefined;
    inputs.push(`table.${name}`);
    return '?';
  }
  if (expr.distinct || expr.orderBy || expr.filter || expr.over) return undefined;
  const args: string[] = [];
  for (const arg of expr.args) {
    const text = render(arg, 0, inputs);
    if (text === undefined) return undefined;
    args.push(text);
  }
  return `"${name}"(${args.join(', ')})`;
}
