// Public surface of @syncline/sqlite-value: SQLite values and SQLite's casts and comparisons.
// A package of its own because two packages meet on it that must not know each other: cdc's type
// mapping turns Debezium rows into SqliteRows, and sync-rules evaluates SqliteRows without Debezium.
export type { SqliteValue, SqliteJsonValue, SqliteRow, SqliteJsonRow, SqliteType } from './sqlite-value';
export {
  castAsBlob,
  castAsInteger,
  castAsNumeric,
  castAsReal,
  castAsText,
  compareValues,
  fromBoolean,
  integerOrReal,
  isJsonValue,
  isTruthy,
  normalizeNumber,
  realToText,
  sqliteTypeOf,
  textToBlob,
  valuesEqual,
} from './sqlite-value';
