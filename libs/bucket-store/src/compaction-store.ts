// Executes compaction plans on a bucket in Redis (docs/consistency.md 2.6): reads the ops a plan
// is made from, and applies a plan with one atomic script per step (COMPACT_STEP), so a crash
// (kill -9) leaves a step applied or not, and running a step again changes nothing. It decides
// nothing: the safe op id and the steps come from the caller (the worker: not built yet).
import { encodeOpIdMember, formatOpId } from '@syncline/protocol';
import {
  CompactionPlanError,
  type CompactableOp,
  type CompactionPlan,
  type StoredClear,
  type StoredMove,
} from './compaction-plan';
import { opMember, opOfBody, type StoredBody } from './encoding';
import { StoreKeys } from './keys';
import { withScripts, type StoreConnection, type StoreRedis } from './redis';

export class RedisBucketCompactor {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;

  constructor(redis: StoreConnection, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
  }

  /** The bucket's ops at or below `upTo`, in member order, in the form the planner reads. */
  async opsUpTo(bucket: string, upTo: bigint): Promise<CompactableOp[]> {
    const k = this.keys.bucket(bucket);
    const members = await this.redis.zrangebylex(k.ops, '-', `(${encodeOpIdMember(upTo + 1n)}`);
    if (members.length === 0) return [];
    const bodies = await this.redis.hmget(k.body, ...members);
    return members.flatMap((member, i) => {
      const body = bodies[i];
      return body == null ? [] : [decodeCompactableBody(bucket, member, body)];
    });
  }

  /**
   * Applies one step's plan: the MOVE bodies written (not those of ops the CLEAR replaces) and
   * the members deleted. A plan that no longer fits the bucket throws CompactionPlanError.
   */
  async apply(bucket: string, plan: CompactionPlan): Promise<{ moved: number; deleted: number }> {
    if (plan.moves.length === 0 && plan.clear === null) return { moved: 0, deleted: 0 };
    const k = this.keys.bucket(bucket);
    const argv: string[] = [String(plan.moves.length)];
    for (const m of plan.moves)
      argv.push(opMember(m.opId, m.rowKey), encodeCompactedBody({ op: 'MOVE', ...m }));
    const clear = plan.clear;
    if (clear === null) argv.push('', '');
    else
      argv.push(
        opMember(clear.opId, clear.rowKey),
        encodeCompactedBody({ op: 'CLEAR', ...clear }),
        ...clear.replaces.map((r) => opMember(r.opId, r.rowKey)),
      );
    const result = await this.redis.slCompactStep(k.ops, k.body, ...argv);
    if (result === 'stale')
      throw new CompactionPlanError(
        `the compaction step no longer fits bucket ${bucket} (another compactor changed it?): nothing applied`,
      );
    return { moved: Number(result[0]), deleted: Number(result[1]) };
  }
}

/**
 * The stored body of a compacted op, part of the storage layout like encoding.ts's bodies:
 * `{op, op_id, checksum, target}` and a CLEAR's `count` (the ops of the original history it
 * stands for). No row: the wire forms carry none either.
 */
export function encodeCompactedBody(op: StoredMove | StoredClear): string {
  const head = `{"op":"${op.op}","op_id":"${formatOpId(op.opId)}","checksum":${op.checksum >>> 0}`;
  const count = op.op === 'CLEAR' ? `,"count":${op.count}` : '';
  return `${head}${count},"target":"${formatOpId(op.target)}"}`;
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
