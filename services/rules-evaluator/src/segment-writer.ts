// Applies plans in the crash-safe order (docs/consistency.md section 2.4): (1) bucket ops in
// Redis, (2) the bucket topic, (3) parameter lookups, (4) row states, (5) the transactions'
// write checkpoints; the caller then counts the events and commits. A crash anywhere leaves a
// state that replaying the same records completes: ops are added once per op id, a row state
// is only written after its ops, and a row whose state is written is skipped on replay.
import type { LookupWrite, RowStateWrite, TruncatedRow } from '@syncline/bucket-store';
import type { BucketOp } from '@syncline/protocol';
import { DELETED_ROW } from './op-planner';
import type { BucketOpSink, LookupStore, OpStore, ProcessorCoordination, RowStore } from './ports';
import { rowKey, type StoredRow } from './row-state-cache';
import type { RowPlanner, SegmentPlan } from './segment-planner';

export interface WriterPorts {
  readonly store: OpStore & LookupStore & RowStore;
  /** Null: Redis only (no bucket topic). */
  readonly sink: BucketOpSink | null;
  readonly coordination: Pick<ProcessorCoordination, 'recordTransactionWriteCheckpoints'>;
}

export const TOMBSTONE = JSON.stringify(DELETED_ROW);

/** Writes a segment's plan; returns the ops written (refused rows' removals included). */
export async function applySegment(
  plan: SegmentPlan,
  ports: WriterPorts,
  planner: RowPlanner,
): Promise<number> {
  const { store, sink, coordination } = ports;
  await store.addOps(plan.ops);
  if (sink !== null) await sink.write(plan.ops.map((op, i) => ({ ...op, sourceLsn: plan.lsns[i]! })));
  await store.writeLookups(plan.lookups);
  const { truncated } = await store.putRows([...plan.rows.values()]);
  let removed = 0;
  if (truncated.length > 0) removed = await removeTruncatedRows(truncated, plan.states, ports, planner);
  if (plan.writeCheckpoints.size > 0)
    await coordination.recordTransactionWriteCheckpoints(plan.writeCheckpoints);
  return plan.ops.length + removed;
}

/** Removal ops (Redis, then the bucket topic) and lookup removals: the first half of a removal. */
export async function writeRemovals(
  ops: readonly BucketOp[],
  lookups: readonly LookupWrite[],
  lsn: bigint | null,
  ports: Pick<WriterPorts, 'store' | 'sink'>,
): Promise<void> {
  await ports.store.addOps(ops);
  if (ports.sink !== null) await ports.sink.write(ops.map((op) => ({ ...op, sourceLsn: lsn })));
  await ports.store.writeLookups(lookups);
}

/**
 * Rows whose state putRows refused: a TRUNCATE later in commit order (same transaction, other
 * partition) scanned the table before they were stored. They are removed as of that truncate,
 * REMOVE ops first and the tombstone last, exactly as the truncate would have done. `states` is
 * updated to the tombstones.
 */
export async function removeTruncatedRows(
  refused: readonly TruncatedRow[],
  states: Map<string, StoredRow | null>,
  ports: Pick<WriterPorts, 'store' | 'sink'>,
  planner: RowPlanner,
): Promise<number> {
  const ops: BucketOp[] = [];
  const lookups: LookupWrite[] = [];
  const tombstones: RowStateWrite[] = [];
  for (const r of refused) {
    const key = rowKey(r.table, r.pk);
    const removal = planner.removal(r.table, r.pk, r.truncateOpId, states.get(key)?.state ?? null);
    ops.push(...removal.ops);
    lookups.push(...removal.lookups);
    tombstones.push({ table: r.table, pk: r.pk, opId: r.truncateOpId, state: TOMBSTONE });
    states.set(key, { opId: r.truncateOpId, state: DELETED_ROW });
  }
  await writeRemovals(ops, lookups, null, ports);
  await ports.store.putRows(tombstones);
  return ops.length;
}
