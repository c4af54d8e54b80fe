// Reads a range of a bucket's members with their ops at one instant (script READ_OPS). Members
// and bodies read with two commands could straddle a compaction step: a pack or a CLEAR written
// between them removes members already read, and their ops would be lost from the read (a
// download one checksum short; the fault tests' bank checker saw it). Shared by the reader (pages
// for clients) and the compactor (the window a step is planned from).
import { SynclineError } from '@syncline/errors';
import type { CompactableOp, StoredMove } from './compaction-plan';
import { packedMoves } from './compaction-packs';
import { decodePackMember, isPackMember, opOfBody, type StoredBody } from './encoding';
import type { StoreRedis } from './redis';

/** A range of members in member order (`ZRANGEBYLEX`) or reverse (`ZREVRANGEBYLEX`). */
export interface MemberRange {
  readonly reverse: boolean;
  /** Lex bounds as the command takes them: the lower first forward, the upper first reversed. */
  readonly from: string;
  readonly to: string;
  /** At most this many members; -1: all. */
  readonly count: number;
}

/** One member read and the ops it holds (a pack: its MOVEs; any other member: one op). */
export interface MemberOps {
  readonly member: string;
  readonly ops: readonly CompactableOp[];
}

/** A member without its body inside one atomic read: the bucket's two keys disagree. */
export class BucketStoreInconsistentError extends SynclineError {
  override readonly name = 'BucketStoreInconsistentError';
  readonly code = 'SYNC_E410';
}

/** The members of `range` with their ops, in the order read; one script, one slot. */
export async function readBucketRange(
  redis: StoreRedis,
  keys: { readonly ops: string; readonly body: string },
  bucket: string,
  range: MemberRange,
): Promise<MemberOps[]> {
  const flat = await redis.slReadOps(
    keys.ops,
    keys.body,
    range.reverse ? 'ZREVRANGEBYLEX' : 'ZRANGEBYLEX',
    range.from,
    range.to,
    String(range.count),
  );
  const out: MemberOps[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const member = flat[i]!;
    if (isPackMember(member)) {
      out.push({ member, ops: unpack(member) });
      continue;
    }
    const body = flat[i + 1]!;
    if (body === '')
      throw new BucketStoreInconsistentError(
        `bucket ${JSON.stringify(bucket)}: member ${JSON.stringify(member)} has no body (${keys.body})`,
      );
    out.push({ member, ops: [decodeCompactableBody(bucket, member, body)] });
  }
  return out;
}

/** Every op of `read`, in order. */
export function opsOf(read: readonly MemberOps[]): CompactableOp[] {
  return read.flatMap((m) => m.ops);
}

/** The MOVEs a pack member holds. */
function unpack(member: string): StoredMove[] {
  const { moves, target } = decodePackMember(member);
  return packedMoves(member, moves, target);
}

interface CompactedBody {
  readonly op: string;
  readonly op_id: string;
  readonly checksum: number;
  readonly count?: number;
  readonly target?: string;
}

/** A stored body of any kind as the planner reads it; `member` gives a MOVE or CLEAR its row key. */
export function decodeCompactableBody(bucket: string, member: string, body: string): CompactableOp {
  const parsed = JSON.parse(body) as StoredBody | CompactedBody;
  if (parsed.op !== 'MOVE' && parsed.op !== 'CLEAR') return opOfBody(bucket, parsed as StoredBody);
  const b = parsed as CompactedBody;
  const opId = BigInt(b.op_id);
  const base = {
    opId,
    rowKey: member.slice(17),
    checksum: b.checksum >>> 0,
    target: BigInt(b.target ?? opId),
  };
  return b.op === 'MOVE' ? { op: 'MOVE', ...base } : { op: 'CLEAR', ...base, count: b.count ?? 1 };
}
