// Counts processed events toward their transactions, each distinct (transaction, total_order)
// once: Debezium re-sends transactions and Connect's producer can store a record twice, so an
// event is identified by its place in its transaction, never by its Kafka offset.
import type { TransactionEvents } from '@syncline/bucket-store';
import { transactionCheckpointOpId, type OpIdGeneration } from '@syncline/protocol';
import type { ProgressStore } from './ports';

export interface CountedEvent {
  /** END offset of the (canonical) transaction the event counts toward. */
  readonly endOffset: bigint;
  readonly totalOrder: number;
}

export class EventCounter {
  constructor(
    private readonly store: ProgressStore,
    private readonly generation: OpIdGeneration,
  ) {}

  /** Counts the events (idempotently) and moves the partition's progress forward to `next`. */
  async count(
    partition: string,
    next: bigint,
    streaming: boolean,
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
    await this.store.countEvents(partition, next, streaming, transactions);
  }
}
