// The evaluator's writes of what readers see and of what it needs to plan the next change: bucket
// ops (idempotent per op, checksum counted once), row state (only moved forward, refused behind a
// truncate that already scanned), parameter-lookup entries, and the truncate scan. Each batch is
// one pipeline on one server, one per slot on a Redis Cluster (slot-batch.ts).
import type { BucketOp } from '@syncline/protocol';
import { encodeOpIdMember, formatOpId } from '@syncline/protocol';
import {
  decodeRowValue,
  encodeLookupValue,
  encodeOpBody,
  encodeRowValue,
  opMember,
  rowKeyOf,
} from './encoding';
import { rowShardOf, ROW_SHARDS, StoreKeys } from './keys';
import { withScripts, type StoreConnection, type StoreRedis } from './redis';
import { CommandBatch } from './slot-batch';
import type { LookupWrite, PutRowsOutcome, RowStateRecord, RowStateWrite, TruncatedRow } from './types';

export class RedisBucketWriter {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;

  constructor(redis: StoreConnection, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
  }

  /** Adds ops (any buckets) idempotently; one script call per bucket, batched. Returns ops added. */
  async addOps(ops: readonly BucketOp[]): Promise<number> {
    if (ops.length === 0) return 0;
    const byBucket = new Map<string, string[]>();
    // Ops of one event share an op id: format it once.
    let lastOpId: bigint | undefined;
    let opIdText = '';
    let memberPrefix = '';
    for (const op of ops) {
      let argv = byBucket.get(op.bucket);
      if (argv === undefined) byBucket.set(op.bucket, (argv = [op.bucket]));
      if (op.opId !== lastOpId) {
        lastOpId = op.opId;
        opIdText = formatOpId(op.opId);
        memberPrefix = `${encodeOpIdMember(op.opId)}|`;
      }
      const member = memberPrefix + rowKeyOf(op.objectType, op.objectId, op.subkey);
      argv.push(member, String(op.checksum >>> 0), encodeOpBody(op, opIdText));
    }
    const batch = new CommandBatch(this.redis);
    for (const [bucket, argv] of byBucket) {
      const k = this.keys.bucket(bucket);
      batch.add(k.ops, (p) => p.slAddOps(k.ops, k.body, k.meta, ...argv));
    }
    batch.add(this.keys.buckets, (p) => p.sadd(this.keys.buckets, ...byBucket.keys()));
    const results = await batch.exec();
    return results.slice(0, byBucket.size).reduce((n: number, r) => n + Number(r), 0);
  }

