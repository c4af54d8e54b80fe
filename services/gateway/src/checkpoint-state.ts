// What one connection has told its client, and what the next checkpoint line must be: a full
// `checkpoint` first (with the connection's sync streams, edition 3), then a `checkpoint_diff`
// only when a bucket's checksum, count, priority or subscriptions changed, a bucket came or went,
// or the write checkpoint changed (or when told to). Pure.
import type {
  BucketChecksumEntry,
  CheckpointDiffLine,
  CheckpointLine,
  StreamDescription,
  StreamSubscriptionRef,
} from '@syncline/protocol';

export interface CheckpointTarget {
  readonly lastOpId: bigint;
  /** When the evaluator published the checkpoint (for the delivery-time metric). */
  readonly publishedAtMs?: number;
  readonly buckets: readonly BucketChecksumEntry[];
  readonly writeCheckpoint: bigint | null;
  /** Edition 3: the `streams` of the full checkpoint line (only the first line is a full one). */
  readonly streams?: readonly StreamDescription[];
}

export interface NextLine {
  readonly line: CheckpointLine | CheckpointDiffLine;
  /** Buckets whose data may have changed: download their ops after what the client holds. */
  readonly changed: readonly BucketChecksumEntry[];
}

export class CheckpointState {
  private sent: Map<string, BucketChecksumEntry> | null = null;
  private writeCheckpoint: bigint | null = null;

  /**
   * The line for `target`, or null when nothing the client sees changed. `force`: a line even
   * then (a diff that changes nothing), because the client must move on to `target`'s op id (its
   * download of the previous one was not completed: sync-session.ts, the completion rule).
   */
  next(target: CheckpointTarget, force = false): NextLine | null {
    const writeCheckpoint = maxOf(this.writeCheckpoint, target.writeCheckpoint);
    if (this.sent === null) {
      return {
        line: {
          kind: 'checkpoint',
          lastOpId: target.lastOpId,
          writeCheckpoint,
          buckets: target.buckets,
          ...(target.streams === undefined ? {} : { streams: target.streams }),
        },
        changed: target.buckets,
      };
    }
    const sent = this.sent;
    const updated = target.buckets.filter((b) => !sameEntry(sent.get(b.bucket), b));
    const present = new Set(target.buckets.map((b) => b.bucket));
    const removed = [...sent.keys()].filter((b) => !present.has(b));
    const same = updated.length === 0 && removed.length === 0 && writeCheckpoint === this.writeCheckpoint;
    if (same && !force) return null;
    return {
      line: {
        kind: 'checkpoint_diff',
        lastOpId: target.lastOpId,
        writeCheckpoint,
        updatedBuckets: updated,
        removedBuckets: removed,
      },
      changed: updated,
    };
  }

  /** Records that `target`'s line went out (its data follows). */
  sentLine(target: CheckpointTarget): void {
    this.sent = new Map(target.buckets.map((b) => [b.bucket, b]));
    this.writeCheckpoint = maxOf(this.writeCheckpoint, target.writeCheckpoint);
  }
}

function sameEntry(a: BucketChecksumEntry | undefined, b: BucketChecksumEntry): boolean {
  return (
    a !== undefined &&
    a.checksum === b.checksum &&
    a.count === b.count &&
    a.priority === b.priority &&
    sameReferences(a.subscriptions, b.subscriptions)
  );
}

function sameReferences(
  a: readonly StreamSubscriptionRef[] | undefined,
  b: readonly StreamSubscriptionRef[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((ref, i) => sameReference(ref, b[i]!));
}

function sameReference(a: StreamSubscriptionRef, b: StreamSubscriptionRef): boolean {
  return 'sub' in a ? 'sub' in b && a.sub === b.sub : 'default' in b && a.default === b.default;
}

function maxOf(a: bigint | null, b: bigint | null): bigint | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}
