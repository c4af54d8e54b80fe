// An in-memory bucket store with the reader port's exact semantics, for unit tests of readers
// (the gateway's logic runs against it in milliseconds). It takes the same writes the evaluator
// makes through the Redis writer and coordination: ops, lookups, write checkpoints, checkpoints.
import type { BucketOp, WriteCheckpoint } from '@syncline/protocol';
import { decodeOpIdMember, formatOpId, parseOpId } from '@syncline/protocol';
import { decodeLookupRows, encodeLookupValue, lookupMemberRow, opMember, rowKeyOf } from './encoding';
import { CheckpointFeed, type BucketReader } from './reader';
import type { BucketChecksum, Checkpoint, ClientWriteCheckpoint, LookupWrite } from './types';

export class MemoryBucketStore implements BucketReader {
  /** bucket -> op member -> op (members order ops exactly as Redis does). */
  private readonly buckets = new Map<string, Map<string, BucketOp>>();
  /** lookup key -> `<op16>|<rowKey>` member -> parameters JSON or 'null'. */
  private readonly lookups = new Map<string, Map<string, string>>();
  private readonly userWriteCheckpoints = new Map<string, Record<string, ClientWriteCheckpoint>>();
  private readonly feeds = new Set<CheckpointFeed>();
  private checkpoint: Checkpoint | null = null;

  // ---- writes (the evaluator's side) --------------------------------------------------------

  /** Adds ops idempotently (an op already present is not added again); returns ops added. */
  addOps(ops: readonly BucketOp[]): Promise<number> {
    let added = 0;
    for (const op of ops) {
      let bucket = this.buckets.get(op.bucket);
      if (bucket === undefined) this.buckets.set(op.bucket, (bucket = new Map()));
      const member = opMember(op.opId, rowKeyOf(op.objectType, op.objectId, op.subkey));
      if (bucket.has(member)) continue;
      bucket.set(member, { ...op, checksum: op.checksum >>> 0 });
      added++;
    }
    return Promise.resolve(added);
  }

  writeLookups(writes: readonly LookupWrite[]): Promise<void> {
    for (const w of writes) {
      let lookup = this.lookups.get(w.lookupKey);
      if (lookup === undefined) this.lookups.set(w.lookupKey, (lookup = new Map()));
      lookup.set(opMember(w.opId, w.rowKey), encodeLookupValue(w.parameters));
    }
    return Promise.resolve();
  }

  saveWriteCheckpoints(wcs: readonly WriteCheckpoint[], opId: bigint): Promise<void> {
    for (const w of wcs) {
      const clients = this.userWriteCheckpoints.get(w.userId) ?? {};
      const stored = clients[w.clientId];
      if (stored !== undefined && BigInt(stored.n) >= BigInt(w.n)) continue;
      clients[w.clientId] = { n: w.n, opId: formatOpId(opId) };
      this.userWriteCheckpoints.set(w.userId, clients);
    }
    return Promise.resolve();
  }

  /** Publishes a checkpoint when it moves forward (as the coordinator's fenced publish does). */
  publishCheckpoint(checkpoint: Checkpoint): Promise<'published' | 'stale'> {
    const current = this.checkpoint === null ? -1n : parseOpId(this.checkpoint.lastOpId);
    if (parseOpId(checkpoint.lastOpId) <= current) return Promise.resolve('stale');
    this.checkpoint = checkpoint;
    for (const feed of this.feeds) feed.offer(checkpoint);
    return Promise.resolve('published');
  }

  // ---- the reader port ------------------------------------------------------------------------

  currentCheckpoint(): Promise<Checkpoint | null> {
    return Promise.resolve(this.checkpoint);
  }

  async *checkpoints(signal: AbortSignal): AsyncGenerator<Checkpoint> {
    const feed = new CheckpointFeed();
    this.feeds.add(feed);
    try {
      if (this.checkpoint !== null) feed.offer(this.checkpoint);
      yield* feed.iterate(signal);
    } finally {
      this.feeds.delete(feed);
    }
  }

  checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]> {
    return Promise.resolve(
      buckets.map((bucket) => {
        let checksum = 0;
        let count = 0;
        for (const op of this.buckets.get(bucket)?.values() ?? []) {
          if (op.opId > checkpoint) continue;
          checksum = (checksum + op.checksum) >>> 0;
          count++;
        }
        return { bucket, checksum, count };
      }),
    );
  }

  opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<BucketOp[]> {
    const ops = [...(this.buckets.get(bucket) ?? new Map<string, BucketOp>())]
      .filter(([, op]) => op.opId > after && op.opId <= upTo)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([, op]) => op);
    return Promise.resolve(ops);
  }

  lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]> {
    const entries = [...(this.lookups.get(lookupKey) ?? new Map<string, string>())]
      .filter(([member]) => decodeOpIdMember(member) <= checkpoint)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const latest = new Map<string, string>();
    for (const [member, value] of entries) latest.set(lookupMemberRow(member), value);
    return Promise.resolve([...latest.values()].flatMap(decodeLookupRows));
  }

  writeCheckpointsOf(userId: string): Promise<Record<string, ClientWriteCheckpoint>> {
    return Promise.resolve({ ...(this.userWriteCheckpoints.get(userId) ?? {}) });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
