// What evaluator instances share to agree on checkpoints: processed-event counts with each
// partition's progress (counted once per offset), partition positions, the coordinator lease, the
// fenced checkpoint publish, write checkpoints, deployment meta, the snapshot high-water marks and
// the snapshot topic numbering. Also the reset of a whole prefix.
import { forEachKeyPage } from './key-scan';
import type { WriteCheckpoint } from '@syncline/protocol';
import { encodeOpIdMember, formatOpId, parseOpId } from '@syncline/protocol';
import { StoreKeys } from './keys';
import { execOrThrow, readCheckpoint, withScripts, type StoreConnection, type StoreRedis } from './redis';
import { CommandBatch, groupBySlot } from './slot-batch';
import type { Checkpoint, CountResult, SnapshotHighWater, TransactionEvents } from './types';

const TX_WRITE_CHECKPOINTS_TTL_SECONDS = 7 * 24 * 3600;

/** How long a user's write-checkpoint records outlive the last one recorded (docs/consistency.md §2.6). */
export const DEFAULT_WRITE_CHECKPOINT_RETENTION_MS = 30 * 24 * 3600 * 1000;

export interface CoordinationOptions {
  /** A user's write checkpoints expire this long after the last one recorded; null: never. */
  readonly writeCheckpointRetentionMs?: number | null;
}

/** What holdLease found: the lease was free, ours already, or another instance's. */
export type LeaseOutcome = 'acquired' | 'renewed' | 'held-by-other';

/** Per change-topic partition (`topic/partition`) positions kept in Redis. */
export type PartitionPositions = 'progress' | 'transactionLow' | 'streaming';

/**
 * What publishCheckpoint did: published; stale (the stored one is not older); not-leader; or
 * regressed (the stored checkpoint is older than the one the caller saw: Redis lost writes).
 */
export type PublishOutcome = 'published' | 'stale' | 'not-leader' | 'regressed';

const PUBLISH_OUTCOMES: Record<number, PublishOutcome> = {
  1: 'published',
  0: 'stale',
  [-1]: 'not-leader',
  [-2]: 'regressed',
};

export class RedisCoordination {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;
  private readonly writeCheckpointRetention: string;

