// Public surface of @syncline/sync-rules: compile PowerSync-compatible sync rules once, evaluate
// rows, parameter rows and requests; map Debezium values; bucket names.
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
export {
  mapDebeziumRow,
  toSyncValue,
  typeMappingOptions,
  TypeMappingError,
  type ConnectField,
  type TypeMappingOptions,
} from './type-mapping';
export { SQL_FUNCTIONS } from './sql-functions';
