// How the evaluator's Kafka consumers fetch: the change consumer (evaluator.ts) and the transaction
// reader (transaction-reader.ts). One place, so benchmarks that measure the client's own cost
// (bench/evaluator-floor.ts) fetch exactly as the evaluator does.

/** Fetch settings of the change consumer. */
export const CHANGE_CONSUMER_FETCH = {
  maxWaitTimeInMs: 50,
  // A batch is decoded, planned and written whole, so everything it allocates lives until its
  // Redis writes return, and the young-generation collector copies it. 1 MB per partition (~300
  // records of ~3 KB, schema included) still shares the per-batch round trips and offset commit
  // among hundreds, and took ~10 % off the CPU per event under a backlog against 4 MB and 32 MB
  // (docs/evaluator.md, "Batch size and the collector"); smaller gained nothing more.
  maxBytesPerPartition: 1024 * 1024,
  maxBytes: 4 * 1024 * 1024,
} as const;

/** Change-topic partitions whose batches are processed at once. */
export const CHANGE_PARTITIONS_CONCURRENTLY = 8;

/** Fetch settings of the transaction reader (one partition, every instance). */
export const TRANSACTION_CONSUMER_FETCH = { maxWaitTimeInMs: 50 } as const;
