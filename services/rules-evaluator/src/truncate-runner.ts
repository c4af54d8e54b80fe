// A TRUNCATE removes every row of its table that a transaction before it wrote. It waits until the
// checkpoint covers the previous transaction (so rows of earlier transactions in other partitions
// are stored; at most BARRIER_WAIT_MS per batch, then the batch is given back and fetched again), raises the table's truncate marker (later-stored older rows are then refused and
// removed by their writer), and scans the table: REMOVE ops first, tombstones last, per chunk.
import type { Checkpoint, LookupWrite } from '@syncline/bucket-store';
import type { BucketOp } from '@syncline/protocol';
import type { RowState } from './op-planner';
import type { TruncateStore } from './ports';
import type { TruncateEvent } from './prepared-event';
import type { RowPlanner } from './segment-planner';
import { TOMBSTONE, writeRemovals, type WriterPorts } from './segment-writer';

const TRUNCATE_CHUNK = 500;

export interface TruncateDeps extends Pick<WriterPorts, 'sink'> {
  readonly store: WriterPorts['store'] & TruncateStore;
  readonly latestCheckpoint: () => Promise<Checkpoint | null>;
  /** Called after each chunk's states change: cached row states may be stale from then on. */
  readonly onRowsChanged: () => void;
}

/**
 * How long a truncate waits for its barrier inside a batch before it gives the batch back: the
 * events its barrier needs may be in other partitions' next fetch, which kafkajs does not issue
 * while this batch runs (a wait without a bound deadlocks under a backlog).
 */
export const BARRIER_WAIT_MS = 2000;

/** Runs one truncate; returns the ops written, or 'not-ready' when its barrier was not met in time. */
export async function runTruncate(
  event: TruncateEvent,
  deps: TruncateDeps,
  planner: RowPlanner,
  heartbeat: () => Promise<void>,
  signal: AbortSignal,
  maxWaitMs = BARRIER_WAIT_MS,
): Promise<number | 'not-ready'> {
  const { store } = deps;
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const cp = await deps.latestCheckpoint();
    if (BigInt(cp?.endOffset ?? '-1') >= event.barrier) break;
    if (signal.aborted) throw new Error('stopped while a truncate waited for the checkpoint');
    if (Date.now() >= deadline) return 'not-ready';
    await heartbeat();
    await new Promise((r) => setTimeout(r, 100));
  }
  // Before the scan: a row of an earlier event of this transaction that another partition stores
  // after the scan passed its shard is then refused by putRows and removed there.
  await store.markTruncate(event.table, event.opId);
  let written = 0;
  for await (const chunk of store.scanTableRows(event.table, TRUNCATE_CHUNK)) {
    const ops: BucketOp[] = [];
    const lookups: LookupWrite[] = [];
    const victims: string[] = [];
    for (const rec of chunk) {
      if (rec.opId >= event.opId) continue;
      const state = JSON.parse(rec.state) as RowState;
      if (state.raw === null) continue;
      victims.push(rec.pk);
      const removal = planner.removal(event.table, rec.pk, event.opId, state);
      ops.push(...removal.ops);
      lookups.push(...removal.lookups);
    }
    await writeRemovals(ops, lookups, event.lsn, deps);
    deps.onRowsChanged();
    await store.truncateRows(event.table, victims, event.opId, TOMBSTONE);
    written += ops.length;
    await heartbeat();
  }
  return written;
}
