// The Redis adapter: bucket ops (exact 64-bit order, idempotent adds, checksum at a checkpoint),
// row state, versioned parameter lookups, processed-event marks, checkpoints and the coordinator
// lease. Layout: docs/consistency.md section 2 and keys.ts.
import type { ChainableCommander, Redis } from 'ioredis';
import { encodeOpIdMember, formatOpId, opIdLexRange, parseOpId } from '@syncline/protocol';
import { rowShardOf, ROW_SHARDS, StoreKeys } from './keys';
import {
  ADD_OPS,
  CHECKSUM_AT,
  COUNT_EVENTS,
  LEASE,
  PUBLISH_CHECKPOINT,
  PUT_ROWS,
  RAISE_MARKER,
  RELEASE,
  TOPIC_INDEX,
  TRUNCATE_ROWS,
} from './scripts';

export type StoredOpKind = 'PUT' | 'REMOVE' | 'MOVE' | 'CLEAR';

/** One op as stored and as sent on the sync stream (op_id as a decimal string). */
export interface StoredOp {
  readonly op: StoredOpKind;
  readonly op_id: string;
  readonly object_type: string | null;
  readonly object_id: string | null;
  readonly subkey: string | null;
  readonly data: string | null;
  /** Unsigned 32-bit. */
  readonly checksum: number;
}

export interface BucketOpWrite {
  readonly bucket: string;
  readonly op: 'PUT' | 'REMOVE';
  readonly opId: bigint;
  readonly objectType: string;
  readonly objectId: string;
  readonly subkey: string;
  readonly data: string | null;
  readonly checksum: number;
}

export interface BucketChecksum {
  readonly bucket: string;
  /** Unsigned 32-bit wrapping sum of the ops with op_id <= the checkpoint. */
  readonly checksum: number;
  readonly count: number;
}

export interface Checkpoint {
  readonly lastOpId: string;
  /** Transaction-topic offset of the END record of the last transaction included (-1: snapshot only). */
  readonly endOffset: string;
  /** Commit LSN (END id) of that transaction, decimal; null for a snapshot-only checkpoint. */
  readonly lsn: string | null;
  /** Source commit time (ms) of that transaction. */
  readonly commitTimeMs: number | null;
  /** When the checkpoint was published (ms). */
  readonly publishedAtMs: number;
  readonly writeCheckpoints: readonly WriteCheckpoint[];
}

export interface WriteCheckpoint {
  readonly userId: string;
  readonly clientId: string;
  readonly n: string;
}

/** A parameter lookup entry as of an op: `parameters` null means the row no longer matches. */
export interface LookupWrite {
  readonly lookupKey: string;
  readonly rowKey: string;
  readonly opId: bigint;
  /** JSON array of parameter rows, or null. */
  readonly parameters: string | null;
}

export interface RowStateRecord {
  readonly opId: bigint;
  readonly state: string;
}

/** A row state to write: only applied when the stored one is older than `opId`. */
export interface RowStateWrite {
  readonly table: string;
  /** Primary key (its JSON text). */
  readonly pk: string;
  readonly opId: bigint;
  readonly state: string;
}

/** Outcome of putRows: rows written, and rows refused because a later truncate already ran. */
export interface PutRowsOutcome {
  readonly written: number;
  /** Rows whose state is older than the table's truncate marker, with that truncate's op id. */
  readonly truncated: ReadonlyArray<{
    readonly table: string;
    readonly pk: string;
    readonly truncateOpId: bigint;
  }>;
}

/** Outcome of countEvents: applied, or the partition's progress moved (another writer). */
export type CountOutcome =
  { readonly applied: true } | { readonly applied: false; readonly progress: bigint | null };

/** Keys that bucket-store scripts are registered under on the ioredis client. */
interface StoreCommands {
  slAddOps(ops: string, body: string, meta: string, ...argv: string[]): Promise<number>;
  slChecksumAt(ops: string, body: string, meta: string, min: string): Promise<[string, number]>;
  slPutRows(shard: string, marker: string, ...argv: string[]): Promise<Array<string | number>>;
  slRaiseMarker(marker: string, member: string): Promise<number>;
  slTruncateRows(shard: string, member: string, tombstone: string, ...pks: string[]): Promise<string[]>;
  slCountEvents(
    progress: string,
    counts: string,
    streaming: string,
    ...argv: string[]
  ): Promise<[number, string?]>;
  slTopicIndex(map: string, next: string, topic: string): Promise<number>;
  slLease(lease: string, owner: string, ttl: string): Promise<number>;
  slRelease(lease: string, owner: string): Promise<number>;
  slPublishCheckpoint(
    lease: string,
    checkpoint: string,
    owner: string,
    member: string,
    json: string,
    channel: string,
  ): Promise<number>;
}

