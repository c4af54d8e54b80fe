// A resumable SCAN of the keys matching some patterns, on every master of a Redis Cluster (the one
// server otherwise), one key at a time: the cursor is a plain value a caller keeps between bounded
// calls. A key may be returned twice (SCAN's guarantee), and keys added during a pass may be
// missed; callers' work per key is idempotent, and the next pass finds them.
import { Cluster, type Redis } from 'ioredis';
import type { StoreConnection } from './redis';

export interface KeyScanCursor {
  readonly pattern: number;
  readonly server: number;
  /** SCAN cursor of that server; null when its pass is over. */
  readonly scan: string | null;
  /** Keys of the last page not returned yet. */
  readonly pending: readonly string[];
}

/** The servers a SCAN must walk: every master of a cluster, or the one server. */
export function scanServers(redis: StoreConnection): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/** Calls `onPage` with each SCAN page of the keys matching `pattern`, server by server. */
export async function forEachKeyPage(
  redis: StoreConnection,
  pattern: string,
  onPage: (server: Redis, keys: string[]) => Promise<void>,
  page = 1000,
): Promise<void> {
  for (const server of scanServers(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', page);
      cursor = next;
      if (keys.length > 0) await onPage(server, keys);
    } while (cursor !== '0');
  }
}

const START: KeyScanCursor = { pattern: 0, server: 0, scan: '0', pending: [] };

export class KeyScan {
  constructor(
    private readonly redis: StoreConnection,
    private readonly patterns: readonly string[],
    private readonly page = 1000,
  ) {}

  /**
   * The next key after `cursor` (null: from the start) and the cursor after it; null once every
   * pattern's pass is over. On a cluster a cursor names a master by its place in the node list: a
   * failover in between may skip keys until the next pass.
   */
  async next(cursor: KeyScanCursor | null): Promise<{ key: string; cursor: KeyScanCursor } | null> {
    let { pattern, server, scan, pending } = cursor ?? START;
    const servers = scanServers(this.redis);
    for (;;) {
      const [key, ...rest] = pending;
      if (key !== undefined) return { key, cursor: { pattern, server, scan, pending: rest } };
      if (scan === null) {
        server++;
        scan = '0';
        if (server >= servers.length) {
          pattern++;
          server = 0;
        }
      }
      if (pattern >= this.patterns.length || server >= servers.length) return null;
      const [next, keys] = await servers[server]!.scan(
        scan,
        'MATCH',
        this.patterns[pattern]!,
        'COUNT',
        this.page,
      );
      pending = keys;
      scan = next === '0' ? null : next;
    }
  }
}
