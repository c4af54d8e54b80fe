// Public surface of @syncline/sync-rules: compile PowerSync-compatible sync rules once, evaluate
// SQLite rows, parameter rows and requests; bucket names. Reads no Debezium records: the evaluator
// maps change events to SQLite rows with @syncline/cdc first.
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
export { createRequestContext, withSubscriptionParameters, type RequestContext } from './request-context';
export type {
  BucketReason,
  StreamResolution,
  StreamSubscription,
  StreamSubscriptionError,
  StreamSubscriptionRequest,
  SubscribedBucket,
} from './stream-subscriptions';
export { serializeBucketName, serializeBucketValue, parseBucketName, BucketNameError } from './bucket-name';
export type { ParsedBucketName } from './bucket-name';
export * from './errors';
export { defaultConfig, type SyncRulesConfig, type CompatibilityFlags, type Edition } from './config';
export { SQL_FUNCTIONS } from './sql-functions';
