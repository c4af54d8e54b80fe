// The bucket reader port: exactly what a reader of the evaluator's output needs (the gateway, the
// demo, tests), with nothing of how it is stored. Implemented over Redis (redis-reader.ts) and in
// memory (memory-store.ts); one contract suite (test/reader-contract.ts) runs against both.
import { parseOpId } from '@syncline/protocol';
import type { CompactableOp } from './compaction-plan';
import type { BucketChecksum, Checkpoint, ClientWriteCheckpoint } from './types';

export interface BucketReader {
  /** The latest published checkpoint, or null before the first. */
  currentCheckpoint(): Promise<Checkpoint | null>;
  /**
   * The current checkpoint (when there is one), then every newer one as it is published, until
   * `signal` aborts. A consumer slower than the publisher skips to the newest: checkpoints only
   * matter as "the state is now at least this far".
   */
  checkpoints(signal: AbortSignal): AsyncIterable<Checkpoint>;
  /** Checksum and count of each bucket as of `checkpoint` (a bucket never written: 0 and 0). */
  checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]>;
  /**
   * At most `limit` ops of a bucket with after < opId <= upTo, in op-id order: PUT and REMOVE as
   * written, and where compaction ran, MOVE and CLEAR with their `target`. A reader that streams
   * them to clients must follow the completion rule (docs/consistency.md section 2.6): a download
   * that received a MOVE or CLEAR whose target is above checkpoint c must not be completed at c.
   * A range whose ops a CLEAR above `upTo` replaced yields that CLEAR (op id and target above
   * `upTo`): such a download is never completed at `upTo` and goes on past the CLEAR.
   */
  opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<CompactableOp[]>;
  /** Parameter rows of a lookup as of `checkpoint`: the latest entry per source row, if it matches. */
  lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]>;
  /** Write checkpoints of a user's clients (client id -> the latest one recorded). */
  writeCheckpointsOf(userId: string): Promise<Record<string, ClientWriteCheckpoint>>;
  /** Releases what the reader opened itself (a subscription connection); not the client it was given. */
  close(): Promise<void>;
}

/**
 * One subscriber's view of published checkpoints: holds the newest not yet taken, drops any
 * that is not newer than what it holds or last gave out.
 */
export class CheckpointFeed {
  private pending: Checkpoint | null = null;
  private last = -1n;
  private wake: (() => void) | null = null;

  offer(checkpoint: Checkpoint): void {
    const floor = this.pending === null ? this.last : parseOpId(this.pending.lastOpId);
    if (parseOpId(checkpoint.lastOpId) <= floor) return;
    this.pending = checkpoint;
    this.wake?.();
  }

  /** The next newer checkpoint, or null once `signal` aborts. */
  async next(signal: AbortSignal): Promise<Checkpoint | null> {
    while (this.pending === null) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.wake = null;
          signal.removeEventListener('abort', done);
          resolve();
        };
        this.wake = done;
        signal.addEventListener('abort', done);
      });
    }
    const checkpoint = this.pending;
    this.pending = null;
    this.last = parseOpId(checkpoint.lastOpId);
    return checkpoint;
  }

  /** Yields checkpoints from this feed until `signal` aborts. */
  async *iterate(signal: AbortSignal): AsyncGenerator<Checkpoint> {
    for (;;) {
      const checkpoint = await this.next(signal);
      if (checkpoint === null) return;
      yield checkpoint;
    }
  }
}
