// What evaluator instances share to agree on checkpoints: processed-event counts with each
// partition's progress (counted once per offset), partition positions, the coordinator lease, the
// fenced checkpoint publish, write checkpoints, deployment meta, the snapshot high-water marks and
// the snapshot topic numbering. Also the reset of a whole prefix.
import type { Redis } from 'ioredis';
import type { WriteCheckpoint } from '@syncline/protocol';
import { encodeOpIdMember, formatOpId, parseOpId } from '@syncline/protocol';
import { StoreKeys } from './keys';
import { execOrThrow, readCheckpoint, storePipeline, withScripts, type StoreRedis } from './redis';
import type { Checkpoint, CountOutcome, SnapshotHighWater } from './types';

const TX_WRITE_CHECKPOINTS_TTL_SECONDS = 7 * 24 * 3600;

/** What holdLease found: the lease was free, ours already, or another instance's. */
export type LeaseOutcome = 'acquired' | 'renewed' | 'held-by-other';

/** Per change-topic partition (`topic/partition`) positions kept in Redis. */
export type PartitionPositions = 'progress' | 'transactionLow' | 'streaming';

export class RedisCoordination {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;

  constructor(redis: Redis, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
  }

  // ---- processed counts and partition positions ---------------------------------------------

  /** Next offset counted of a change-topic partition (`topic/partition`), or null. */
  async partitionProgress(partition: string): Promise<bigint | null> {
    const value = await this.redis.hget(this.keys.progress, partition);
    return value === null ? null : BigInt(value);
  }

  /**
   * Adds processed-event counts (END offset -> events) of one partition and moves its progress
   * from `expected` to `next`, atomically and only if the progress still is `expected`: each
   * offset is counted once even when batches are replayed or two instances overlap in a rebalance.
   */
  async countEvents(
    partition: string,
    expected: bigint | null,
    next: bigint,
    streaming: boolean,
    counts: ReadonlyMap<bigint, number>,
  ): Promise<CountOutcome> {
    const argv = [
      partition,
      expected === null ? '' : expected.toString(),
      next.toString(),
      streaming ? '1' : '0',
    ];
    for (const [endOffset, n] of counts) argv.push(endOffset.toString(), String(n));
    const k = this.keys;
    const [applied, current] = await this.redis.slCountEvents(k.progress, k.counts, k.streaming, ...argv);
    if (Number(applied) === 1) return { applied: true };
    return { applied: false, progress: current ? BigInt(current) : null };
  }

