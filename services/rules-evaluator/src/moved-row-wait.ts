// A primary-key change is a delete of the old key and an insert of the new one, in one transaction
// but possibly in two partitions. The insert's unchanged TOAST columns come from the old row's
// image, which the delete's tombstone keeps; when another partition holds that delete, the insert
// waits for it to be stored: at most BARRIER_WAIT_MS per batch (then the batch is given back and
// fetched again, so kafkajs can fetch the other partition), and at most MOVED_ROW_GIVE_UP_MS in
// all (an old row the evaluator never stored would otherwise hold the partition for ever).
import type { Logger } from 'pino';
import type { RowStore } from './ports';
import type { BatchContext } from './event-preparer';
import type { RowEvent } from './prepared-event';
import { BARRIER_WAIT_MS } from './truncate-runner';

export const MOVED_ROW_GIVE_UP_MS = 30_000;

export class MovedRowWait {
  /** When each waiting insert (`topic/partition@offset`) first waited. */
  private readonly since = new Map<string, number>();

  constructor(
    private readonly rows: Pick<RowStore, 'getRows'>,
    private readonly logger: Logger,
    private readonly giveUpMs = MOVED_ROW_GIVE_UP_MS,
    private readonly batchWaitMs = BARRIER_WAIT_MS,
  ) {}

  /**
   * True once the old key's delete is stored (or waiting longer is pointless: the insert is then
   * planned without it and its TOAST columns count as unfilled); false to give the batch back.
   */
  async wait(event: RowEvent, batch: BatchContext): Promise<boolean> {
    const change = event.keyChange;
    if (change === null || change === 'delete') return true;
    const id = `${batch.topic}/${batch.partition}@${event.offset}`;
    const first = this.since.get(id) ?? Date.now();
    this.since.set(id, first);
    const deadline = Date.now() + this.batchWaitMs;
    for (;;) {
      const [old] = await this.rows.getRows([{ table: event.table, pk: change.from }]);
      if (old !== null && old !== undefined && old.opId >= change.since) break;
      if (Date.now() - first >= this.giveUpMs) {
        this.logger.warn(
          { table: event.table, key: event.pk, oldKey: change.from, position: id },
          "primary-key change: the old key's delete was not stored in time; unchanged TOAST columns are synced as null",
        );
        break;
      }
      if (batch.signal.aborted) throw new Error("stopped while a key change waited for its old key's delete");
      if (Date.now() >= deadline) return false;
      await batch.heartbeat();
      await new Promise((r) => setTimeout(r, 100));
    }
    this.since.delete(id);
    return true;
  }
}
