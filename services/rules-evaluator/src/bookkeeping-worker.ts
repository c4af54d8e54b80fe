// The leader's trim of bounded bookkeeping (docs/consistency.md 2.7): after each compaction pass,
// parameter-lookup versions and row tombstones at or below H = min(replay horizon, retention
// horizon), and the counts, `seen` bitmaps and write-checkpoint lists of checkpointed
// transactions, each in bounded calls that stop with the leadership. A new leader has no
// checkpoint history: it trims lookups and tombstones only once a retention has passed.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  bookkeepingHorizon,
  replayHorizon,
  RetentionHorizon,
  type Checkpoint,
  type CheckpointedTrimCursor,
  type LookupTrimCursor,
  type RedisBookkeepingTrimmer,
  type TombstoneTrimCursor,
  type TrimProgress,
} from '@syncline/bucket-store';
import type { OpIdGeneration } from '@syncline/protocol';
import type { EvaluatorMetrics } from './metrics';

export interface BookkeepingDeps {
  readonly trimmer: Pick<RedisBookkeepingTrimmer, 'trimLookups' | 'trimTombstones' | 'trimCheckpointed'>;
  readonly generation: OpIdGeneration;
  /** Every partition's `txlow` (the replay horizon's other input). */
  readonly transactionLows: () => Promise<Iterable<bigint>>;
  /** How long a checkpoint stays resolvable by a gateway (SYNCLINE_LOOKUP_RETENTION_MS). */
  readonly retentionMs: number;
  /** Entries read per call. */
  readonly stepOps: number;
  readonly isLeader: () => boolean;
  readonly metrics: EvaluatorMetrics;
  readonly signal: AbortSignal;
  readonly now?: () => number;
}

export interface TrimSummary {
  /** H, or null when nothing below a horizon may be trimmed yet. */
  readonly horizon: bigint | null;
  readonly lookups: number;
  readonly tombstones: number;
  readonly checkpointed: number;
  /** False when leadership was lost or the worker stopped mid-pass. */
  readonly finished: boolean;
}

export class BookkeepingWorker {
  private retention: RetentionHorizon;

  constructor(private readonly deps: BookkeepingDeps) {
    this.retention = new RetentionHorizon(deps.retentionMs);
  }

  /** Forgets the checkpoint history (not the leader: a later leadership starts a new one). */
  forget(): void {
    this.retention = new RetentionHorizon(this.deps.retentionMs);
  }

  /** One pass at `checkpoint` (the published one; null: nothing yet). */
  async pass(checkpoint: Checkpoint | null): Promise<TrimSummary> {
    const { trimmer, stepOps } = this.deps;
    const now = (this.deps.now ?? Date.now)();
    if (checkpoint === null)
      return { horizon: null, lookups: 0, tombstones: 0, checkpointed: 0, finished: true };
    this.retention.observe(checkpoint, now);
    const replay = replayHorizon(this.deps.generation, checkpoint, await this.deps.transactionLows());
    const horizon = bookkeepingHorizon(replay, this.retention.horizon(now));
    const summary = { horizon, lookups: 0, tombstones: 0, checkpointed: 0, finished: false };
    const end = BigInt(checkpoint.endOffset);
    if (end >= 0n) {
      const n = await this.drain<CheckpointedTrimCursor>('checkpointed', (c) =>
        trimmer.trimCheckpointed(end, c, stepOps),
      );
      if (n === null) return summary;
      summary.checkpointed = n;
    }
    if (horizon !== null) {
      const lookups = await this.drain<LookupTrimCursor>('lookups', (c) =>
        trimmer.trimLookups(horizon, c, stepOps),
      );
      if (lookups === null) return summary;
      summary.lookups = lookups;
      const tombstones = await this.drain<TombstoneTrimCursor>('tombstones', (c) =>
        trimmer.trimTombstones(horizon, c, stepOps),
      );
      if (tombstones === null) return summary;
      summary.tombstones = tombstones;
    }
    return { ...summary, finished: true };
  }

  /** Calls `step` until its cursor ends; the entries deleted, or null when stopped. */
  private async drain<C>(
    kind: string,
    step: (cursor: C | null) => Promise<TrimProgress<C>>,
  ): Promise<number | null> {
    let cursor: C | null = null;
    let deleted = 0;
    do {
      if (this.deps.signal.aborted || !this.deps.isLeader()) return null;
      const progress = await step(cursor);
      deleted += progress.deleted;
      this.deps.metrics.bookkeepingTrimmed.inc({ kind }, progress.deleted);
      cursor = progress.cursor;
      await yieldToEventLoop();
    } while (cursor !== null);
    return deleted;
  }
}