  /** Every bucket that has ever received an op, sorted (for tools, tests and compaction). */
  async bucketNames(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.buckets)).sort();
  }

  async writeLookups(writes: readonly LookupWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const batch = new CommandBatch(this.redis);
    for (const w of writes) {
      const k = this.keys.lookup(w.lookupKey);
      const member = opMember(w.opId, w.rowKey);
      batch.add(k.index, (p) => p.zadd(k.index, 0, member));
      batch.add(k.values, (p) => p.hset(k.values, member, encodeLookupValue(w.parameters)));
    }
    await batch.exec();
  }

  /** Stored states of rows (null: never stored), in the order asked. One HMGET per shard. */
  async getRows(rows: readonly { table: string; pk: string }[]): Promise<(RowStateRecord | null)[]> {
    if (rows.length === 0) return [];
    const shards = groupByShard(rows);
    const batch = new CommandBatch(this.redis);
    for (const g of shards) {
      const key = this.keys.rowShard(g.table, g.shard);
      batch.add(key, (p) => p.hmget(key, ...g.items.map((r) => r.pk)));
    }
    const results = (await batch.exec()) as (string | null)[][];
    const byRow = new Map<string, string | null>();
    shards.forEach((g, i) =>
      g.items.forEach((r, j) => byRow.set(`${g.table}\u0000${r.pk}`, results[i]![j] ?? null)),
    );
    return rows.map((r) => decodeRowValue(byRow.get(`${r.table}\u0000${r.pk}`) ?? null));
  }

  /**
   * Writes row states, each only over an older one; one script call per shard. A state older than
   * the table's latest truncate that has already scanned the table is refused and reported: the
   * caller must remove that row as of the truncate (REMOVE ops first, then its tombstone).
   */
  async putRows(rows: readonly RowStateWrite[]): Promise<PutRowsOutcome> {
    if (rows.length === 0) return { written: 0, truncated: [] };
    const shards = groupByShard(rows);
    const batch = new CommandBatch(this.redis);
    for (const g of shards) {
      const shard = this.keys.rowShard(g.table, g.shard);
      const argv = g.items.flatMap((r) => [r.pk, encodeRowValue(r.opId, r.state)]);
      batch.add(shard, (p) => p.slPutRows(shard, this.keys.rowShardMarker(g.table, g.shard), ...argv));
    }
    const results = (await batch.exec()) as Array<Array<string | number>>;
    let written = 0;
    const truncated: TruncatedRow[] = [];
    shards.forEach((g, i) => {
      const [count, marker, ...refused] = results[i]!;
      written += Number(count);
      for (const pk of refused)
        truncated.push({ table: g.table, pk: String(pk), truncateOpId: BigInt(`0x${String(marker)}`) });
    });
    return { written, truncated };
  }

  /**
   * Records that the truncate with `opId` is about to scan the table: from now on a row state
   * older than it is refused by putRows (a row of an earlier event that this scan may miss).
   */
  async markTruncate(table: string, opId: bigint): Promise<void> {
    const member = encodeOpIdMember(opId);
    const batch = new CommandBatch(this.redis);
    for (let shard = 0; shard < ROW_SHARDS; shard++) {
      const marker = this.keys.rowShardMarker(table, shard);
      batch.add(marker, (p) => p.slRaiseMarker(marker, member));
    }
    await batch.exec();
  }

  /** Every stored row of a table (tombstones included), in chunks of about `count`. */
  async *scanTableRows(table: string, count = 500): AsyncGenerator<Array<{ pk: string } & RowStateRecord>> {
    for (let shard = 0; shard < ROW_SHARDS; shard++) {
      const key = this.keys.rowShard(table, shard);
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', count);
        cursor = next;
        const chunk: Array<{ pk: string } & RowStateRecord> = [];
        for (let i = 0; i < flat.length; i += 2)
          chunk.push({ pk: flat[i]!, ...decodeRowValue(flat[i + 1]!)! });
        if (chunk.length > 0) yield chunk;
      } while (cursor !== '0');
    }
  }

  /** Replaces the states of `pks` by `tombstone` where an older op wrote them; returns those pks. */
  async truncateRows(
    table: string,
    pks: readonly string[],
    opId: bigint,
    tombstone: string,
  ): Promise<string[]> {
    if (pks.length === 0) return [];
    const shards = groupByShard(pks.map((pk) => ({ table, pk })));
    const member = encodeOpIdMember(opId);
    const batch = new CommandBatch(this.redis);
    for (const g of shards) {
      const shard = this.keys.rowShard(table, g.shard);
      batch.add(shard, (p) => p.slTruncateRows(shard, member, tombstone, ...g.items.map((r) => r.pk)));
    }
    return ((await batch.exec()) as string[][]).flat();
  }
}

/** Rows grouped by their row-state shard (one script call or HMGET each), in first-seen order. */
function groupByShard<T extends { table: string; pk: string }>(
  rows: readonly T[],
): Array<{ table: string; shard: number; items: T[] }> {
  const shards = new Map<string, { table: string; shard: number; items: T[] }>();
  for (const row of rows) {
    const shard = rowShardOf(row.pk);
    const id = `${row.table}\u0000${shard}`;
    let group = shards.get(id);
    if (group === undefined) shards.set(id, (group = { table: row.table, shard, items: [] }));
    group.items.push(row);
  }
  return [...shards.values()];
}
