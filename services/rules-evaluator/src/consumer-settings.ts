// How the evaluator's Kafka consumers fetch: the change consumer (evaluator.ts) and the transaction
// reader (transaction-reader.ts). One place, so benchmarks that measure the client's own cost
// (bench/evaluator-floor.ts) fetch exactly as the evaluator does.

/** Fetch settings of the change consumer. */
export const CHANGE_CONSUMER_FETCH = {
  maxWaitTimeInMs: 50,
  // Larger batches than kafkajs' 1 MB: Debezium records are ~3 KB (schema included), and the
  // per-batch Redis round trips, script calls and offset commit are then shared by ~1,000.
  maxBytesPerPartition: 4 * 1024 * 1024,
  maxBytes: 32 * 1024 * 1024,
} as const;

/** Change-topic partitions whose batches are processed at once. */
export const CHANGE_PARTITIONS_CONCURRENTLY = 8;

/** Fetch settings of the transaction reader (one partition, every instance). */
export const TRANSACTION_CONSUMER_FETCH = { maxWaitTimeInMs: 50 } as const;
