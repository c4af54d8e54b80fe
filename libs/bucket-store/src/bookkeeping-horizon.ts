// The op id at or below which the leader may trim bookkeeping (docs/consistency.md §2.6, "Bounded
// bookkeeping"): the replay horizon (no event below it is ever planned or written again) and the
// retention horizon (no gateway still resolves parameter lookups below it). Pure: fed checkpoints
// and transaction positions, answers op ids.
import { parseOpId, windowOpId, type OpIdGeneration } from '@syncline/protocol';

/** What the retention horizon needs of a published checkpoint (a `Checkpoint` fits). */
export interface PublishedCheckpoint {
  readonly lastOpId: string;
  readonly publishedAtMs: number;
}

/**
 * The newest checkpoint seen at least `retentionMs` ago. A gateway resolves a stream's buckets at
 * the checkpoint it is about to serve, right after that checkpoint is published; lookups stay
 * exact for every checkpoint at or above this horizon, so only a gateway that took a checkpoint
 * more than `retentionMs` ago and resolves at it only now could read a trimmed lookup.
 */
export class RetentionHorizon {
  private readonly history: Array<{ readonly atMs: number; readonly opId: bigint }> = [];

  constructor(readonly retentionMs: number) {
    if (!Number.isFinite(retentionMs) || retentionMs < 0)
      throw new RangeError(`retentionMs must be a finite number >= 0, got ${retentionMs}`);
  }

  /**
   * Records a checkpoint seen at `observedAtMs` (the caller's clock). Its age counts from the later
   * of its published time and that, and never from before an older entry's: a publisher whose
   * clock runs behind must not make a checkpoint look older than it is. Only forward op ids count.
   */
  observe(checkpoint: PublishedCheckpoint, observedAtMs: number): void {
    const opId = parseOpId(checkpoint.lastOpId);
    const last = this.history[this.history.length - 1];
    if (last !== undefined && opId <= last.opId) return;
    const atMs = Math.max(checkpoint.publishedAtMs, observedAtMs, last?.atMs ?? -Infinity);
    this.history.push({ atMs, opId });
  }

  /** The op id of the newest checkpoint seen at or before `nowMs - retentionMs`; null when none. */
  horizon(nowMs: number): bigint | null {
    const cutoff = nowMs - this.retentionMs;
    let newest = -1;
    while (newest + 1 < this.history.length && this.history[newest + 1]!.atMs <= cutoff) newest++;
    if (newest < 0) return null;
    // Entries older than the newest old-enough one can never be the answer again (time only grows).
    this.history.splice(0, newest);
    return this.history[0]!.opId;
  }

  /** Checkpoints held (for tests and a gauge). */
  get size(): number {
    return this.history.length;
  }
}

/** The published checkpoint as the replay horizon needs it. */
export interface CheckpointPosition {
  readonly lastOpId: string;
  /** END offset of its last transaction (decimal; -1 for a snapshot-only checkpoint). */
  readonly endOffset: string;
}

/**
 * The highest op id no replay can write again: every event at or below it belongs to a transaction
 * that ended before every evaluator's transaction-reader window, which starts at
 * min(checkpoint END + 1, every partition's `txlow`) (docs/consistency.md §5.3): the reader prunes
 * those transactions and their events are skipped as covered (§2.1). Null before the first
 * checkpoint, or when a `txlow` lies before the generation's origin (nothing is trimmed then).
 */
export function replayHorizon(
  g: OpIdGeneration,
  checkpoint: CheckpointPosition | null,
  transactionLows: Iterable<bigint>,
): bigint | null {
  if (checkpoint === null) return null;
  const end = BigInt(checkpoint.endOffset);
  let start = end + 1n;
  for (const low of transactionLows) if (low < start) start = low;
  if (start > end) return parseOpId(checkpoint.lastOpId);
  if (start < g.offsetOrigin) return null;
  // Ops below the first op of the transaction at `start` belong to transactions before it.
  return windowOpId(g, start) - 1n;
}

/** The horizon a trim may use: at or below both (null when either is null). */
export function bookkeepingHorizon(replay: bigint | null, retention: bigint | null): bigint | null {
  if (replay === null || retention === null) return null;
  return replay < retention ? replay : retention;
}
