// The order of a stream bucket's parameters, which decides bucket names: PowerSync sorts partition
// keys by a stable hash of each key's SQL text (row values written `?`) followed by the names of
// the columns it reads; a JSON array key (`x IN t.array`, a json_each over a row) is hashed as
// `json_each`, its array's text and columns, then `?value`. This module renders that text the way
// PowerSync lowers an expression to SQLite and prints it; what it cannot render leaves the written order.
import type { Expr } from 'pgsql-ast-parser';
import { ROW_METADATA_FUNCTIONS } from './row-metadata';

/** SQLite's operator precedences, by which PowerSync's SQL printer parenthesises. */
const P = { not: 3, equals: 4, comparison: 5, binary: 6, unary: 11 } as const;

/** Binary operators as PowerSync prints them (keywords in lower case), with their precedence. */
const BINARY: Record<string, [string, number]> = {
  OR: ['or', 1],
  AND: ['and', 2],
  '=': ['=', P.equals],
  '<': ['<', P.comparison],
  '>': ['>', P.comparison],
  '<=': ['<=', P.comparison],
  '>=': ['>=', P.comparison],
  '&': ['&', P.binary],
  '|': ['|', P.binary],
  '<<': ['<<', P.binary],
  '>>': ['>>', P.binary],
  '+': ['+', 7],
  '-': ['-', 7],
  '*': ['*', 8],
  '/': ['/', 8],
  '%': ['%', 8],
  '||': ['||', 9],
};

/** `x IS ...` forms: whether PowerSync negates `x is <right>`, and the right side it prints. */
const IS_FORMS: Record<string, [boolean, string]> = {
  'IS NULL': [false, 'NULL'],
  'IS NOT NULL': [true, 'NULL'],
  'IS TRUE': [false, '1'],
  'IS NOT TRUE': [true, '1'],
  'IS FALSE': [false, '0'],
  'IS NOT FALSE': [true, '0'],
};

/** Rendered SQL text, or undefined when the expression is not rendered (its key keeps the written order). */
type Text = string | undefined;

/** The text PowerSync hashes for a partition key, or undefined when this expression is not rendered. */
export function partitionHashText(expr: Expr, expands: boolean): string | undefined {
  const inputs: string[] = [];
  const sql = render(expr, 0, inputs);
  if (sql === undefined) return undefined;
  const text = sql + inputs.join('');
  return expands ? `json_each${text}?value` : text;
}

function render(expr: Expr, outer: number, inputs: string[]): Text {
  switch (expr.type) {
    case 'ref':
      // `*`, and the synthetic element columns of a json_each over the row (hashed otherwise).
      if (expr.name === '*' || expr.name.startsWith('\u0000')) return undefined;
      inputs.push(expr.name);
      return '?';
    case 'call':
      return renderCall(expr, inputs);
    case 'member': {
      const member: Expr =
        typeof expr.member === 'number'
          ? { type: 'integer', value: expr.member }
          : { type: 'string', value: expr.member };
      return renderFunction(expr.op, [expr.operand, member], inputs);
    }
    case 'substring': {
      const args = [expr.value, expr.from ?? { type: 'integer', value: 1 }];
      if (expr.for) args.push(expr.for);
      return renderFunction('substr', args, inputs);
    }
    case 'cast': {
      const to = (expr.to as { name?: string }).name?.toLowerCase();
      const operand = render(expr.operand, 0, inputs);
      return to === undefined || operand === undefined ? undefined : `CAST(${operand} AS ${to})`;
    }
    case 'binary':
      return renderBinary(expr, outer, inputs);
    case 'unary':
      return renderUnary(expr, outer, inputs);
    case 'ternary': {
      const parts = [expr.value, expr.lo, expr.hi].map((e) => render(e, P.equals, inputs));
      if (parts.some((p) => p === undefined)) return undefined;
      const between = wrap(outer, P.equals, `${parts[0]} BETWEEN ${parts[1]} AND ${parts[2]}`);
      return expr.op === 'NOT BETWEEN' ? wrap(outer, P.not, `not ${between}`) : between;
    }
    case 'case':
      return renderCase(expr, inputs);
    default:
      return renderLiteral(expr);
  }
}

function renderLiteral(expr: Expr): Text {
  switch (expr.type) {
    case 'string':
      return `'${expr.value.replaceAll("'", "''")}'`;
    case 'integer':
      if (Object.is(expr.value, -0)) return '-0';
      return Number.isSafeInteger(expr.value) ? String(expr.value) : undefined;
    case 'numeric':
      // A float literal that happens to be whole is still printed as a float.
      return Number.isInteger(expr.value) ? `${expr.value}.0` : String(expr.value);
    case 'boolean':
      return expr.value ? '1' : '0';
    case 'null':
      return 'NULL';
    default:
      return undefined;
  }
}