  constructor(redis: StoreConnection, prefix: string, options: CoordinationOptions = {}) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
    const retention = options.writeCheckpointRetentionMs;
    if (retention != null && (!Number.isSafeInteger(retention) || retention < 1))
      throw new RangeError(`writeCheckpointRetentionMs must be a positive integer, got ${retention}`);
    this.writeCheckpointRetention =
      retention === null ? '' : String(retention ?? DEFAULT_WRITE_CHECKPOINT_RETENTION_MS);
  }

  // ---- processed counts and partition positions ---------------------------------------------

  /** Next offset counted of a change-topic partition (`topic/partition`), or null. */
  async partitionProgress(partition: string): Promise<bigint | null> {
    const value = await this.redis.hget(this.keys.progress, partition);
    return value === null ? null : BigInt(value);
  }

  /**
   * Counts processed events, each distinct (transaction, total_order) once however often it is
   * delivered or replayed, and moves the partition's progress forward to `next`. Events of a
   * transaction the published checkpoint covers are not counted. Returns the events newly counted
   * and the partition's progress before the call (null when absent). With `floor` (the progress the
   * caller wrote last) nothing is written when the stored progress is below it (`refused`).
   */
  async countEvents(
    partition: string,
    next: bigint,
    reached: bigint | null,
    transactions: readonly TransactionEvents[],
    floor: bigint | null = null,
  ): Promise<CountResult> {
    const k = this.keys;
    const keys = [k.progress, k.counts, k.streaming, k.checkpoint];
    const argv = [
      partition,
      next.toString(),
      reached === null ? '' : reached.toString(),
      floor === null ? '' : floor.toString(),
    ];
    for (const t of transactions) {
      keys.push(k.seen(t.endOffset));
      argv.push(t.endOffset.toString(), encodeOpIdMember(t.checkpointOpId), String(t.totalOrders.length));
      for (const order of t.totalOrders) argv.push(String(order));
    }
    const [counted, before] = await this.redis.slCountEvents(keys.length, ...keys, ...argv);
    const previousProgress = before === '' ? null : BigInt(before);
    if (Number(counted) < 0) return { counted: 0, previousProgress, refused: true };
    return { counted: Number(counted), previousProgress, refused: false };
  }

  /** Processed events of each transaction (by END offset). */
  async processedCounts(endOffsets: readonly bigint[]): Promise<number[]> {
    if (endOffsets.length === 0) return [];
    const values = await this.redis.hmget(this.keys.counts, ...endOffsets.map(String));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  /** Forgets the counts (and counted total_orders) of transactions a checkpoint now covers. */
  async forgetProcessed(endOffsets: readonly bigint[]): Promise<void> {
    if (endOffsets.length === 0) return;
    await this.redis
      .multi()
      .hdel(this.keys.counts, ...endOffsets.map(String))
      .del(...endOffsets.map((o) => this.keys.seen(o)))
      .exec();
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

  // ---- a full snapshot taken after streaming began (§3.2) ----------------------------------

  /** The END offset of the transaction its rows are placed at, once an instance placed one. */
  async resnapshotAnchor(): Promise<bigint | null> {
    const v = await this.redis.hget(this.keys.resnapshot, 'anchor');
    return v === null ? null : BigInt(v);
  }

  /** Rows of an incremental snapshot window were placed at `endOffset` (kept when lower than one recorded). */
  async recordWindowPlaced(endOffset: bigint): Promise<void> {
    await this.redis.zadd(this.keys.windowsPlaced, 'GT', Number(endOffset), 'last');
  }

  /** The highest END offset window rows were placed at, or null. */
  async lastWindowPlaced(): Promise<bigint | null> {
    const score = await this.redis.zscore(this.keys.windowsPlaced, 'last');
    return score === null ? null : BigInt(score);
  }

  async recordResnapshotAnchor(endOffset: bigint): Promise<void> {
    await this.redis.hset(this.keys.resnapshot, 'anchor', endOffset.toString());
  }

  /** Notification-topic offset of the last COMPLETED the checkpoint has passed (-1: none). */
  async resnapshotHandled(): Promise<bigint> {
    const v = await this.redis.hget(this.keys.resnapshot, 'handled');
    return v === null ? -1n : BigInt(v);
  }

  /** The snapshot whose COMPLETED is at `offset` is passed: forget its anchor. */
  async recordResnapshotHandled(offset: bigint): Promise<void> {
    await this.redis
      .multi()
      .hset(this.keys.resnapshot, 'handled', offset.toString())
      .hdel(this.keys.resnapshot, 'anchor')
      .exec();
  }

  // ---- write checkpoints --------------------------------------------------------------------

  /**
   * Records the write checkpoints of transactions (by END offset) until the coordinator publishes
   * the checkpoint covering each: one pipeline for all of them (one per slot on a cluster).
   */
  async recordTransactionWriteCheckpoints(
    byTransaction: ReadonlyMap<bigint, readonly WriteCheckpoint[]>,
  ): Promise<void> {
    const batch = new CommandBatch(this.redis);
    for (const [endOffset, wcs] of byTransaction) {
      if (wcs.length === 0) continue;
      const key = this.keys.transactionWriteCheckpoints(endOffset);
      const fields = wcs.flatMap((w) => [`${w.userId}/${w.clientId}`, w.n]);
      batch.add(key, (p) => p.hset(key, ...fields));
      batch.add(key, (p) => p.expire(key, TX_WRITE_CHECKPOINTS_TTL_SECONDS));
    }
    await batch.exec();
  }

  /** The write checkpoints recorded for transactions (by END offset), read in one batch. */
  async transactionWriteCheckpoints(endOffsets: readonly bigint[]): Promise<WriteCheckpoint[]> {
    const batch = new CommandBatch(this.redis);
    for (const endOffset of endOffsets) {
      const key = this.keys.transactionWriteCheckpoints(endOffset);
      batch.add(key, (p) => p.hgetall(key));
    }
    const replies = (await batch.exec()) as Record<string, string>[];
    return replies.flatMap((entries) =>
      Object.entries(entries).map(([field, n]) => {
        const slash = field.lastIndexOf('/');
        return { userId: field.slice(0, slash), clientId: field.slice(slash + 1), n };
      }),
    );
  }

  /**
   * Stores write checkpoints as included in checkpoint `opId` (readers look them up per user),
   * each only forward: a client's `n` never goes back. Each write sets the user's records to
   * expire after the retention (30 days unless configured).
   */
  async saveWriteCheckpoints(wcs: readonly WriteCheckpoint[], opId: bigint): Promise<void> {
    if (wcs.length === 0) return;
    const batch = new CommandBatch(this.redis);
    for (const w of wcs) {
      const key = this.keys.writeCheckpoints(w.userId);
      const json = JSON.stringify({ n: w.n, opId: formatOpId(opId) });
      batch.add(key, (p) =>
        p.slSaveWriteCheckpoint(key, w.clientId, w.n, json, this.writeCheckpointRetention),
      );
    }
    await batch.exec();
  }

  // ---- meta, checkpoint, lease --------------------------------------------------------------

  async getMeta(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.meta);
  }

  /** Whether the deployment's meta (written at first start) is still there: gone means wiped. */
  async hasMeta(): Promise<boolean> {
    return (await this.redis.hexists(this.keys.meta, 'layout')) === 1;
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
    seen: Checkpoint | null = null,
  ): Promise<PublishOutcome> {
    const result = await this.redis.slPublishCheckpoint(
      this.keys.lease,
      this.keys.checkpoint,
      owner,
      encodeOpIdMember(parseOpId(checkpoint.lastOpId)),
      JSON.stringify(checkpoint),
      this.keys.checkpointChannel,
      seen === null ? '' : encodeOpIdMember(parseOpId(seen.lastOpId)),
    );
    return PUBLISH_OUTCOMES[result] ?? 'not-leader';
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

  /**
   * Deletes every key of this prefix (reset). Returns the number of keys deleted. SCAN walks one
   * server's keys: on a cluster every master is scanned, and one UNLINK names keys of one slot.
   */
  async deleteAll(): Promise<number> {
    let deleted = 0;
    await forEachKeyPage(this.redis, this.keys.pattern, async (_, keys) => {
      for (const group of groupBySlot(keys))
        deleted += await this.redis.unlink(...group.map((i) => keys[i]!));
    });
    return deleted;
  }
}
