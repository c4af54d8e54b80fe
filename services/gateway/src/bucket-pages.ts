// Pages of a bucket's ops for data lines: at most about `pageOps` ops and `pageBytes` bytes, and
// always ending at an op-id boundary. One event can write several ops with the same op id into a
// bucket (a REMOVE and a PUT; the rows of one incremental snapshot window), and a client resuming
// with `after` = the last op id it got would never receive the rest of that op id.
import type { CompactableOp } from '@syncline/bucket-store';

export interface OpSource {
  opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<CompactableOp[]>;
}

export interface Page {
  readonly ops: CompactableOp[];
  /** The op id the next page starts after (the last op id of this one), or null when none is left. */
  readonly next: bigint | null;
  /**
   * -1, or, when a CLEAR above `upTo` replaced the whole range (compaction overtook the
   * checkpoint), that CLEAR's target: no op is sent and the checkpoint must not be completed.
   */
  readonly compactedPast: bigint;
}

/** Ops of one op id read in one go (the rows of an incremental snapshot window share one). */
const SAME_OP_ID_LIMIT = 1_000_000;

export async function readPage(
  source: OpSource,
  bucket: string,
  after: bigint,
  upTo: bigint,
  pageOps: number,
  pageBytes: number,
): Promise<Page> {
  const read = await source.opsBetween(bucket, after, upTo, pageOps);
  if (read.length === 0) return { ops: [], next: null, compactedPast: -1n };
  const first = read[0]!;
  if (first.opId > upTo)
    return { ops: [], next: null, compactedPast: first.op === 'CLEAR' ? first.target : -1n };
  let ops = read;
  if (read.length === pageOps) {
    // The last op id may continue past the limit: leave it to the next page, or, when it is the
    // page's only op id, read all of it.
    const last = read[read.length - 1]!.opId;
    const before = read.filter((o) => o.opId < last);
    ops = before.length > 0 ? before : await source.opsBetween(bucket, last - 1n, last, SAME_OP_ID_LIMIT);
  }
  ops = cutAtBytes(ops, pageBytes);
  const last = ops[ops.length - 1]!.opId;
  const complete = read.length < pageOps && ops.length === read.length;
  return { ops, next: complete || last >= upTo ? null : last, compactedPast: -1n };
}

/** The longest prefix within `limit` bytes that ends at an op-id boundary (at least one op id). */
export function cutAtBytes(ops: CompactableOp[], limit: number): CompactableOp[] {
  let bytes = 0;
  let cut = ops.length;
  for (let i = 0; i < ops.length; i++) {
    bytes += opBytes(ops[i]!);
    if (bytes > limit) {
      cut = i;
      break;
    }
  }
  if (cut === ops.length) return ops;
  // Back to the start of the op id at the cut; keep the whole first op id when it alone is too big.
  let end = cut;
  while (end > 0 && ops[end - 1]!.opId === ops[cut]!.opId) end--;
  if (end === 0) {
    end = 1;
    while (end < ops.length && ops[end]!.opId === ops[0]!.opId) end++;
  }
  return ops.slice(0, end);
}

function opBytes(op: CompactableOp): number {
  if (op.op === 'MOVE' || op.op === 'CLEAR') return 60;
  return 120 + op.bucket.length + op.objectType.length + op.objectId.length + (op.data?.length ?? 0);
}

/**
 * The highest `target` of the MOVE and CLEAR ops among `ops` (-1 when there is none): a download
 * that sent them must not be completed at a checkpoint below it (docs/consistency.md 2.6).
 */
export function highestTarget(ops: readonly CompactableOp[]): bigint {
  let target = -1n;
  for (const op of ops) if ((op.op === 'MOVE' || op.op === 'CLEAR') && op.target > target) target = op.target;
  return target;
}
