// Public surface of @syncline/bucket-topic: bucket ops on compacted Kafka topics (writer side for
// the rules evaluator, reader and materializer for other services). See docs/bucket-topics.md.
export { bucketOpKey, parseBucketOpKey, validateBucketOp } from './record';
export type { BucketOpRecord, BucketOpKey, BucketRowId } from './record';
export { bucketPartition, murmur2, BucketPartitioner } from './partitioner';
export { BUCKET_OP_SCHEMA, bucketValueSubject, toAvro, fromAvro, type BucketOpAvro } from './schema';
export { BucketOpEncoder } from './encoder';
export { BucketTopicWriter, topicCleanupPolicy, type BucketTopicConfig } from './writer';
export { BucketMaterializer, type ApplyOutcome, type MaterializedRow } from './materializer';
export {
  BucketOpDeserializer,
  readBucketTopic,
  type BucketTopicMessage,
  type ReadBucketTopicOptions,
} from './reader';
export {
  BucketTopicError,
  BucketOpRecordError,
  BucketOpKeyError,
  BucketTopicConfigError,
  BucketTopicMismatchError,
  BucketRecordDecodeError,
  BucketOpConflictError,
  BucketTopicReadTimeoutError,
} from './errors';
