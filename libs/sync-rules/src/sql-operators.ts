// Binary and unary operators with SQLite semantics: three-valued logic, NULL-propagating
// comparison and arithmetic, `||`, IN over JSON arrays and `&&` (JSON array intersection).
import * as jsonValues from './json-values';
import * as sqliteValues from '@syncline/sqlite-value';
import type { SqliteValue } from '@syncline/sqlite-value';

// Bound once at load: tsx compiles named imports to getter calls on the exporting module, which
// V8 does not inline, and evaluateRow reaches these several times per row.
const { jsonArrayElements } = jsonValues;
const { castAsNumeric, castAsText, compareValues, fromBoolean, integerOrReal, isTruthy, valuesEqual } =
  sqliteValues;

export type BinaryOperator = (a: SqliteValue, b: SqliteValue) => SqliteValue;

function comparison(test: (order: number) => boolean): BinaryOperator {
  return (a, b) => (a === null || b === null ? null : fromBoolean(test(compareValues(a, b))));
}

function arithmetic(
  onIntegers: (a: bigint, b: bigint) => bigint | null,
  onReals: (a: number, b: number) => number | null,
): BinaryOperator {
  return (a, b) => {
    const x = castAsNumeric(a);
    const y = castAsNumeric(b);
    if (x === null || y === null) return null;
    if (typeof x === 'bigint' && typeof y === 'bigint') {
      const r = onIntegers(x, y);
      return r === null ? null : integerOrReal(r);
    }
    const r = onReals(Number(x), Number(y));
    return r === null || Number.isNaN(r) ? null : r;
  };
}

export function sqlAnd(a: SqliteValue, b: SqliteValue): SqliteValue {
  const fa = a !== null && !isTruthy(a);
  const fb = b !== null && !isTruthy(b);
  if (fa || fb) return 0n;
  return a === null || b === null ? null : 1n;
}

export function sqlOr(a: SqliteValue, b: SqliteValue): SqliteValue {
  if ((a !== null && isTruthy(a)) || (b !== null && isTruthy(b))) return 1n;
  return a === null || b === null ? null : 0n;
}

export function sqlNot(a: SqliteValue): SqliteValue {
  return a === null ? null : fromBoolean(!isTruthy(a));
}

/** `value IN json_array_text`: NULL when either side is NULL or the right side is not an array. */
export function inJsonArray(value: SqliteValue, array: SqliteValue): SqliteValue {
  if (value === null || array === null) return null;
  const elements = jsonArrayElements(array);
  if (!elements) return null;
  return fromBoolean(elements.some((e) => valuesEqual(e, value)));
}

/** `value IN (a, b, ...)` with SQL's NULL rules. */
export function inList(value: SqliteValue, list: readonly SqliteValue[]): SqliteValue {
  if (value === null) return null;
  let sawNull = false;
  for (const item of list) {
    if (item === null) sawNull = true;
    else if (valuesEqual(item, value)) return 1n;
  }
  return sawNull ? null : 0n;
}

/** `a && b`: 1 when the two JSON arrays share an element. */
export function jsonArraysOverlap(a: SqliteValue, b: SqliteValue): SqliteValue {
  const left = jsonArrayElements(a);
  const right = jsonArrayElements(b);
  if (!left || !right) return null;
  return fromBoolean(left.some((x) => right.some((y) => valuesEqual(x, y))));
}

export const BINARY_OPERATORS: Readonly<Record<string, BinaryOperator>> = {
  '=': (a, b) => (a === null || b === null ? null : fromBoolean(valuesEqual(a, b))),
  '!=': (a, b) => (a === null || b === null ? null : fromBoolean(!valuesEqual(a, b))),
  '<>': (a, b) => (a === null || b === null ? null : fromBoolean(!valuesEqual(a, b))),
  '<': comparison((o) => o < 0),
  '<=': comparison((o) => o <= 0),
  '>': comparison((o) => o > 0),
  '>=': comparison((o) => o >= 0),
  '+': arithmetic(
    (a, b) => a + b,
    (a, b) => a + b,
  ),
  '-': arithmetic(
    (a, b) => a - b,
    (a, b) => a - b,
  ),
  '*': arithmetic(
    (a, b) => a * b,
    (a, b) => a * b,
  ),
  '/': arithmetic(
    (a, b) => (b === 0n ? null : a / b),
    (a, b) => (b === 0 ? null : a / b),
  ),
  '%': arithmetic(
    (a, b) => (b === 0n ? null : a % b),
    (a, b) => (Math.trunc(b) === 0 ? null : Math.trunc(a) % Math.trunc(b)),
  ),
  '||': (a, b) => (a === null || b === null ? null : `${castAsText(a)}${castAsText(b)}`),
  AND: sqlAnd,
  OR: sqlOr,
  IN: inJsonArray,
  'NOT IN': (a, b) => sqlNot(inJsonArray(a, b)),
  '&&': jsonArraysOverlap,
  IS: (a, b) => fromBoolean(a === null || b === null ? a === b : valuesEqual(a, b)),
  'IS NOT': (a, b) => fromBoolean(!(a === null || b === null ? a === b : valuesEqual(a, b))),
};
