// Whether a Redis keeps what a sync service writes: no eviction (an evicted op, row state or count
// breaks checkpoints silently) and some persistence (without it a restart loses everything).
// The judgement is pure; readRedisDurability asks Redis with CONFIG GET (in a cluster, every master:
// CONFIG is per node, and each master holds its own slots).
import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from './redis-client';

export interface RedisDurability {
  /** `maxmemory-policy`; null when CONFIG is not allowed (managed Redis). */
  readonly maxmemoryPolicy: string | null;
  readonly appendonly: string | null;
  readonly appendfsync: string | null;
  /** RDB `save` rules ('' = none). */
  readonly save: string | null;
}

export interface DurabilityVerdict {
  /** A reason to refuse to start, or null. */
  readonly refuse: string | null;
  readonly warnings: readonly string[];
}

export function judgeRedisDurability(d: RedisDurability): DurabilityVerdict {
  const warnings: string[] = [];
  if (d.maxmemoryPolicy === null)
    warnings.push(
      'cannot read the Redis configuration (CONFIG GET refused): make sure maxmemory-policy is noeviction and persistence is on',
    );
  const refuse =
    d.maxmemoryPolicy !== null && d.maxmemoryPolicy !== 'noeviction'
      ? `Redis maxmemory-policy is ${d.maxmemoryPolicy}: it may evict bucket ops, row states or counts under memory pressure, which breaks checkpoints without a trace; set maxmemory-policy noeviction`
      : null;
  if (d.appendonly !== null && d.appendonly !== 'yes' && (d.save ?? '') === '')
    warnings.push(
      'Redis persists nothing (appendonly no, no save rules): a Redis restart loses all state and the evaluators halt (SYNC_E405); turn on appendonly',
    );
  else if (d.appendonly === 'no')
    warnings.push(
      'Redis persists by RDB snapshots only: a crash loses the writes since the last snapshot and the evaluators halt until restarted (SYNC_E405); appendonly yes loses at most a second',
    );
  return { refuse, warnings };
}

/** Reads the settings judgeRedisDurability needs (nulls when CONFIG is not allowed). */
export async function readRedisDurability(redis: Redis): Promise<RedisDurability> {
  const get = async (name: string): Promise<string | null> => {
    try {
      const reply = (await redis.config('GET', name)) as string[];
      return reply.length >= 2 ? reply[1]! : null;
    } catch {
      return null;
    }
  };
  return {
    maxmemoryPolicy: await get('maxmemory-policy'),
    appendonly: await get('appendonly'),
    appendfsync: await get('appendfsync'),
    save: await get('save'),
  };
}

/** The settings of every server that holds data: the one server, or each master of a cluster. */
export async function readRedisDurabilityOfEveryMaster(
  redis: RedisConnection,
): Promise<Array<{ readonly node: string; readonly durability: RedisDurability }>> {
  if (!(redis instanceof Cluster)) return [{ node: 'redis', durability: await readRedisDurability(redis) }];
  return Promise.all(
    redis.nodes('master').map(async (node) => ({
      node: `${node.options.host ?? '?'}:${node.options.port ?? '?'}`,
      durability: await readRedisDurability(node),
    })),
  );
}
