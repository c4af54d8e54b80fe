// Committing a processed batch's offset when the consumer may no longer be a member of its group.
// A batch that takes longer than the session timeout (a saturated machine, eight partitions'
// batches sharing one event loop) gets its member removed; the commit then fails with
// UNKNOWN_MEMBER_ID, which kafkajs' commit retrier wraps as non-retriable, and that wrapper
// escaping eachBatch stops the consumer for good (consumer-crash.ts). The batch's work is already
// in Redis (idempotent, and Redis progress is what a rejoin resumes from), so the
// commit is only a hint (redis-guards.ts): rethrow the protocol error itself, which kafkajs' fetch loop answers the
// way it answers a failed heartbeat, by joining the group again.
import type { Consumer, EachBatchPayload, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import type { Logger } from 'pino';

/** kafkajs protocol error types that mean "join the group again", not "this went wrong". */
const MEMBERSHIP_LOST = new Set([
  'UNKNOWN_MEMBER_ID',
  'ILLEGAL_GENERATION',
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
]);

/** The kafkajs protocol error in `error`'s cause chain that says the group moved on, or null. */
export function membershipLost(error: unknown): (Error & { type: string }) | null {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && MEMBERSHIP_LOST.has(type)) return e as Error & { type: string };
    e = e.cause;
  }
  return null;
}

/**
 * Commits `offsets`; when the group no longer has this member, logs it and throws the protocol
 * error kafkajs rejoins on (the caller lets it escape eachBatch). Other errors pass unchanged.
 */
export async function commitProcessed(
  consumer: Pick<Consumer, 'commitOffsets'>,
  offsets: TopicPartitionOffsetAndMetadata[],
  logger: Logger,
): Promise<void> {
  try {
    await consumer.commitOffsets(offsets);
  } catch (error) {
    const lost = membershipLost(error);
    if (lost === null) throw error;
    logger.warn(
      { offsets, reason: lost.type },
      'offset commit refused: this instance left its consumer group while processing (a batch ' +
        'longer than the session timeout?); the work is in Redis, rejoining',
    );
    throw lost;
  }
}

/**
 * Commits a batch up to `resumeAt` (a truncate that waits for other partitions' events) and
 * fetches the partition again from there.
 */
export async function giveBack(
  consumer: Consumer,
  payload: EachBatchPayload,
  resumeAt: bigint,
  logger: Logger,
): Promise<void> {
  const { batch, resolveOffset } = payload;
  const before = batch.messages.filter((m) => BigInt(m.offset) < resumeAt);
  if (before.length > 0) resolveOffset(before[before.length - 1]!.offset);
  const at = { topic: batch.topic, partition: batch.partition, offset: resumeAt.toString() };
  await commitProcessed(consumer, [at], logger);
  consumer.seek(at);
  logger.info(
    { topic: batch.topic, partition: batch.partition, offset: String(resumeAt) },
    "a truncate waits for other partitions' events: fetching its partition again from the truncate",
  );
}
