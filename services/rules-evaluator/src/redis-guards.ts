// Guards against Redis that does not hold what the evaluator wrote: at start, a Redis that would
// evict state, and a Redis with no state for a deployment whose consumer group has committed
// offsets (wiped: starting afresh would skip everything before those offsets); per partition after
// every assignment, a Redis position below Kafka's committed offset (Redis restored or lost its
// last writes): the partition resumes from Redis' position, so the lost work is replayed.
import type { Admin, Batch, Consumer } from 'kafkajs';
import type { Logger } from 'pino';
import { SynclineError } from '@syncline/errors';
import { judgeRedisDurability, type RedisDurability } from '@syncline/service-runtime';
import { RedisStateLostError } from './processing-halt';

export class RedisEvictsError extends SynclineError {
  override readonly name = 'RedisEvictsError';
  readonly code = 'SYNC_E406';
}

/** Refuses an evicting Redis; logs what else is risky about its persistence. */
export function checkDurability(durability: RedisDurability, logger: Logger): void {
  const verdict = judgeRedisDurability(durability);
  for (const warning of verdict.warnings) logger.warn({ durability }, warning);
  if (verdict.refuse !== null) throw new RedisEvictsError(verdict.refuse);
}

/**
 * Throws RedisStateLostError when Redis holds no state but the group committed offsets. `hasState`
 * is asked after the offsets are read: an instance starting at the same moment writes its meta
 * before it commits anything, so state seen then is never a wipe.
 */
export async function refuseWipedState(
  admin: Admin,
  groupId: string,
  keyPrefix: string,
  hasState: () => Promise<boolean>,
): Promise<void> {
  const committed = (await admin.fetchOffsets({ groupId })).flatMap((t) =>
    t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => `${t.topic}/${p.partition}@${p.offset}`),
  );
  if (committed.length === 0 || (await hasState())) return;
  throw new RedisStateLostError(
    `Redis holds no state under ${keyPrefix}, but consumer group ${groupId} has committed offsets ` +
      `(${committed.slice(0, 3).join(', ')}${committed.length > 3 ? ', …' : ''}): Redis lost its data. ` +
      'Starting afresh would skip every change before those offsets. Stop every evaluator of this ' +
      'deployment and rebuild: syncline evaluator --reset, then start them (docs/evaluator.md, "Redis")',
  );
}

/**
 * Where each partition resumes after an assignment: Redis' progress (next offset fully applied)
 * when it lies below the first offset Kafka delivers. Checked once per partition per assignment.
 */
export class ResumeGuard {
  private readonly checked = new Set<string>();

  constructor(private readonly progressOf: (partition: string) => Promise<bigint | null>) {}

  /** Call on every rebalance: each partition is checked again on its next batch. */
  clear(): void {
    this.checked.clear();
  }

  /** Seeks the batch's partition back (true) when Redis holds it below the batch's first offset. */
  async seekBack(
    consumer: Pick<Consumer, 'seek'>,
    batch: Pick<Batch, 'topic' | 'partition' | 'messages'>,
    logger: Logger,
  ): Promise<boolean> {
    const first = BigInt(batch.messages[0]!.offset);
    const back = await this.seekFor(`${batch.topic}/${batch.partition}`, first);
    if (back === null) return false;
    replaying(logger, `${batch.topic}/${batch.partition}`, first, back);
    consumer.seek({ topic: batch.topic, partition: batch.partition, offset: back.toString() });
    return true;
  }

  /** The offset to seek back to before processing `firstOffset`, or null to go on. */
  async seekFor(partition: string, firstOffset: bigint): Promise<bigint | null> {
    if (this.checked.has(partition)) return null;
    const progress = await this.progressOf(partition);
    this.checked.add(partition);
    return progress !== null && progress < firstOffset ? progress : null;
  }
}

/** An assigned partition whose Redis position lies below the group's committed offset. */
export interface PartitionBehind {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset. */
  readonly committed: bigint;
  /** Where to resume: Redis' progress, or the log's start when Redis has none for it. */
  readonly resumeAt: bigint;
}

/**
 * Every partition of an assignment that Redis holds below the group's committed offset. Checked
 * at assignment, not only on a partition's first batch (ResumeGuard): a partition that receives
 * nothing new after Redis lost writes (a quiet write-checkpoint message partition) would never
 * have a batch, its lost events would never be counted again, and every checkpoint would wait
 * for them. No progress at all for a partition the group committed means Redis lost all of it.
 */
export async function partitionsBehind(
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  groupId: string,
  assignment: Readonly<Record<string, readonly number[]>>,
  progressOf: (partition: string) => Promise<bigint | null>,
): Promise<PartitionBehind[]> {
  const topics = Object.keys(assignment).filter((t) => (assignment[t]?.length ?? 0) > 0);
  if (topics.length === 0) return [];
  const behind: PartitionBehind[] = [];
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    for (const p of partitions) {
      const committed = BigInt(p.offset);
      if (committed < 0n || !assignment[topic]!.includes(p.partition)) continue;
      const progress = await progressOf(`${topic}/${p.partition}`);
      if (progress !== null && progress >= committed) continue;
      const start = async () =>
        BigInt((await admin.fetchTopicOffsets(topic)).find((o) => o.partition === p.partition)?.low ?? '0');
      const resumeAt = progress ?? (await start());
      if (resumeAt < committed) behind.push({ topic, partition: p.partition, committed, resumeAt });
    }
  }
  return behind;
}

/** After an assignment: seeks every partition Redis holds below the committed offset back. */
export async function seekBackBehind(
  consumer: Pick<Consumer, 'seek'>,
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets'>,
  groupId: string,
  assignment: Readonly<Record<string, readonly number[]>>,
  progressOf: (partition: string) => Promise<bigint | null>,
  logger: Logger,
): Promise<void> {
  try {
    for (const b of await partitionsBehind(admin, groupId, assignment, progressOf)) {
      replaying(logger, `${b.topic}/${b.partition}`, b.committed, b.resumeAt);
      consumer.seek({ topic: b.topic, partition: b.partition, offset: b.resumeAt.toString() });
    }
  } catch (error) {
    // The first-batch check still covers every partition that receives a batch.
    logger.warn({ err: error }, 'could not compare Redis positions with the committed offsets');
  }
}

function replaying(logger: Logger, partition: string, from: bigint, to: bigint): void {
  logger.warn(
    { partition, from: String(from), to: String(to) },
    'Redis holds this partition up to an earlier offset than Kafka committed: replaying from there',
  );
}
