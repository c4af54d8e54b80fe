// The bucket store's Redis plumbing: its Lua scripts registered as commands on an ioredis client,
// typed pipelines, and a pipeline exec that throws the first failed command's error. A client is
// one server's or a Redis Cluster's: every script's keys share one hash tag (keys.ts).
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { StoreKeys } from './keys';
import type { Checkpoint } from './types';
import {
  ADD_OPS,
  CHECKSUM_AT,
  COMPACT_STEP,
  COUNT_EVENTS,
  PACK_MOVES,
  REBUILD_BUCKET,
  LEASE,
  PUBLISH_CHECKPOINT,
  PUT_ROWS,
  READ_OPS,
  RAISE_MARKER,
  RELEASE,
  SAVE_WRITE_CHECKPOINT,
  TOPIC_INDEX,
  TRIM_LOOKUP,
  TRIM_TOMBSTONES,
  TRUNCATE_ROWS,
} from './scripts';

/** The scripts as commands (names prefixed `sl` so they cannot clash with Redis' own). */
export interface StoreCommands {
  slAddOps(ops: string, body: string, meta: string, ...argv: string[]): Promise<number>;
  slChecksumAt(ops: string, body: string, meta: string, min: string): Promise<[string, number]>;
  /** KEYS ops, body; ARGV: see READ_OPS. */
  slReadOps(ops: string, body: string, ...argv: string[]): Promise<string[]>;
  slPutRows(shard: string, marker: string, ...argv: string[]): Promise<Array<string | number>>;
  slRaiseMarker(marker: string, member: string): Promise<number>;
  slTruncateRows(shard: string, member: string, tombstone: string, ...pks: string[]): Promise<string[]>;
  /** KEYS (progress, counts, streaming, checkpoint, seen...) then ARGV: see COUNT_EVENTS. */
  slCountEvents(keyCount: number, ...keysAndArgv: string[]): Promise<[number, string]>;
  slTopicIndex(map: string, next: string, topic: string): Promise<number>;
  /** KEYS ops, body, meta; ARGV: see COMPACT_STEP. */
  slCompactStep(
    ops: string,
    body: string,
    meta: string,
    ...argv: string[]
  ): Promise<[number, number] | 'stale'>;
  /** KEYS ops, body, meta; ARGV: see PACK_MOVES. */
  slPackMoves(ops: string, body: string, meta: string, ...argv: string[]): Promise<number | 'stale'>;
  slRebuildBucket(ops: string, body: string, maxMembers: string, removed: string): Promise<number>;
  slLease(lease: string, owner: string, ttl: string): Promise<number>;
  slRelease(lease: string, owner: string): Promise<number>;
  slSaveWriteCheckpoint(
    userHash: string,
    clientId: string,
    n: string,
    json: string,
    retentionMs: string,
  ): Promise<number>;
  /** KEYS index, values; ARGV: see TRIM_LOOKUP. */
  slTrimLookup(index: string, values: string, ...argv: string[]): Promise<number>;
  slTrimTombstones(shard: string, ...pairs: string[]): Promise<number>;
  slPublishCheckpoint(
    lease: string,
    checkpoint: string,
    owner: string,
    member: string,
    json: string,
    channel: string,
    seen: string,
  ): Promise<number>;
}

/** A connection to one Redis server or to a Redis Cluster. */
export type StoreConnection = Redis | Cluster;
export type StoreRedis = StoreConnection & StoreCommands;
export type StorePipeline = ChainableCommander & {
  [K in keyof StoreCommands]: (...args: string[]) => StorePipeline;
};

/** The caller passes the number of keys as the first argument. */
const VARIADIC = -1;

const SCRIPTS: Record<keyof StoreCommands, { lua: string; keys: number }> = {
  slAddOps: { lua: ADD_OPS, keys: 3 },
  slChecksumAt: { lua: CHECKSUM_AT, keys: 3 },
  slReadOps: { lua: READ_OPS, keys: 2 },
  slPutRows: { lua: PUT_ROWS, keys: 2 },
  slRaiseMarker: { lua: RAISE_MARKER, keys: 1 },
  slTruncateRows: { lua: TRUNCATE_ROWS, keys: 1 },
  slCountEvents: { lua: COUNT_EVENTS, keys: VARIADIC },
  slTopicIndex: { lua: TOPIC_INDEX, keys: 2 },
  slCompactStep: { lua: COMPACT_STEP, keys: 3 },
  slPackMoves: { lua: PACK_MOVES, keys: 3 },
  slRebuildBucket: { lua: REBUILD_BUCKET, keys: 2 },
  slLease: { lua: LEASE, keys: 1 },
  slRelease: { lua: RELEASE, keys: 1 },
  slSaveWriteCheckpoint: { lua: SAVE_WRITE_CHECKPOINT, keys: 1 },
  slPublishCheckpoint: { lua: PUBLISH_CHECKPOINT, keys: 2 },
  slTrimLookup: { lua: TRIM_LOOKUP, keys: 2 },
  slTrimTombstones: { lua: TRIM_TOMBSTONES, keys: 1 },
};

/** Registers the scripts on `redis` (once per client; later calls are no-ops). */
export function withScripts(redis: StoreConnection): StoreRedis {
  for (const [name, { lua, keys }] of Object.entries(SCRIPTS)) {
    if (!(name in redis))
      redis.defineCommand(name, keys === VARIADIC ? { lua } : { lua, numberOfKeys: keys });
  }
  return redis as StoreRedis;
}

/** The published checkpoint (the coordinator's and the readers' one way to read it), or null. */
export async function readCheckpoint(redis: StoreConnection, keys: StoreKeys): Promise<Checkpoint | null> {
  const json = await redis.hget(keys.checkpoint, 'json');
  return json === null ? null : (JSON.parse(json) as Checkpoint);
}

/** Runs a pipeline whose keys share one slot (one key, or one hash tag). */
export async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
