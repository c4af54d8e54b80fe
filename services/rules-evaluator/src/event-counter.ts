// Counts processed events toward their transactions, each distinct (transaction, total_order)
// once: Debezium re-sends transactions and Connect's producer can store a record twice, so an
// event is identified by its place in its transaction, never by its Kafka offset.
import type { TransactionEvents } from '@syncline/bucket-store';
import { transactionCheckpointOpId, type OpIdGeneration } from '@syncline/protocol';
import type { ProgressStore } from './ports';
import { RedisStateLostError } from './processing-halt';
import type { WakeUp } from './wake-up';

export interface CountedEvent {
  /** END offset of the (canonical) transaction the event counts toward. */
  readonly endOffset: bigint;
  readonly totalOrder: number;
}

export class EventCounter {
  /** Progress this instance wrote or saw stored, per partition: Redis holding less lost writes. */
  private readonly written = new Map<string, bigint>();

  constructor(
    private readonly store: ProgressStore,
    private readonly generation: OpIdGeneration,
    /** Woken after events were counted (the coordinator of this instance waits on it). */
    private readonly counted?: WakeUp,
  ) {}

  /**
   * Throws RedisStateLostError when Redis holds the partition below what this instance wrote or saw: a
   * batch must not write over a Redis that lost writes (newer row states would hide the lost ops
   * from the replay). One HGET per batch.
   */
  async verify(partition: string): Promise<void> {
    const floor = this.written.get(partition);
    const stored = await this.store.partitionProgress(partition);
    if (floor !== undefined && (stored === null || stored < floor)) throw lost(partition, floor, stored);
    // What Redis held once it must hold from then on, whoever wrote it (a new owner's first batch).
    if (stored !== null && (floor === undefined || stored > floor)) this.written.set(partition, stored);
  }

  /** Counts the events (idempotently) and moves the partition's progress forward to `next`. */
  async count(
    partition: string,
    next: bigint,
    reached: bigint | null,
    events: readonly CountedEvent[],
  ): Promise<void> {
    const byTransaction = new Map<bigint, number[]>();
    for (const e of events) {
      const orders = byTransaction.get(e.endOffset);
      if (orders === undefined) byTransaction.set(e.endOffset, [e.totalOrder]);
      else orders.push(e.totalOrder);
    }
    const transactions: TransactionEvents[] = [...byTransaction].map(([endOffset, totalOrders]) => ({
      endOffset,
      checkpointOpId: transactionCheckpointOpId(this.generation, endOffset),
      totalOrders,
    }));
    const wrote = this.written.get(partition) ?? null;
    const result = await this.store.countEvents(partition, next, reached, transactions, wrote);
    if (result.refused) throw lost(partition, wrote!, result.previousProgress);
    if (wrote === null || next > wrote) this.written.set(partition, next);
    if (transactions.length > 0) this.counted?.wake();
  }
}

function lost(partition: string, wrote: bigint, stored: bigint | null): RedisStateLostError {
  return new RedisStateLostError(
    `Redis lost writes of this deployment: partition ${partition} was processed up to offset ${wrote} ` +
      `by this instance, Redis now says ${stored ?? 'nothing'} (restored from an older state, failed ` +
      'over with data loss, or wiped). Restart the evaluators: they resume from what Redis holds ' +
      '(docs/consistency.md §5.4)',
  );
}