type StoreRedis = Redis & StoreCommands;
type StorePipeline = ChainableCommander & {
  [K in keyof StoreCommands]: (...args: string[]) => StorePipeline;
};

const SCRIPTS: Record<keyof StoreCommands, { lua: string; keys: number }> = {
  slAddOps: { lua: ADD_OPS, keys: 3 },
  slChecksumAt: { lua: CHECKSUM_AT, keys: 3 },
  slPutRows: { lua: PUT_ROWS, keys: 2 },
  slRaiseMarker: { lua: RAISE_MARKER, keys: 1 },
  slTruncateRows: { lua: TRUNCATE_ROWS, keys: 1 },
  slCountEvents: { lua: COUNT_EVENTS, keys: 3 },
  slTopicIndex: { lua: TOPIC_INDEX, keys: 2 },
  slLease: { lua: LEASE, keys: 1 },
  slRelease: { lua: RELEASE, keys: 1 },
  slPublishCheckpoint: { lua: PUBLISH_CHECKPOINT, keys: 2 },
};

const TX_WRITE_CHECKPOINTS_TTL_SECONDS = 7 * 24 * 3600;

/** The op member: 16 hex digits of the op id, then `|<rowKey>` so two ops of one event stay apart. */
export function opMember(opId: bigint, rowKey: string): string {
  return `${encodeOpIdMember(opId)}|${rowKey}`;
}

export function rowKeyOf(objectType: string, objectId: string, subkey: string): string {
  return `${objectType}/${objectId}/${subkey}`;
}

export class BucketStore {
  readonly keys: StoreKeys;
  private readonly redis: StoreRedis;

  constructor(redis: Redis, prefix: string) {
    this.keys = new StoreKeys(prefix);
    for (const [name, { lua, keys }] of Object.entries(SCRIPTS)) {
      if (!(name in redis)) redis.defineCommand(name, { lua, numberOfKeys: keys });
    }
    this.redis = redis as StoreRedis;
  }

  get client(): Redis {
    return this.redis;
  }

  // ---- bucket ops ---------------------------------------------------------------------------

  /** Adds ops (any buckets) idempotently; one script call per bucket, pipelined. Returns ops added. */
  async addOps(ops: readonly BucketOpWrite[]): Promise<number> {
    if (ops.length === 0) return 0;
    const byBucket = new Map<string, string[]>();
    // Ops of one event share an op id: format it once. The body is the JSON of StoredOp with
    // its keys in this fixed order (the same bytes JSON.stringify would give), built directly.
    let lastOpId: bigint | undefined;
    let opIdText = '';
    let memberPrefix = '';
    for (const op of ops) {
      let argv = byBucket.get(op.bucket);
      if (argv === undefined) byBucket.set(op.bucket, (argv = [op.bucket]));
      if (op.opId !== lastOpId) {
        lastOpId = op.opId;
        opIdText = formatOpId(op.opId);
        memberPrefix = `${encodeOpIdMember(op.opId)}|`;
      }
      const checksum = op.checksum >>> 0;
      const body =
        `{"op":"${op.op}","op_id":"${opIdText}","object_type":${JSON.stringify(op.objectType)},` +
        `"object_id":${JSON.stringify(op.objectId)},"subkey":${JSON.stringify(op.subkey)},` +
        `"data":${op.data === null ? 'null' : JSON.stringify(op.data)},"checksum":${checksum}}`;
      argv.push(memberPrefix + rowKeyOf(op.objectType, op.objectId, op.subkey), String(checksum), body);
    }
    const pipeline = this.redis.pipeline() as StorePipeline;
    for (const [bucket, argv] of byBucket) {
      const k = this.keys.bucket(bucket);
      pipeline.slAddOps(k.ops, k.body, k.meta, ...argv);
    }
    pipeline.sadd(this.keys.buckets, ...byBucket.keys());
    const results = await execOrThrow(pipeline);
    return results.slice(0, byBucket.size).reduce((n: number, r) => n + Number(r), 0);
  }

  /** Ops with after < op_id <= upTo, in op-id order. */
  async opsBetween(bucket: string, after: bigint, upTo: bigint, limit = 10_000): Promise<StoredOp[]> {
    const k = this.keys.bucket(bucket);
    const { min, max } = opIdLexRange(after, upTo);
    const members = await this.redis.zrangebylex(k.ops, min, max, 'LIMIT', 0, limit);
    if (members.length === 0) return [];
    const bodies = await this.redis.hmget(k.body, ...members);
    return bodies.filter((b): b is string => b !== null).map((b) => JSON.parse(b) as StoredOp);
  }

