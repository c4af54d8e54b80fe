// The bucket reader over the evaluator's Redis layout. Checkpoint notifications come from the
// pub/sub channel on one subscriber connection per reader, shared by every subscription, and
// re-read from the checkpoint key after a reconnect (a message published meanwhile is lost). On a
// Redis Cluster the subscriber is a cluster client too: PUBLISH reaches every node.
import { decodeOpIdMember, encodeOpIdMember, opIdLexRange } from '@syncline/protocol';
import type { CompactableOp } from './compaction-plan';
import { opsOf, readBucketRange } from './bucket-range';
import { decodeLookupRows, lookupMemberRow } from './encoding';
import { StoreKeys } from './keys';
import { CheckpointFeed, type BucketReader } from './reader';
import { readCheckpoint, withScripts, type StoreConnection, type StoreRedis } from './redis';
import { CommandBatch } from './slot-batch';
import type { BucketChecksum, Checkpoint, ClientWriteCheckpoint } from './types';

type Listener = (checkpoint: Checkpoint) => void;

export class RedisBucketReader implements BucketReader {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;
  private readonly listeners = new Set<Listener>();
  private subscriber: StoreConnection | null = null;
  private subscribed: Promise<unknown> | null = null;

  constructor(redis: StoreConnection, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
  }

  currentCheckpoint(): Promise<Checkpoint | null> {
    return readCheckpoint(this.redis, this.keys);
  }

  async *checkpoints(signal: AbortSignal): AsyncGenerator<Checkpoint> {
    const feed = new CheckpointFeed();
    const listener: Listener = (checkpoint) => feed.offer(checkpoint);
    // Subscribed before the current checkpoint is read: nothing published in between is missed.
    await this.listen(listener);
    try {
      const current = await this.currentCheckpoint();
      if (current !== null) feed.offer(current);
      yield* feed.iterate(signal);
    } finally {
      this.unlisten(listener);
    }
  }

  async checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]> {
    if (buckets.length === 0) return [];
    const batch = new CommandBatch(this.redis);
    const min = `[${encodeOpIdMember(checkpoint + 1n)}`;
    for (const bucket of buckets) {
      const k = this.keys.bucket(bucket);
      batch.add(k.ops, (p) => p.slChecksumAt(k.ops, k.body, k.meta, min));
    }
    const results = (await batch.exec()) as [string, number][];
    return results.map(([checksum, count], i) => ({
      bucket: buckets[i]!,
      checksum: Number(checksum) >>> 0,
      count: Number(count),
    }));
  }

  async opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<CompactableOp[]> {
    const k = this.keys.bucket(bucket);
    const { min } = opIdLexRange(after, upTo);
    // One atomic read: the range's members with their ops and, when the range holds fewer than
    // `limit`, the member after it (a pack holding MOVEs at or below `upTo`, or the CLEAR that
    // replaced the range).
    const read = await readBucketRange(this.redis, k, bucket, {
      reverse: false,
      from: min,
      to: '+',
      count: limit + 1,
    });
    let inRangeMembers = read.findIndex((m) => decodeOpIdMember(m.member) > upTo);
    if (inRangeMembers < 0) inRangeMembers = read.length;
    const inRange = (op: CompactableOp): boolean => op.opId > after && op.opId <= upTo;
    // A pack sorts at its last MOVE: the first member read may hold MOVEs at or below `after`.
    const ops = opsOf(read.slice(0, inRangeMembers + 1));
    const within = ops.filter(inRange);
    // Every member in the range gives at least one op in it: a full read is a full page.
    if (inRangeMembers >= limit) return within.slice(0, limit);
    if (within.length > 0) return within.slice(0, limit);
    const first = ops[ops.length - 1];
    return first?.op === 'CLEAR' && first.opId > upTo ? [first] : [];
  }

  async lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]> {
    const k = this.keys.lookup(lookupKey);
    const members = await this.redis.zrangebylex(k.index, '-', `(${encodeOpIdMember(checkpoint + 1n)}`);
    if (members.length === 0) return [];
    const values = await this.redis.hmget(k.values, ...members);
    // Members are in op-id order: the last entry of each source row wins.
    const latest = new Map<string, string | null>();
    members.forEach((m, i) => latest.set(lookupMemberRow(m), values[i] ?? null));
    return [...latest.values()].flatMap(decodeLookupRows);
  }

  async writeCheckpointsOf(userId: string): Promise<Record<string, ClientWriteCheckpoint>> {
    const raw = await this.redis.hgetall(this.keys.writeCheckpoints(userId));
    return Object.fromEntries(
      Object.entries(raw).map(([c, v]) => [c, JSON.parse(v) as ClientWriteCheckpoint]),
    );
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.dropSubscriber();
  }

  private async listen(listener: Listener): Promise<void> {
    this.listeners.add(listener);
    if (this.subscriber === null) {
      const subscriber = this.redis.duplicate();
      this.subscriber = subscriber;
      subscriber.on('error', () => undefined); // it reconnects by itself; readers see the gap below
      subscriber.on('message', (_channel: string, json: string) =>
        this.deliver(JSON.parse(json) as Checkpoint),
      );
      // After a reconnect ioredis re-subscribes; a checkpoint published while away is read back.
      let connectedBefore = false;
      subscriber.on('ready', () => {
        if (connectedBefore)
          void this.currentCheckpoint().then(
            (c) => c && this.deliver(c),
            () => undefined,
          );
        connectedBefore = true;
      });
      this.subscribed = subscriber.subscribe(this.keys.checkpointChannel);
    }
    await this.subscribed;
  }

  private unlisten(listener: Listener): void {
    this.listeners.delete(listener);
    if (this.listeners.size === 0) this.dropSubscriber();
  }

  private deliver(checkpoint: Checkpoint): void {
    for (const listener of this.listeners) listener(checkpoint);
  }

  private dropSubscriber(): void {
    this.subscriber?.disconnect();
    this.subscriber = null;
    this.subscribed = null;
  }
}
