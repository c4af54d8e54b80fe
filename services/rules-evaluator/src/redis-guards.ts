// Guards against Redis that does not hold what the evaluator wrote: at start, a Redis that would
// evict state, and a Redis with no state for a deployment whose consumer group has committed
// offsets (wiped: starting afresh would skip everything before those offsets); per partition after
// every assignment, a Redis position below Kafka's committed offset (Redis restored or lost its
// last writes): the partition resumes from Redis' position, so the lost work is replayed.
import type { Admin } from 'kafkajs';
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

  /** The offset to seek back to before processing `firstOffset`, or null to go on. */
  async seekFor(partition: string, firstOffset: bigint): Promise<bigint | null> {
    if (this.checked.has(partition)) return null;
    const progress = await this.progressOf(partition);
    this.checked.add(partition);
    return progress !== null && progress < firstOffset ? progress : null;
  }
}
