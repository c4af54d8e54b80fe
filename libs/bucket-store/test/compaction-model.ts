// What compaction tests compare against: op builders, a bucket's checksum and count at a
// checkpoint, and a client that keeps a bucket exactly as protocol.md section 3.2 describes
// (per row key the op holding it, and add_checksum for every op no longer held).
import type { BucketOp } from '@syncline/protocol';
import { addChecksums } from '@syncline/protocol';
import {
  applyCompaction,
  compactionRead,
  memberOf,
  planCompaction,
  planCompactionWindow,
  positionOf,
  type CompactableOp,
  type CompactionCursor,
  type CompactionPlan,
  type CompactionRead,
  type CompactionWindow,
} from '../src';

export const BUCKET = 'global[]';

export function put(opId: bigint, objectId: string, data: string, checksum: number, subkey = 's'): BucketOp {
  return { bucket: BUCKET, op: 'PUT', opId, objectType: 'todos', objectId, subkey, data, checksum };
}

export function remove(opId: bigint, objectId: string, checksum: number, subkey = 's'): BucketOp {
  return { bucket: BUCKET, op: 'REMOVE', opId, objectType: 'todos', objectId, subkey, data: null, checksum };
}

/** The bucket checksum a checkpoint carries: the wrapping sum of every op at or below it. */
export function checksumAt(ops: readonly CompactableOp[], checkpoint: bigint): number {
  return ops.filter((op) => op.opId <= checkpoint).reduce((sum, op) => addChecksums(sum, op.checksum), 0);
}

/** The count a checkpoint carries: ops of the original history at or below it (a CLEAR: its count). */
export function countAt(ops: readonly CompactableOp[], checkpoint: bigint): number {
  return ops
    .filter((op) => op.opId <= checkpoint)
    .reduce((n, op) => n + (op.op === 'CLEAR' ? op.count : 1), 0);
}

/** Ops the store keeps at or below a checkpoint (what a CLEAR saves). */
export function storedAt(ops: readonly CompactableOp[], checkpoint: bigint): number {
  return ops.filter((op) => op.opId <= checkpoint).length;
}

/** A client's copy of one bucket (protocol.md 3.2): rows by row key, and the two sums. */
export class ClientBucket {
  /** `type/id/subkey` -> the PUT holding the row. */
  readonly held = new Map<string, { readonly data: string; readonly checksum: number }>();
  addChecksum = 0;

  apply(ops: readonly CompactableOp[]): this {
    for (const op of ops) this.applyOne(op);
    return this;
  }

  private applyOne(op: CompactableOp): void {
    switch (op.op) {
      case 'PUT':
      case 'REMOVE': {
        const key = `${op.objectType}/${op.objectId}/${op.subkey}`;
        const previous = this.held.get(key);
        if (previous !== undefined) this.addChecksum = addChecksums(this.addChecksum, previous.checksum);
        this.held.delete(key);
        if (op.op === 'PUT') this.held.set(key, { data: op.data ?? '', checksum: op.checksum });
        else this.addChecksum = addChecksums(this.addChecksum, op.checksum);
        return;
      }
      case 'MOVE':
        this.addChecksum = addChecksums(this.addChecksum, op.checksum);
        return;
      case 'CLEAR':
        this.held.clear();
        this.addChecksum = op.checksum >>> 0;
        return;
    }
  }

  /** What the client validates against the checkpoint's checksum. */
  checksum(): number {
    let sum = this.addChecksum;
    for (const row of this.held.values()) sum = addChecksums(sum, row.checksum);
    return sum;
  }

  rows(): Record<string, string> {
    return Object.fromEntries([...this.held].map(([key, row]) => [key, row.data]).sort());
  }
}

export interface CompactionRun {
  readonly ops: CompactableOp[];
  readonly plans: CompactionPlan[];
}

/** Runs steps of at most `limit` ops, applying each plan, until the walk at `safeOpId` is done. */
export function compactFully(ops: readonly CompactableOp[], safeOpId: bigint, limit: number): CompactionRun {
  let current = [...ops];
  let cursor: CompactionCursor | undefined;
  const plans: CompactionPlan[] = [];
  for (let step = 0; step <= 4 * ops.length + 4; step++) {
    const plan = planCompaction(current, { safeOpId, limit }, cursor);
    plans.push(plan);
    current = applyCompaction(current, plan);
    if (plan.next === null) return { ops: current, plans };
    cursor = plan.next;
  }
  throw new Error(`compaction at limit ${limit} did not finish in ${4 * ops.length + 4} steps`);
}

const memberOfOp = (op: CompactableOp): string => memberOf(positionOf(op));

/** Consecutive ops grouped by the store member holding them (a pack's MOVEs share one). */
export function membersOf(ops: readonly CompactableOp[]): CompactableOp[][] {
  const members: CompactableOp[][] = [];
  for (const op of ops) {
    const last = members[members.length - 1];
    if (last !== undefined && memberOfOp(last[0]!) === memberOfOp(op)) last.push(op);
    else members.push([op]);
  }
  return members;
}

/**
 * What a store returns for a read (the Redis compactor's windows, done on an array): `count`
 * members, a pack being one; a pack sorts at its last MOVE's op id.
 */
export function readWindow(ops: readonly CompactableOp[], read: CompactionRead): CompactionWindow {
  const members = membersOf(ops);
  const top = (m: CompactableOp[]): CompactableOp => m[m.length - 1]!;
  if (read.from === 'head') {
    const window = members.filter((m) => top(m).opId <= read.upTo).slice(0, read.count);
    return { ops: window.flat(), atHead: true, atEnd: window.length < read.count };
  }
  const below = read.below;
  const candidates =
    below === null
      ? members.filter((m) => top(m).opId <= read.upTo)
      : members.filter((m) => memberOfOp(m[0]!) < memberOf(below));
  const window = candidates.slice(Math.max(0, candidates.length - read.count));
  return { ops: window.flat(), atHead: window.length < read.count, atEnd: below === null };
}

export { servedForm as semantic } from '@syncline/test-kit';

export interface WindowedRun extends CompactionRun {
  /** The members each step read (a pack is one). */
  readonly reads: number[];
}

/** Like compactFully, but every step plans from the window compactionRead names, never the bucket. */
export function compactInWindows(
  ops: readonly CompactableOp[],
  safeOpId: bigint,
  limit: number,
): WindowedRun {
  let current = [...ops];
  let cursor: CompactionCursor | undefined;
  const plans: CompactionPlan[] = [];
  const reads: number[] = [];
  for (let step = 0; step <= 4 * ops.length + 8; step++) {
    const window = readWindow(current, compactionRead({ safeOpId, limit }, cursor));
    reads.push(membersOf(window.ops).length);
    const plan = planCompactionWindow(window, { safeOpId, limit }, cursor);
    plans.push(plan);
    current = applyCompaction(current, plan);
    if (plan.next === null) return { ops: current, plans, reads };
    cursor = plan.next;
  }
  throw new Error(`windowed compaction at limit ${limit} did not finish in ${4 * ops.length + 8} steps`);
}
