// Trims the evaluator's bookkeeping as it becomes unreachable (docs/consistency.md §2.6, "Bounded
// bookkeeping"): parameter-lookup versions and row-state tombstones at or below a horizon, and the
// per-transaction counts, `seen` bitmaps and write-checkpoint lists of transactions a checkpoint
// covers. Run by one instance (the leader); every call is bounded by `limit` entries read and
// returns a cursor to resume from (null: the pass is complete). Lookups and row shards have no
// registry: they are found by SCAN of the prefix (no cost on the write path, nothing to trim).
import { encodeOpIdMember } from '@syncline/protocol';
import { KeyScan, type KeyScanCursor } from './key-scan';
import { StoreKeys } from './keys';
import { planLookupChunk, startLookupWalk, type LookupWalk } from './lookup-trim-plan';
import { withScripts, type StoreConnection, type StoreRedis } from './redis';
import { tombstonesAtOrBelow } from './row-tombstones';
import { CommandBatch } from './slot-batch';

/** What one bounded call did, and where the next one resumes (null: the pass is complete). */
export interface TrimProgress<C> {
  /** Entries (lookup versions, shard fields, keys) read. */
  readonly examined: number;
  /** Entries deleted. */
  readonly deleted: number;
  readonly cursor: C | null;
}

export interface LookupTrimCursor {
  readonly keys: KeyScanCursor | null;
  /** The lookup whose walk is under way, and the horizon it started at. */
  readonly lookup: {
    readonly index: string;
    readonly values: string;
    readonly horizon: bigint;
    readonly walk: LookupWalk;
  } | null;
}

export interface TombstoneTrimCursor {
  readonly keys: KeyScanCursor | null;
  readonly shard: { readonly key: string; readonly scan: string } | null;
}

export interface CheckpointedTrimCursor {
  readonly keys: KeyScanCursor | null;
}

/** Members or fields read per round trip, at most. */
const CHUNK = 500;
/** Null versions deleted per script call. */
const NULLS_PER_CALL = 500;

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`a trim's limit must be a positive integer, got ${limit}`);
}

export class RedisBookkeepingTrimmer {
  private readonly keys: StoreKeys;
  private readonly redis: StoreRedis;
  private readonly lookupScan: KeyScan;
  private readonly shardScan: KeyScan;
  private readonly checkpointedScan: KeyScan;

  constructor(redis: StoreConnection, prefix: string) {
    this.keys = new StoreKeys(prefix);
    this.redis = withScripts(redis);
    // Prefixes match [A-Za-z0-9_.:-]+ (keys.ts): no glob characters. Shards end in `}`, their
    // truncate markers in `:truncated`.
    this.lookupScan = new KeyScan(redis, [`${prefix}:{pl:*}:idx`]);
    this.shardScan = new KeyScan(redis, [`${prefix}:{rs:*}`]);
    this.checkpointedScan = new KeyScan(redis, [`${prefix}:{cp}:seen:*`, `${prefix}:txwc:*`]);
  }

  /**
   * Drops parameter-lookup versions at or below `horizon` that no lookupAt(c), c >= horizon, reads:
   * per source row every version but the newest at or below it, and that one when it is `null`.
   * A lookup whose walk is under way finishes at the horizon it started at (its drops hold for
   * every higher one); a lower horizon than that walks it again.
   */
  async trimLookups(
    horizon: bigint,
    cursor: LookupTrimCursor | null,
    limit: number,
  ): Promise<TrimProgress<LookupTrimCursor>> {
    checkLimit(limit);
    let { keys, lookup } = cursor ?? { keys: null, lookup: null };
    // A walk's drops hold for every horizon at or above the one it started at, not below: a
    // lower horizon (a new history) walks that lookup again.
    if (lookup !== null && horizon < lookup.horizon) lookup = { ...lookup, horizon, walk: startLookupWalk() };
    let examined = 0;
    let deleted = 0;
    while (examined < limit) {
      if (lookup === null) {
        const next = await this.lookupScan.next(keys);
        if (next === null) return { examined, deleted, cursor: null };
        keys = next.cursor;
        const base = next.key.slice(0, -':idx'.length);
        lookup = { index: next.key, values: `${base}:val`, horizon, walk: startLookupWalk() };
      }
      const count = Math.max(1, Math.min(CHUNK, limit - examined));
      const top = `(${encodeOpIdMember(lookup.horizon + 1n)}`;
      const step = await this.lookupChunk(lookup, top, count);
      examined += step.read;
      deleted += step.deleted;
      lookup = step.walk === null ? null : { ...lookup, walk: step.walk };
    }
    return { examined, deleted, cursor: { keys, lookup } };
  }