  /** Checksum and count of each bucket at `checkpoint` (running totals minus in-flight ops). */
  async checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]> {
    const pipeline = this.redis.pipeline() as StorePipeline;
    const min = `[${encodeOpIdMember(checkpoint + 1n)}`;
    for (const bucket of buckets) {
      const k = this.keys.bucket(bucket);
      pipeline.slChecksumAt(k.ops, k.body, k.meta, min);
    }
    const results = (await execOrThrow(pipeline)) as [string, number][];
    return results.map(([checksum, count], i) => ({
      bucket: buckets[i]!,
      checksum: Number(checksum) >>> 0,
      count: Number(count),
    }));
  }

  /** Every bucket that has ever received an op. */
  async bucketNames(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.buckets)).sort();
  }

  // ---- row state ----------------------------------------------------------------------------

  /** Stored states of rows (null: never stored), in the order asked. One HMGET per shard. */
  async getRows(rows: readonly { table: string; pk: string }[]): Promise<(RowStateRecord | null)[]> {
    if (rows.length === 0) return [];
    const shards = groupByShard(rows);
    const pipeline = this.redis.pipeline();
    for (const g of shards) pipeline.hmget(this.keys.rowShard(g.table, g.shard), ...g.items.map((r) => r.pk));
    const results = (await execOrThrow(pipeline)) as (string | null)[][];
    const byRow = new Map<string, string | null>();
    shards.forEach((g, i) =>
      g.items.forEach((r, j) => byRow.set(`${g.table}\u0000${r.pk}`, results[i]![j] ?? null)),
    );
    return rows.map((r) => parseRowValue(byRow.get(`${r.table}\u0000${r.pk}`) ?? null));
  }

  /**
   * Writes row states, each only over an older one; one script call per shard. A state older than
   * the table's latest truncate that has already scanned the table is refused and reported: the
   * caller must remove that row as of the truncate (REMOVE ops first, then its tombstone).
   */
  async putRows(rows: readonly RowStateWrite[]): Promise<PutRowsOutcome> {
    if (rows.length === 0) return { written: 0, truncated: [] };
    const shards = groupByShard(rows);
    const pipeline = this.redis.pipeline() as StorePipeline;
    for (const g of shards)
      pipeline.slPutRows(
        this.keys.rowShard(g.table, g.shard),
        this.keys.rowShardMarker(g.table, g.shard),
        ...g.items.flatMap((r) => [r.pk, encodeOpIdMember(r.opId) + r.state]),
      );
    const results = (await execOrThrow(pipeline)) as Array<Array<string | number>>;
    let written = 0;
    const truncated: Array<{ table: string; pk: string; truncateOpId: bigint }> = [];
    shards.forEach((g, i) => {
      const [count, marker, ...refused] = results[i]!;
      written += Number(count);
      for (const pk of refused)
        truncated.push({ table: g.table, pk: String(pk), truncateOpId: BigInt(`0x${String(marker)}`) });
    });
    return { written, truncated };
  }

  /**
   * Records that the truncate with `opId` is about to scan the table: from now on a row state
   * older than it is refused by putRows (a row of an earlier event that this scan may miss).
   */
  async markTruncate(table: string, opId: bigint): Promise<void> {
    const member = encodeOpIdMember(opId);
    const pipeline = this.redis.pipeline() as StorePipeline;
    for (let shard = 0; shard < ROW_SHARDS; shard++)
      pipeline.slRaiseMarker(this.keys.rowShardMarker(table, shard), member);
    await execOrThrow(pipeline);
  }

  /** Every stored row of a table (tombstones included), in chunks of about `count`. */
  async *scanTableRows(table: string, count = 500): AsyncGenerator<Array<{ pk: string } & RowStateRecord>> {
    for (let shard = 0; shard < ROW_SHARDS; shard++) {
      const key = this.keys.rowShard(table, shard);
      let cursor = '0';
      do {
        const [next, flat] = await this.redis.hscan(key, cursor, 'COUNT', count);
        cursor = next;
        const chunk: Array<{ pk: string } & RowStateRecord> = [];
        for (let i = 0; i < flat.length; i += 2)
          chunk.push({ pk: flat[i]!, ...parseRowValue(flat[i + 1]!)! });
        if (chunk.length > 0) yield chunk;
      } while (cursor !== '0');
    }
  }

  /** Replaces the states of `pks` by `tombstone` where an older op wrote them; returns those pks. */
  async truncateRows(
    table: string,
    pks: readonly string[],
    opId: bigint,
    tombstone: string,
  ): Promise<string[]> {
    if (pks.length === 0) return [];
    const shards = groupByShard(pks.map((pk) => ({ table, pk })));
    const member = encodeOpIdMember(opId);
    const pipeline = this.redis.pipeline() as StorePipeline;
    for (const g of shards)
      pipeline.slTruncateRows(
        this.keys.rowShard(table, g.shard),
        member,
        tombstone,
        ...g.items.map((r) => r.pk),
      );
    return ((await execOrThrow(pipeline)) as string[][]).flat();
  }

  // ---- parameter lookups --------------------------------------------------------------------

  async writeLookups(writes: readonly LookupWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const w of writes) {
      const k = this.keys.lookup(w.lookupKey);
      const member = opMember(w.opId, w.rowKey);
      pipeline.zadd(k.index, 0, member);
      pipeline.hset(k.values, member, w.parameters ?? 'null');
    }
    await execOrThrow(pipeline);
  }

  /** Parameter rows of a lookup as of `checkpoint`: the latest entry per source row, if it matches. */
  async lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]> {
    const k = this.keys.lookup(lookupKey);
    const members = await this.redis.zrangebylex(k.index, '-', `(${encodeOpIdMember(checkpoint + 1n)}`);
    if (members.length === 0) return [];
    const values = await this.redis.hmget(k.values, ...members);
    const latest = new Map<string, string | null>();
    members.forEach((m, i) => latest.set(m.slice(17), values[i] ?? null));
    const rows: unknown[] = [];
    for (const v of latest.values())
      if (v !== null && v !== 'null') rows.push(...(JSON.parse(v) as unknown[]));
    return rows;
  }

  // ---- processed counts, progress ----------------------------------------------------------

  /** Next offset counted of a change-topic partition (`topic/partition`), or null. */
  async partitionProgress(partition: string): Promise<bigint | null> {
    const value = await this.redis.hget(this.keys.progress, partition);
    return value === null ? null : BigInt(value);
  }

  /**
   * Adds processed-event counts (END offset -> events) of one partition and moves its progress
   * from `expected` to `next`, atomically and only if the progress still is `expected`: each
   * offset is counted once even when batches are replayed or two instances overlap in a rebalance.
   */
  async countEvents(
    partition: string,
    expected: bigint | null,
    next: bigint,
    streaming: boolean,
    counts: ReadonlyMap<bigint, number>,
  ): Promise<CountOutcome> {
    const argv = [
      partition,
      expected === null ? '' : expected.toString(),
      next.toString(),
      streaming ? '1' : '0',
    ];
    for (const [endOffset, n] of counts) argv.push(endOffset.toString(), String(n));
    const k = this.keys;
    const [applied, current] = await this.redis.slCountEvents(k.progress, k.counts, k.streaming, ...argv);
    if (Number(applied) === 1) return { applied: true };
    return { applied: false, progress: current ? BigInt(current) : null };
  }

  /** Processed events of each transaction (by END offset). */
  async processedCounts(endOffsets: readonly bigint[]): Promise<number[]> {
    if (endOffsets.length === 0) return [];
    const values = await this.redis.hmget(this.keys.counts, ...endOffsets.map(String));
    return values.map((v) => (v === null ? 0 : Number(v)));
  }

  async forgetProcessed(endOffsets: readonly bigint[]): Promise<void> {
    if (endOffsets.length > 0) await this.redis.hdel(this.keys.counts, ...endOffsets.map(String));
  }

  async recordTransactionWriteCheckpoints(endOffset: bigint, wcs: readonly WriteCheckpoint[]): Promise<void> {
    if (wcs.length === 0) return;
    const key = this.keys.transactionWriteCheckpoints(endOffset);
    const fields = wcs.flatMap((w) => [`${w.userId}/${w.clientId}`, w.n]);
    await this.redis
      .pipeline()
      .hset(key, ...fields)
      .expire(key, TX_WRITE_CHECKPOINTS_TTL_SECONDS)
      .exec();
  }

  async transactionWriteCheckpoints(endOffset: bigint): Promise<WriteCheckpoint[]> {
    const entries = await this.redis.hgetall(this.keys.transactionWriteCheckpoints(endOffset));
    return Object.entries(entries).map(([field, n]) => {
      const slash = field.lastIndexOf('/');
      return { userId: field.slice(0, slash), clientId: field.slice(slash + 1), n };
    });
  }

  /** Stores write checkpoints as included in checkpoint `opId` (the gateway reads them per user). */
  async saveWriteCheckpoints(wcs: readonly WriteCheckpoint[], opId: bigint): Promise<void> {
    if (wcs.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const w of wcs)
      pipeline.hset(
        this.keys.writeCheckpoints(w.userId),
        w.clientId,
        JSON.stringify({ n: w.n, opId: formatOpId(opId) }),
      );
    await execOrThrow(pipeline);
  }

  async writeCheckpointsOf(userId: string): Promise<Record<string, { n: string; opId: string }>> {
    const raw = await this.redis.hgetall(this.keys.writeCheckpoints(userId));
    return Object.fromEntries(
      Object.entries(raw).map(([c, v]) => [c, JSON.parse(v) as { n: string; opId: string }]),
    );
  }

  async readPositions(hash: 'progress' | 'transactionLow' | 'streaming'): Promise<Map<string, bigint>> {
    const raw = await this.redis.hgetall(this.keys[hash]);
    return new Map(Object.entries(raw).map(([k, v]) => [k, BigInt(v)]));
  }

  async topicIndex(topic: string): Promise<number> {
    const k = this.keys.topicIndex;
    return Number(await this.redis.slTopicIndex(k.map, k.next, topic));
  }

  // ---- meta, checkpoint, lease --------------------------------------------------------------

  async getMeta(): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.meta);
  }

  /** Sets meta fields that are not set yet; returns the stored meta afterwards. */
  async initMeta(fields: Record<string, string>): Promise<Record<string, string>> {
    const pipeline = this.redis.pipeline();
    for (const [k, v] of Object.entries(fields)) pipeline.hsetnx(this.keys.meta, k, v);
    await execOrThrow(pipeline);
    return this.getMeta();
  }

  async getCheckpoint(): Promise<Checkpoint | null> {
    const json = await this.redis.hget(this.keys.checkpoint, 'json');
    return json === null ? null : (JSON.parse(json) as Checkpoint);
  }

  /** Stores and publishes `checkpoint` when `owner` holds the lease and it moves forward. */
  async publishCheckpoint(
    owner: string,
    checkpoint: Checkpoint,
  ): Promise<'published' | 'stale' | 'not-leader'> {
    const result = await this.redis.slPublishCheckpoint(
      this.keys.lease,
      this.keys.checkpoint,
      owner,
      encodeOpIdMember(parseOpId(checkpoint.lastOpId)),
      JSON.stringify(checkpoint),
      this.keys.checkpointChannel,
    );
    return result === 1 ? 'published' : result === 0 ? 'stale' : 'not-leader';
  }

  /** Acquires or renews the coordinator lease; true when `owner` holds it. */
  async holdLease(owner: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.slLease(this.keys.lease, owner, String(ttlMs))) === 1;
  }

  async releaseLease(owner: string): Promise<void> {
    await this.redis.slRelease(this.keys.lease, owner);
  }

  async leaseHolder(): Promise<string | null> {
    return this.redis.get(this.keys.lease);
  }

  async getJson<T>(key: string): Promise<T | null> {
    const v = await this.redis.get(key);
    return v === null ? null : (JSON.parse(v) as T);
  }

  async setJsonIfAbsent(key: string, value: unknown): Promise<void> {
    await this.redis.set(key, JSON.stringify(value), 'NX');
  }

  /** Deletes every key of this prefix (reset). Returns the number of keys deleted. */
  async deleteAll(): Promise<number> {
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', this.keys.pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await this.redis.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  }
}

/** A stored row value: `<op member, 16 hex><state JSON>`. */
function parseRowValue(value: string | null): RowStateRecord | null {
  return value === null ? null : { opId: BigInt(`0x${value.slice(0, 16)}`), state: value.slice(16) };
}

/** Rows grouped by their row-state shard (one script call or HMGET each), in first-seen order. */
function groupByShard<T extends { table: string; pk: string }>(
  rows: readonly T[],
): Array<{ table: string; shard: number; items: T[] }> {
  const shards = new Map<string, { table: string; shard: number; items: T[] }>();
  for (const row of rows) {
    const shard = rowShardOf(row.pk);
    const id = `${row.table}\u0000${shard}`;
    let group = shards.get(id);
    if (group === undefined) shards.set(id, (group = { table: row.table, shard, items: [] }));
    group.items.push(row);
  }
  return [...shards.values()];
}

async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
