// Error classes of the bucket topic, one per thing that can be wrong, each saying what to fix
// and carrying its stable code (docs/errors.md).
import { SynclineError, type ErrorCode } from '@syncline/errors';
import type { BucketOp } from '@syncline/protocol';

export class BucketTopicError extends SynclineError {
  override readonly name: string = 'BucketTopicError';
  readonly code: ErrorCode = 'SYNC_E901';
}

/** The writer was given an op that breaks the record's invariants (an evaluator bug). */
export class BucketOpRecordError extends BucketTopicError {
  override readonly name = 'BucketOpRecordError';
  override readonly code = 'SYNC_E902';
  constructor(
    readonly op: BucketOp,
    reason: string,
  ) {
    super(
      `invalid bucket op ${String(op.opId)} in ${op.bucket} (${op.objectType}/${op.objectId}): ${reason}`,
    );
  }
}

/** A record key that is not the `[bucket, objectType, objectId, subkey]` JSON array. */
export class BucketOpKeyError extends BucketTopicError {
  override readonly name = 'BucketOpKeyError';
  override readonly code = 'SYNC_E903';
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`invalid bucket topic key ${JSON.stringify(key)}: ${reason}`);
  }
}

/** Bad writer configuration, named by field. */
export class BucketTopicConfigError extends BucketTopicError {
  override readonly name = 'BucketTopicConfigError';
  override readonly code = 'SYNC_E105';
}

/**
 * The topic exists but cannot be used as this writer's bucket topic: a different partition count
 * would move buckets to other partitions, and a non-compacted topic would grow forever.
 */
export class BucketTopicMismatchError extends BucketTopicError {
  override readonly name = 'BucketTopicMismatchError';
  override readonly code = 'SYNC_E104';
  constructor(
    readonly topic: string,
    problem: string,
  ) {
    super(
      `bucket topic ${topic} exists but ${problem}; bucket topics are per rules version, so deploy ` +
        `under a new rules version (new topic) or delete the topic and write it again`,
    );
  }
}

/** A record on a bucket topic that does not decode to a bucket op; says where it is. */
export class BucketRecordDecodeError extends BucketTopicError {
  override readonly name = 'BucketRecordDecodeError';
  override readonly code = 'SYNC_E904';
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly offset: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`bad bucket op at ${topic}[${partition}]@${offset}: ${reason}`, options);
  }
}

/**
 * Two different ops with the same op_id for the same row: op ids must be identical only for
 * identical ops (replays), so this means the writer broke the consistency model.
 */
export class BucketOpConflictError extends BucketTopicError {
  override readonly name = 'BucketOpConflictError';
  override readonly code = 'SYNC_E905';
  constructor(
    readonly held: BucketOp,
    readonly incoming: BucketOp,
  ) {
    super(
      `op ${String(incoming.opId)} for ${incoming.bucket} ${incoming.objectType}/${incoming.objectId}/${incoming.subkey} ` +
        `arrived twice with different contents (${incoming.op} vs ${held.op}); op ids must not be reused`,
    );
  }
}

/** Reading a topic to its end offsets did not finish in time; says how far it got. */
export class BucketTopicReadTimeoutError extends BucketTopicError {
  override readonly name = 'BucketTopicReadTimeoutError';
  override readonly code = 'SYNC_E906';
}
