// Reads what one deployment's keys cost in Redis: SCAN of its prefix on every master, `MEMORY
// USAGE … SAMPLES 0` and ZCARD of op lists, pipelined per SCAN page; then the bucket registry to
// name buckets. Exact, not sampled: Redis's default estimate (5 elements) is off by several times
// once an op list mixes packs of MOVEs with single ops (measured: 27 MB reported for a 4 MB
// sorted set), at O(elements) of server time per key. O(keys) round trips of 1,000: meant for a CLI
// line and a gauge refreshed every minute, not for a hot path.
import type { Cluster, Redis } from 'ioredis';
import { forEachKeyPage } from './key-scan';
import { StoreKeys } from './keys';
import { classifyKey, summarizeMemory, type KeyUsage, type MemoryReport } from './memory-accounting';

const PAGE = 1000;

export async function readMemoryUsage(redis: Redis | Cluster, prefix: string): Promise<MemoryReport> {
  const keys = new StoreKeys(prefix);
  const usages: KeyUsage[] = [];
  await forEachKeyPage(
    redis,
    keys.pattern,
    async (server, found) => void usages.push(...(await usageOf(server, prefix, found))),
    PAGE,
  );
  const names: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await redis.sscan(keys.buckets, cursor, 'COUNT', PAGE);
    cursor = next;
    names.push(...page);
  } while (cursor !== '0');
  return summarizeMemory(prefix, usages, names);
}

/** Bytes of each key, and the ops each bucket op list stores, from the server that holds them. */
async function usageOf(server: Redis, prefix: string, found: readonly string[]): Promise<KeyUsage[]> {
  const pipeline = server.pipeline();
  const isOps = found.map((key) => classifyKey(prefix, key)?.bucketTag !== undefined && key.endsWith(':ops'));
  found.forEach((key, i) => {
    pipeline.memory('USAGE', key, 'SAMPLES', 0);
    // Ops stored: the members, plus the MOVEs packs hold beyond one each (meta, same slot).
    if (isOps[i]) pipeline.zcard(key).hget(`${key.slice(0, -':ops'.length)}:meta`, 'pack_extra');
  });
  const replies = (await pipeline.exec()) ?? [];
  const out: KeyUsage[] = [];
  let r = 0;
  found.forEach((key, i) => {
    // A key deleted between SCAN and MEMORY USAGE answers null: it costs nothing now.
    const bytes = Number(replies[r++]?.[1] ?? 0);
    const ops = isOps[i] ? Number(replies[r++]?.[1] ?? 0) + Number(replies[r++]?.[1] ?? 0) : undefined;
    out.push(ops === undefined ? { key, bytes } : { key, bytes, ops });
  });
  return out;
}