/** Wraps `text` in parentheses when the surrounding operator binds at least as tightly. */
function wrap(outer: number, inner: number, text: string): string {
  return outer >= inner ? `(${text})` : text;
}

function renderBinary(expr: Expr & { type: 'binary' }, outer: number, inputs: string[]): Text {
  if (expr.op === 'IN' || expr.op === 'NOT IN') return renderInList(expr, outer, inputs);
  // PowerSync lowers `a != b` to `NOT (a = b)`.
  const negated = expr.op === '!=';
  const operator = BINARY[negated ? '=' : expr.op];
  if (operator === undefined) return undefined;
  const [name, precedence] = operator;
  const left = render(expr.left, precedence, inputs);
  const right = render(expr.right, precedence, inputs);
  if (left === undefined || right === undefined) return undefined;
  const text = `${left} ${name} ${right}`;
  return negated ? wrap(outer, P.not, `not ${text}`) : wrap(outer, precedence, text);
}

/** `x IN ARRAY[...]`, `x IN ROW(...)`, `x IN (a, b)`: PowerSync's scalar IN. */
function renderInList(expr: Expr & { type: 'binary' }, outer: number, inputs: string[]): Text {
  const right = expr.right;
  const isRow = right.type === 'call' && right.function.name.toLowerCase() === 'row';
  const items =
    right.type === 'array' || right.type === 'list' ? right.expressions : isRow ? right.args : undefined;
  if (items === undefined) return undefined;
  const target = render(expr.left, P.equals, inputs);
  const rendered = items.map((item) => render(item, 0, inputs));
  if (target === undefined || rendered.some((r) => r === undefined)) return undefined;
  const text = items.length === 0 ? 'FALSE' : wrap(outer, P.equals, `${target} IN (${rendered.join(', ')})`);
  return expr.op === 'NOT IN' ? wrap(outer, P.not, `not ${text}`) : text;
}

function renderUnary(expr: Expr & { type: 'unary' }, outer: number, inputs: string[]): Text {
  if (expr.op === 'NOT') {
    const operand = render(expr.operand, P.not, inputs);
    return operand === undefined ? undefined : wrap(outer, P.not, `not ${operand}`);
  }
  if (expr.op === '+') {
    const operand = render(expr.operand, P.unary, inputs);
    return operand === undefined ? undefined : wrap(outer, P.unary, `+ ${operand}`);
  }
  const form = IS_FORMS[expr.op];
  if (form === undefined) return undefined;
  const [negated, right] = form;
  const operand = render(expr.operand, P.equals, inputs);
  if (operand === undefined) return undefined;
  const text = `${operand} is ${right}`;
  return negated ? wrap(outer, P.not, `not ${text}`) : wrap(outer, P.equals, text);
}

function renderCase(expr: Expr & { type: 'case' }, inputs: string[]): Text {
  const parts = ['CASE'];
  const add = (e: Expr): boolean => {
    const text = render(e, 0, inputs);
    if (text !== undefined) parts.push(text);
    return text !== undefined;
  };
  if (expr.value && !add(expr.value)) return undefined;
  for (const when of expr.whens) {
    parts.push('WHEN');
    if (!add(when.when)) return undefined;
    parts.push('THEN');
    if (!add(when.value)) return undefined;
  }
  if (expr.else) {
    parts.push('ELSE');
    if (!add(expr.else)) return undefined;
  }
  parts.push('END');
  return parts.join(' ');
}

function renderCall(expr: Expr & { type: 'call' }, inputs: string[]): Text {
  const name = expr.function.name.toLowerCase();
  if (expr.function.schema !== undefined) {
    if (!ROW_METADATA_FUNCTIONS.has(name) || expr.args.length > 0) return undefined;
    inputs.push(`table.${name}`);
    return '?';
  }
  if (expr.distinct || expr.orderBy || expr.filter || expr.over) return undefined;
  return renderFunction(name, expr.args, inputs);
}

function renderFunction(name: string, args: Expr[], inputs: string[]): Text {
  const texts: string[] = [];
  for (const arg of args) {
    const text = render(arg, 0, inputs);
    if (text === undefined) return undefined;
    texts.push(text);
  }
  return `"${name}"(${texts.join(', ')})`;
}
