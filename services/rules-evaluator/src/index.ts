// @syncline/rules-evaluator: Debezium change events -> bucket ops (Redis + bucket topic) with
// transaction-consistent checkpoints. `syncline evaluator --rules FILE` runs runEvaluator.
export { runEvaluator } from './run';
export { resetEvaluator } from './reset';
export { loadConfig, ConfigError, CONFIG_SCHEMA, type EvaluatorConfig } from './config';
export { Evaluator, changeTopicsFor, rowEvaluator } from './evaluator';
export { RulesMismatchError, LayoutMismatchError } from './identity';
export { TransactionTracker, type TrackedTransaction, type TransactionLookup } from './transaction-tracker';
export {
  planRowChange,
  DELETED_ROW,
  type RowState,
  type RowChange,
  type RowPlan,
  type RowEvaluator,
} from './op-planner';
export { completePrefix, expectedEvents, Coordinator } from './coordinator';
export { snapshotComplete } from './snapshot-gates';
export { snapshotSequence, snapshotEventOpId, SnapshotNumberingError } from './snapshot-numbering';
export { DEAD_LETTER_HEADERS } from './dead-letter';
// The change processor on its own (benchmarks drive it without Kafka; tests with fakes).
export { ChangeProcessor, type ProcessorDeps, type BatchResult } from './change-processor';
export { ProcessingHaltedError } from './processing-halt';
export type { BucketOpSink, DeadLetterSink, ProcessorCoordination, ProcessorStore } from './ports';
export { TransactionReader } from './transaction-reader';
export { changeFormatFor, apicurioSchemaFetch, type ChangeFormat } from './change-decoder';
export { createMetrics, type EvaluatorMetrics } from './metrics';
export {
  CHANGE_CONSUMER_FETCH,
  CHANGE_PARTITIONS_CONCURRENTLY,
  TRANSACTION_CONSUMER_FETCH,
} from './consumer-settings';