  /** Processed events of each transaction (by END offset). */
  async processedCounts(endOffsets: readonly bigint[]): Promise<number[]> {
    if (endOffsets.length === 0) return [];
    const values = await this.redis.hmget(this.keys.counts, ...endOffsets.map(String));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async forgetProcessed(endOffsets: readonly bigint[]): Promise<void> {
    if (endOffsets.length > 0) await this.redis.hdel(this.keys.counts, ...endOffsets.map(String));
  }

  async readPositions(positions: PartitionPositions): Promise<Map<string, bigint>> {
    const raw = await this.redis.hgetall(this.keys[positions]);
    return new Map(Object.entries(raw).map(([k, v]) => [k, BigInt(v)]));
  }

  /**
   * The oldest transaction (END offset) a replay of a partition's uncommitted records may need,
   * kept when one is already recorded (the older one still applies until the commit).
   */
  async keepTransactionLow(partition: string, endOffset: bigint): Promise<void> {
    await this.redis.hsetnx(this.keys.transactionLow, partition, endOffset.toString());
  }

  /** After a commit: the partition's records from now on need transactions from `endOffset` on. */
  async setTransactionLow(partition: string, endOffset: bigint): Promise<void> {
    await this.redis.hset(this.keys.transactionLow, partition, endOffset.toString());
  }

  /** After a commit that caught up: the partition needs no transaction the checkpoint covers. */
  async clearTransactionLow(partition: string): Promise<void> {
    await this.redis.hdel(this.keys.transactionLow, partition);
  }

  /** Dense index of a change topic, assigned once (snapshot op numbering). */
  async topicIndex(topic: string): Promise<number> {
    const k = this.keys.topicIndex;
    return Number(await this.redis.slTopicIndex(k.map, k.next, topic));
  }

  // ---- snapshot -----------------------------------------------------------------------------

  async snapshotHighWater(): Promise<SnapshotHighWater | null> {
    const json = await this.redis.get(this.keys.snapshotHighWater);
    return json === null ? null : (JSON.parse(json) as SnapshotHighWater);
  }

  /** Records the marks unless some instance already did; returns the marks that hold. */
  async recordSnapshotHighWater(marks: SnapshotHighWater): Promise<SnapshotHighWater> {
    await this.redis.set(this.keys.snapshotHighWater, JSON.stringify(marks), 'NX');
    return (await this.snapshotHighWater())!;
  }

  // ---- write checkpoints --------------------------------------------------------------------

  async recordTransactionWriteCheckpoints(endOffset: bigint, wcs: readonly WriteCheckpoint[]): Promise<void> {
    if (wcs.length === 0) return;
    const key = this.keys.transactionWriteCheckpoints(endOffset);
    const fields = wcs.flatMap((w) => [`${w.userId}/${w.clientId}`, w.n]);
    await execOrThrow(
      this.redis
        .pipeline()
        .hset(key, ...fields)
        .expire(key, TX_WRITE_CHECKPOINTS_TTL_SECONDS),
    );
  }

  async transactionWriteCheckpoints(endOffset: bigint): Promise<WriteCheckpoint[]> {
    const entries = await this.redis.hgetall(this.keys.transactionWriteCheckpoints(endOffset));
    return Object.entries(entries).map(([field, n]) => {
      const slash = field.lastIndexOf('/');
      return { userId: field.slice(0, slash), clientId: field.slice(slash + 1), n };
    });
  }

  /**
   * Stores write checkpoints as included in checkpoint `opId` (readers look them up per user),
   * each only forward: a client's `n` never goes back.
   */
  async saveWriteCheckpoints(wcs: readonly WriteCheckpoint[], opId: bigint): Promise<void> {
    if (wcs.length === 0) return;
    const pipeline = storePipeline(this.redis);
    for (const w of wcs)
      pipeline.slSaveWriteCheckpoint(
        this.keys.writeCheckpoints(w.userId),
        w.clientId,
        w.n,
        JSON.stringify({ n: w.n, opId: formatOpId(opId) }),
      );
    await execOrThrow(pipeline);
  }

  // ---- meta, checkpoint, lease --------------------------------------------------------------

  async getMeta(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.meta);
  }

  /** Sets meta fields that are not set yet; returns the stored meta afterwards. */
  async initMeta(fields: Record<string, string>): Promise<Record<string, string>> {
    const pipeline = this.redis.pipeline();
    for (const [k, v] of Object.entries(fields)) pipeline.hsetnx(this.keys.meta, k, v);
    await execOrThrow(pipeline);
    return this.getMeta();
  }

  getCheckpoint(): Promise<Checkpoint | null> {
    return readCheckpoint(this.redis, this.keys);
  }

  /** Stores and publishes `checkpoint` when `owner` holds the lease and it moves forward. */
  async publishCheckpoint(
    owner: string,
    checkpoint: Checkpoint,
  ): Promise<'published' | 'stale' | 'not-leader'> {
    const result = await this.redis.slPublishCheckpoint(
      this.keys.lease,
      this.keys.checkpoint,
      owner,
      encodeOpIdMember(parseOpId(checkpoint.lastOpId)),
      JSON.stringify(checkpoint),
      this.keys.checkpointChannel,
    );
    return result === 1 ? 'published' : result === 0 ? 'stale' : 'not-leader';
  }

  /**
   * Acquires or renews the coordinator lease. 'acquired' means the lease was free: whatever
   * `owner` knew as holder before (it may have been paused past the TTL) is stale.
   */
  async holdLease(owner: string, ttlMs: number): Promise<LeaseOutcome> {
    const result = Number(await this.redis.slLease(this.keys.lease, owner, String(ttlMs)));
    return result === 2 ? 'acquired' : result === 1 ? 'renewed' : 'held-by-other';
  }

  async releaseLease(owner: string): Promise<void> {
    await this.redis.slRelease(this.keys.lease, owner);
  }

  async leaseHolder(): Promise<string | null> {
    return this.redis.get(this.keys.lease);
  }

  /** Deletes every key of this prefix (reset). Returns the number of keys deleted. */
  async deleteAll(): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }
}
