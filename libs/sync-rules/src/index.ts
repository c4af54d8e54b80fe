// Public surface of @syncline/sync-rules: compile PowerSync-compatible sync rules once, evaluate
// rows, parameter rows and requests; map Debezium values; bucket names; lossless JSON.
export { compileSyncRules, compileSyncRulesOrThrow, SyncRules, DEFAULT_PRIORITY } from './sync-rules';
export type {
  BucketDefinition,
  CompileOptions,
  CompileResult,
  EvaluatedRow,
  ParameterLookupSource,
  ResolvedBucket,
} from './sync-rules';
export type { ParameterLookup, ParameterLookupEntry } from './parameter-query';
export { serializeParameterLookup } from './parameter-lookup';
export { createRequestContext, type RequestContext } from './request-context';
export { serializeBucketName, serializeBucketValue, parseBucketName, BucketNameError } from './bucket-name';
export type { ParsedBucketName } from './bucket-name';
export * from './errors';
export { defaultConfig, type SyncRulesConfig, type CompatibilityFlags, type Edition } from './config';
// Lossless JSON under the names callers of this package already use: integers parse as bigint
// (SQLite INTEGER), bigints serialize exactly. The implementation lives in @syncline/lossless-json.
export {
  parseJsonIntegersAsBigInt as parseJsonLossless,
  stringifyJson as stringifyJsonLossless,
  JsonSyntaxError,
  type JsonValue as LosslessJson,
} from '@syncline/lossless-json';
export {
  mapDebeziumRow,
  toSyncValue,
  typeMappingOptions,
  TypeMappingError,
  type ConnectField,
  type TypeMappingOptions,
} from './type-mapping';
export type { SqliteValue, SqliteJsonValue, SqliteRow, SqliteJsonRow } from './sqlite-value';
export { SQL_FUNCTIONS } from './sql-functions';
