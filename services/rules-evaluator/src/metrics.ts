// The evaluator's Prometheus metrics: names in one place (docs/evaluator.md lists them).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface EvaluatorMetrics {
  readonly registry: Registry;
  readonly events: Counter;
  readonly opsWritten: Counter;
  readonly deadLetters: Counter<'reason'>;
  readonly toastUnfilled: Counter;
  readonly checkpoints: Counter;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly checkpointAge: Gauge;
  readonly transactionLatency: Histogram<'stage'>;
  readonly transactionsPending: Gauge;
  readonly isCoordinator: Gauge;
  readonly snapshotHold: Gauge;
  readonly redisBytes: Gauge<'category'>;
  readonly redisKeys: Gauge<'category'>;
  readonly redisOpsStored: Gauge;
  readonly compactionOpsMoved: Counter;
  readonly compactionOpsCleared: Counter;
  readonly compactionSteps: Counter;
  readonly compactionStaleSteps: Counter;
  readonly compactionPasses: Counter;
  readonly compactionBuckets: Counter;
  readonly compactionSafeOpId: Gauge;
  readonly compactionPassSeconds: Histogram;
  readonly bookkeepingTrimmed: Counter<'kind'>;
}

export function createMetrics(): EvaluatorMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncline_evaluator_process_' });
  const registers = [registry];
  return {
    registry,
    events: new Counter({
      name: 'syncline_evaluator_events_total',
      help: 'Change records processed (incl. tombstones and dead letters)',
      registers,
    }),
    opsWritten: new Counter({
      name: 'syncline_evaluator_ops_written_total',
      help: 'Bucket ops written (PUT and REMOVE)',
      registers,
    }),
    deadLetters: new Counter({
      name: 'syncline_evaluator_dead_letters_total',
      help: 'Records sent to the dead-letter topic',
      labelNames: ['reason'],
      registers,
    }),
    toastUnfilled: new Counter({
      name: 'syncline_evaluator_toast_unfilled_total',
      help: 'TOAST placeholders with no stored value (synced as null)',
      registers,
    }),
    checkpoints: new Counter({
      name: 'syncline_evaluator_checkpoints_published_total',
      help: 'Checkpoints published by this instance as coordinator',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'syncline_evaluator_consumer_lag',
      help: 'High-water mark minus next offset, per assigned change-topic partition',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    ...coordinatorMetrics(registers),
    isCoordinator: new Gauge({
      name: 'syncline_evaluator_is_coordinator',
      help: '1 when this instance holds the coordinator lease',
      registers,
    }),
    snapshotHold: new Gauge({
      name: 'syncline_evaluator_incremental_snapshot_hold',
      help: '1 while the leader holds the checkpoint for an incremental snapshot still running',
      registers,
    }),
    redisBytes: new Gauge({
      name: 'syncline_evaluator_redis_bytes',
      help: "Redis bytes of the deployment's keys by category (MEMORY USAGE; the leader reports)",
      labelNames: ['category'],
      registers,
    }),
    redisKeys: new Gauge({
      name: 'syncline_evaluator_redis_keys',
      help: 'Redis keys of the deployment by category (the leader reports)',
      labelNames: ['category'],
      registers,
    }),
    redisOpsStored: new Gauge({
      name: 'syncline_evaluator_redis_ops_stored',
      help: 'Bucket ops stored in Redis over all buckets (the leader reports)',
      registers,
    }),
    ...compactionMetrics(registers),
  };
}

/** The coordinator's view of pending transactions and their latency (docs/evaluator.md). */
function coordinatorMetrics(registers: Registry[]) {
  return {
    checkpointAge: new Gauge({
      name: 'syncline_evaluator_checkpoint_age_seconds',
      help: 'Seconds since the source commit of the latest checkpoint (0 when idle and caught up)',
      registers,
    }),
    transactionLatency: new Histogram({
      name: 'syncline_evaluator_transaction_latency_seconds',
      help: 'Per transaction a published checkpoint covers, by stage: debezium (commit -> END in Kafka), transaction_topic (-> read by the transaction reader), evaluation (-> checkpoint published) = processing (-> its events processed, seen by the coordinator) + publish (-> checkpoint published), total; coordinator only',
      labelNames: ['stage'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    transactionsPending: new Gauge({
      name: 'syncline_evaluator_transactions_pending',
      help: 'Transactions ended but not yet covered by the checkpoint',
      registers,
    }),
  };
}

/** The leader's compaction worker (docs/evaluator.md, "Compaction"). */
function compactionMetrics(registers: Registry[]) {
  return {
    compactionOpsMoved: new Counter({
      name: 'syncline_evaluator_compaction_ops_moved_total',
      help: 'Superseded PUT/REMOVE ops compaction rewrote as MOVE (body without data)',
      registers,
    }),
    compactionOpsCleared: new Counter({
      name: 'syncline_evaluator_compaction_ops_cleared_total',
      help: "Ops compaction deleted from buckets' heads, merged into their CLEAR",
      registers,
    }),
    compactionSteps: new Counter({
      name: 'syncline_evaluator_compaction_steps_total',
      help: 'Compaction steps applied (each one bounded read and one atomic script)',
      registers,
    }),
    compactionStaleSteps: new Counter({
      name: 'syncline_evaluator_compaction_stale_steps_total',
      help: 'Compaction steps refused because the bucket changed under them (another compactor)',
      registers,
    }),
    bookkeepingTrimmed: new Counter({
      name: 'syncline_evaluator_bookkeeping_trimmed_total',
      help: 'Bookkeeping entries the leader trimmed: lookup versions, row tombstones, checkpointed transaction records',
      labelNames: ['kind'],
      registers,
    }),
    compactionPasses: new Counter({
      name: 'syncline_evaluator_compaction_passes_total',
      help: 'Compaction passes finished over every bucket',
      registers,
    }),
    compactionBuckets: new Counter({
      name: 'syncline_evaluator_compaction_buckets_total',
      help: 'Buckets compacted (changed since their last compaction)',
      registers,
    }),
    compactionSafeOpId: new Gauge({
      name: 'syncline_evaluator_compaction_safe_op_id',
      help: 'The safe op id (checkpoint) of the last finished compaction pass',
      registers,
    }),
    compactionPassSeconds: new Histogram({
      name: 'syncline_evaluator_compaction_pass_seconds',
      help: 'Duration of a finished compaction pass',
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    }),
  };
}
