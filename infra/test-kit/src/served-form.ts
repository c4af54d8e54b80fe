// A compacted bucket as clients are served it, whatever its storage form: tests compare buckets
// compacted along different paths (steps, windows, stores) by what they mean, not how they are
// stored (a pack's MOVEs share a member and the highest target; a CLEAR after a pack sits at no row).
import type { CompactableOp } from '@syncline/bucket-store';

/** Each op as the wire carries it: MOVE and CLEAR without row key and target. */
export function servedForm(ops: readonly CompactableOp[]): unknown[] {
  return ops.map((op) =>
    op.op === 'MOVE'
      ? { op: op.op, opId: op.opId, checksum: op.checksum }
      : op.op === 'CLEAR'
        ? { op: op.op, opId: op.opId, checksum: op.checksum, count: op.count }
        : op,
  );
}
