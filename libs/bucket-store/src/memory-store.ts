// An in-memory bucket store with the reader port's exact semantics, for unit tests of readers
// (the gateway's logic runs against it in milliseconds). It takes the same writes the evaluator
// makes through the Redis writer and coordination: ops, lookups, write checkpoints, checkpoints;
// and compaction plans, as the Redis compactor applies them.
import type { BucketOp, WriteCheckpoint } from '@syncline/protocol';
import { decodeOpIdMember, encodeOpIdMember, formatOpId, parseOpId } from '@syncline/protocol';
import { decodeLookupRows, encodeLookupValue, lookupMemberRow, opMember, rowKeyOf } from './encoding';
import {
  applyCompaction,
  memberOf,
  positionOf,
  type CompactableOp,
  type CompactionPlan,
} from './compaction-plan';
import { CheckpointFeed, type BucketReader } from './reader';
import type { BucketChecksum, Checkpoint, ClientWriteCheckpoint, LookupWrite } from './types';

export class MemoryBucketStore implements BucketReader {
  /**
   * bucket -> op member -> op (members order ops exactly as Redis does; a packed MOVE is keyed by
   * its pack's member, NUL and its op id, so a pack's MOVEs sort where the pack does).
   */
  private readonly buckets = new Map<string, Map<string, CompactableOp>>();
  /** bucket -> op id at or below which no op is added any more (its CLEAR's or highest pack's). */
  private readonly sealed = new Map<string, bigint>();
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
      if (bucket.has(member) || op.opId <= (this.sealed.get(op.bucket) ?? -1n)) continue;
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

  /** The bucket's ops at or below `upTo` in member order, as the planner reads them. */
  opsUpTo(bucket: string, upTo: bigint): CompactableOp[] {
    return this.sortedOps(bucket).filter((op) => op.opId <= upTo);
  }

  /** Applies a compaction plan made from `opsUpTo` (throws CompactionPlanError when stale). */
  compact(bucket: string, plan: CompactionPlan): void {
    const ops = new Map<string, CompactableOp>();
    for (const op of applyCompaction(this.sortedOps(bucket), plan)) {
      const member = memberOf(positionOf(op));
      ops.set(
        op.op === 'MOVE' && op.pack !== undefined ? `${member}\u0000${encodeOpIdMember(op.opId)}` : member,
        op,
      );
    }
    this.buckets.set(bucket, ops);
    const sealedBy = [
      plan.clear?.opId ?? -1n,
      ...(plan.packs ?? []).map((p) => p.moves[p.moves.length - 1]!.opId),
    ];
    const sealed = sealedBy.reduce((a, b) => (b > a ? b : a), this.sealed.get(bucket) ?? -1n);
    this.sealed.set(bucket, sealed);
  }

  private sortedOps(bucket: string): CompactableOp[] {
    return [...(this.buckets.get(bucket) ?? new Map<string, CompactableOp>())]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, op]) => op);
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
          count += op.op === 'CLEAR' ? op.count : 1;
        }
        return { bucket, checksum, count };
      }),
    );
  }

  opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<CompactableOp[]> {
    const sorted = this.sortedOps(bucket);
    const ops = sorted.filter((op) => op.opId > after && op.opId <= upTo).slice(0, limit);
    if (ops.length > 0) return Promise.resolve(ops);
    // A range whose ops a CLEAR above it replaced: that CLEAR (as the reader port says).
    const following = sorted.find((op) => op.opId > after);
    return Promise.resolve(following?.op === 'CLEAR' && following.opId > upTo ? [following] : []);
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
