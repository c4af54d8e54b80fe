// Executes compaction plans on a bucket in Redis (docs/consistency.md 2.6): lists the buckets and
// what changed in them, reads the bounded window a step is planned from, and applies a plan with
// one atomic script per step (COMPACT_STEP), so a crash (kill -9) leaves a step applied or not,
// and running a step again changes nothing. It decides nothing: the safe op id and the steps come
// from the caller (the evaluator leader's compaction worker).
import { decodeOpIdMember, encodeOpIdMember, formatOpId } from '@syncline/protocol';
import {
  CompactionPlanError,
  type CompactableOp,
  type CompactionPlan,
  type CompactionRead,
  type CompactionWindow,
  type StoredClear,
  type StoredMove,
  memberOf,
} from './compaction-plan';
import { opsOf, readBucketRange } from './bucket-range';
import { opMember } from './encoding';
import { StoreKeys } from './keys';
import { withScripts, type StoreConnection, type StoreRedis } from './redis';
import { CommandBatch } from './slot-batch';

/** One page of the bucket registry; `cursor` '0' when the scan is done. */
export interface BucketPage {
  readonly cursor: string;
  readonly buckets: readonly string[];
}

export class RedisBucketCompactor {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;

  constructor(redis: StoreConnection, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
  }

  /**
   * One page of the registry of buckets (SSCAN from `cursor`, '0' to start). A bucket may come
   * twice in one scan; every bucket present for the whole scan comes at least once.
   */
  async scanBuckets(cursor: string, count: number): Promise<BucketPage> {
    const [next, buckets] = await this.redis.sscan(this.keys.buckets, cursor, 'COUNT', count);
    return { cursor: next, buckets };
  }

  /**
   * Each bucket's count of ops ever added (meta `count`, 0 for none): it changes whenever an op is
   * added and never when one is compacted. One pipeline (per slot on a cluster).
   */
  async opCounts(buckets: readonly string[]): Promise<number[]> {
    const batch = new CommandBatch(this.redis);
    for (const bucket of buckets) {
      const k = this.keys.bucket(bucket);
      batch.add(k.meta, (p) => p.hget(k.meta, 'count'));
    }
    return (await batch.exec()).map((count) => Number(count ?? 0));
  }

  /**
   * The op id of the bucket's first op above `opId` (one a compaction at that safe op id left
   * alone), or null when there is none. One ZRANGEBYLEX of one member.
   */
  async firstOpAbove(bucket: string, opId: bigint): Promise<bigint | null> {
    const k = this.keys.bucket(bucket);
    const from = `[${encodeOpIdMember(opId + 1n)}`;
    const [member] = await this.redis.zrangebylex(k.ops, from, '+', 'LIMIT', 0, 1);
    return member === undefined ? null : decodeOpIdMember(member);
  }

  /** The bucket's ops at or below `upTo`, in member order, in the form the planner reads. */
  async opsUpTo(bucket: string, upTo: bigint): Promise<CompactableOp[]> {
    const k = this.keys.bucket(bucket);
    const range = { reverse: false, from: '-', to: `(${encodeOpIdMember(upTo + 1n)}`, count: -1 };
    return opsOf(await readBucketRange(this.redis, k, bucket, range));
  }

  /**
   * The window a step is planned from (`compactionRead`): at most `read.count` members and their
   * bodies with one script (READ_OPS), whatever the bucket's size.
   */
  async readWindow(bucket: string, read: CompactionRead): Promise<CompactionWindow> {
    const k = this.keys.bucket(bucket);
    const upTo = `(${encodeOpIdMember(read.upTo + 1n)}`;
    if (read.from === 'head') {
      const range = { reverse: false, from: '-', to: upTo, count: read.count };
      const members = await readBucketRange(this.redis, k, bucket, range);
      return { ops: opsOf(members), atHead: true, atEnd: members.length < read.count };
    }
    const below = read.below === null ? upTo : `(${memberOf(read.below)}`;
    const range = { reverse: true, from: below, to: '-', count: read.count };
    const members = await readBucketRange(this.redis, k, bucket, range);
    const ops = opsOf(members.reverse());
    return { ops, atHead: members.length < read.count, atEnd: read.below === null };
  }

  /**
   * Applies one step's plan: the MOVE bodies written (not those of ops the CLEAR replaces), the
   * members deleted by the CLEAR, then the packs (one more atomic script: a crash between the two
   * leaves MOVEs unpacked, which the next pass packs). A plan that no longer fits the bucket
   * throws CompactionPlanError.
   */
  async apply(bucket: string, plan: CompactionPlan): Promise<{ moved: number; deleted: number }> {
    const step = await this.applyStep(bucket, plan);
    const k = this.keys.bucket(bucket);
    const packs = plan.packs ?? [];
    if (packs.length > 0) {
      const argv = packs.flatMap((p) => [p.member, String(p.replaces.length), ...p.replaces]);
      const result = await this.redis.slPackMoves(k.ops, k.body, k.meta, ...argv);
      if (result === 'stale')
        throw new CompactionPlanError(
          `the packs of the compaction step no longer fit bucket ${bucket} (another compactor changed it?)`,
        );
    }
    return step;
  }

  /**
   * Rebuilds the bucket's sorted set and body hash (REBUILD_BUCKET) when `removed`, the members
   * compaction took out of it since its last rebuild, is at least what is left, and what is left
   * is at most `maxMembers`. Returns the members rebuilt (0: not rebuilt).
   */
  async rebuildIfShrunk(bucket: string, removed: number, maxMembers: number): Promise<number> {
    const k = this.keys.bucket(bucket);
    return Number(await this.redis.slRebuildBucket(k.ops, k.body, String(maxMembers), String(removed)));
  }

  /** Members a plan takes out of the bucket: the CLEAR's replaced ones, and packs' net. */
  static membersRemoved(plan: CompactionPlan): number {
    const cleared = plan.clear === null ? 0 : plan.clear.replaces.length - 1;
    return cleared + (plan.packs ?? []).reduce((n, p) => n + p.replaces.length - 1, 0);
  }

  private async applyStep(bucket: string, plan: CompactionPlan): Promise<{ moved: number; deleted: number }> {
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
        ...clear.replaces.map(memberOf),
      );
    const result = await this.redis.slCompactStep(k.ops, k.body, k.meta, ...argv);
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