  /** One chunk of one lookup's walk from the horizon down; `walk` null once the walk is over. */
  private async lookupChunk(
    lookup: NonNullable<LookupTrimCursor['lookup']>,
    top: string,
    count: number,
  ): Promise<{ read: number; deleted: number; walk: LookupWalk | null }> {
    const max = lookup.walk.below === null ? top : `(${lookup.walk.below}`;
    const members = await this.redis.zrevrangebylex(lookup.index, max, '-', 'LIMIT', 0, count);
    const values = members.length === 0 ? [] : await this.redis.hmget(lookup.values, ...members);
    const chunk = members.map((member, i) => ({ member, value: values[i] ?? null }));
    const { drops, walk } = planLookupChunk(lookup.walk, chunk);
    const over = members.length < count;
    let deleted = 0;
    if (drops.length > 0) {
      const pairs = drops.flatMap((d) => [d.member, d.keeper]);
      deleted += await this.redis.slTrimLookup(lookup.index, lookup.values, String(drops.length), ...pairs);
    }
    // A newest `null` goes only once every older version of its row is gone: at the walk's end.
    if (over)
      for (let i = 0; i < walk.nulls.length; i += NULLS_PER_CALL) {
        const nulls = walk.nulls.slice(i, i + NULLS_PER_CALL);
        deleted += await this.redis.slTrimLookup(lookup.index, lookup.values, '0', ...nulls);
      }
    return { read: members.length, deleted, walk: over ? null : walk };
  }

  /** Deletes row-state tombstones written at or below `horizon`, each only while unchanged. */
  async trimTombstones(
    horizon: bigint,
    cursor: TombstoneTrimCursor | null,
    limit: number,
  ): Promise<TrimProgress<TombstoneTrimCursor>> {
    checkLimit(limit);
    const horizon16 = encodeOpIdMember(horizon);
    let { keys, shard } = cursor ?? { keys: null, shard: null };
    let examined = 0;
    let deleted = 0;
    while (examined < limit) {
      if (shard === null) {
        const next = await this.shardScan.next(keys);
        if (next === null) return { examined, deleted, cursor: null };
        keys = next.cursor;
        shard = { key: next.key, scan: '0' };
      }
      const count = Math.max(1, Math.min(CHUNK, limit - examined));
      const [scan, flat] = await this.redis.hscan(shard.key, shard.scan, 'COUNT', count);
      const fields: Array<readonly [string, string]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) fields.push([flat[i]!, flat[i + 1]!]);
      // An empty page still costs a round trip: count it, so a call always ends.
      examined += Math.max(1, fields.length);
      const gone = tombstonesAtOrBelow(fields, horizon16);
      if (gone.length > 0) deleted += await this.redis.slTrimTombstones(shard.key, ...gone.flat());
      shard = scan === '0' ? null : { key: shard.key, scan };
    }
    return { examined, deleted, cursor: { keys, shard } };
  }

  /**
   * Deletes what only transactions not yet covered need, for the transactions the checkpoint whose
   * last END is at `endOffset` covers: their processed counts and `seen` bitmaps (COUNT_EVENTS
   * never counts a covered transaction again) and their write-checkpoint lists (read only before
   * the checkpoint that covers them is published; a replay may write one again: it expires).
   */
  async trimCheckpointed(
    endOffset: bigint,
    cursor: CheckpointedTrimCursor | null,
    limit: number,
  ): Promise<TrimProgress<CheckpointedTrimCursor>> {
    checkLimit(limit);
    let examined = 0;
    let deleted = 0;
    if (cursor === null) ({ examined, deleted } = await this.trimCounts(endOffset));
    let keys = cursor?.keys ?? null;
    let over = false;
    const batch: string[] = [];
    while (examined < limit) {
      const next = await this.checkpointedScan.next(keys);
      if (next === null) {
        over = true;
        break;
      }
      keys = next.cursor;
      examined++;
      const offset = next.key.slice(next.key.lastIndexOf(':') + 1);
      if (/^-?[0-9]+$/.test(offset) && BigInt(offset) <= endOffset) batch.push(next.key);
    }
    deleted += await this.unlinkEach(batch);
    return { examined, deleted, cursor: over ? null : { keys } };
  }

  /** Counts of transactions at or below `endOffset` (the hash holds only the pending ones, and leaks). */
  private async trimCounts(endOffset: bigint): Promise<{ examined: number; deleted: number }> {
    let scan = '0';
    let examined = 0;
    let deleted = 0;
    do {
      const [next, flat] = await this.redis.hscan(this.keys.counts, scan, 'COUNT', CHUNK);
      scan = next;
      const fields = flat.filter((_, i) => i % 2 === 0);
      examined += fields.length;
      const gone = fields.filter((f) => /^-?[0-9]+$/.test(f) && BigInt(f) <= endOffset);
      if (gone.length > 0) deleted += await this.redis.hdel(this.keys.counts, ...gone);
    } while (scan !== '0');
    return { examined, deleted };
  }

  /** One UNLINK per key (they may lie in different slots). */
  private async unlinkEach(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const batch = new CommandBatch(this.redis);
    for (const key of keys) batch.add(key, (p) => p.unlink(key));
    return (await batch.exec()).reduce((n: number, r) => n + Number(r), 0);
  }
}
