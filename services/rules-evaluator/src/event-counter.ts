// Counts processed events toward their transactions, once per change-topic offset: each count
// moves the partition's progress compare-and-set, so a replayed batch or two instances that
// overlap in a rebalance never count an offset twice.
import type { Logger } from 'pino';
import type { ProgressStore } from './ports';

export interface CountedOffset {
  readonly offset: bigint;
  /** END offset of the transaction the event counts toward. */
  readonly endOffset: bigint;
}

export class EventCounter {
  /** Last known progress (next offset counted) per partition; re-read after a rebalance. */
  private readonly progress = new Map<string, bigint | null>();

  constructor(
    private readonly store: ProgressStore,
    private readonly logger: Logger,
  ) {}

  /** Forgets the partitions' progress (call on every rebalance). */
  reset(): void {
    this.progress.clear();
  }

  /**
   * Counts the events at or after the partition's progress and moves the progress to `next`; when
   * another writer moved it, re-reads it and counts only what is still uncounted.
   */
  async count(
    partition: string,
    next: bigint,
    streaming: boolean,
    events: readonly CountedOffset[],
  ): Promise<void> {
    let known = this.progress.has(partition)
      ? this.progress.get(partition)!
      : await this.store.partitionProgress(partition);
    for (;;) {
      if (known !== null && known >= next) break;
      const counts = new Map<bigint, number>();
      for (const e of events)
        if (known === null || e.offset >= known) counts.set(e.endOffset, (counts.get(e.endOffset) ?? 0) + 1);
      const outcome = await this.store.countEvents(partition, known, next, streaming, counts);
      if (outcome.applied) {
        known = next;
        break;
      }
      this.logger.info(
        { partition, expected: known?.toString() ?? null, found: outcome.progress?.toString() ?? null },
        'partition progress moved by another writer; counting only what is left',
      );
      known = outcome.progress;
    }
    this.progress.set(partition, known);
  }
}
