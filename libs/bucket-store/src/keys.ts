// Redis key names of one deployment and sync-rules version. Every key a Lua script touches
// together shares a hash tag ({...}), so the layout works on Redis Cluster (one slot per script).
import { SynclineError } from '@syncline/errors';
import { hexDigestOf } from '@syncline/protocol';

export class KeyPrefixError extends SynclineError {
  override readonly name = 'KeyPrefixError';
  readonly code = 'SYNC_E105';
}

const PREFIX = /^[A-Za-z0-9_.:-]+$/;

/** A short, stable tag for an arbitrary string (bucket names may contain braces). */
export function tagOf(text: string): string {
  return hexDigestOf('sha1', text).slice(0, 16);
}

/** Row-state hashes per table. Part of the layout: changing it needs LAYOUT_VERSION + 1. */
export const ROW_SHARDS = 16;

/** Version of this key layout, recorded in `meta`; an evaluator refuses state of another layout. */
export const LAYOUT_VERSION = '3';

/** Shard of a primary key: FNV-1a (32-bit) of its UTF-16 code units, mod ROW_SHARDS. */
export function rowShardOf(pk: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < pk.length; i++) h = Math.imul(h ^ pk.charCodeAt(i), 0x01000193);
  return (h >>> 0) % ROW_SHARDS;
}

/**
 * The key prefix of one deployment and sync-rules version: `syncline:<deployment>:<version>`.
 * Every service, tool, benchmark and test derives it here, so the spelling lives in one place.
 */
export function keyPrefixFor(deployment: string, rulesVersion: string): string {
  return `syncline:${deployment}:${rulesVersion}`;
}

/** Key names under `prefix`. The prefix names the deployment and the rules version. */
export class StoreKeys {
  private readonly tableTags = new Map<string, string>();

  constructor(readonly prefix: string) {
    if (!PREFIX.test(prefix))
      throw new KeyPrefixError(
        `key prefix ${JSON.stringify(prefix)} must match ${PREFIX} (no braces or spaces)`,
      );
  }

  /** Per bucket: ordered op members, op bodies, running checksum/count. */
  bucket(bucket: string): { ops: string; body: string; meta: string } {
    const base = `${this.prefix}:{b:${tagOf(bucket)}}`;
    return { ops: `${base}:ops`, body: `${base}:body`, meta: `${base}:meta` };
  }

  /** Every bucket name ever written (for enumeration by tools, tests and compaction). */
  get buckets(): string {
    return `${this.prefix}:buckets`;
  }

  /**
   * Synced source rows of a table, in ROW_SHARDS hashes (one slot each): primary key JSON ->
   * `<op member><state JSON>` (raw image, memberships, lookup entries; a deleted row keeps a
   * tombstone). A shard is one script call per batch; truncate scans the table's shards.
   */
  rowShard(table: string, shard: number): string {
    let tag = this.tableTags.get(table);
    if (tag === undefined) this.tableTags.set(table, (tag = tagOf(table)));
    return `${this.prefix}:{rs:${tag}:${shard}}`;
  }

  /** Op member of the latest truncate of the table, per shard (same slot as the shard). */
  rowShardMarker(table: string, shard: number): string {
    return `${this.rowShard(table, shard)}:truncated`;
  }

  /** Every row shard of a table. */
  rowShards(table: string): string[] {
    return Array.from({ length: ROW_SHARDS }, (_, i) => this.rowShard(table, i));
  }

  /** A parameter lookup: versioned entries (`<op16>|<rowKey>` members) and their values. */
  lookup(lookupKey: string): { index: string; values: string } {
    const base = `${this.prefix}:{pl:${tagOf(lookupKey)}}`;
    return { index: `${base}:idx`, values: `${base}:val` };
  }

  /** END offset -> events of that transaction processed so far (counted once per offset). */
  get counts(): string {
    return `${this.prefix}:{cp}:counts`;
  }

  /** Bitmap of the total_orders counted for the transaction whose END is at `endOffset`. */
  seen(endOffset: bigint): string {
    return `${this.prefix}:{cp}:seen:${endOffset}`;
  }

  /** Write checkpoints carried by the transaction whose END record is at `endOffset`. */
  transactionWriteCheckpoints(endOffset: bigint): string {
    return `${this.prefix}:txwc:${endOffset}`;
  }

  /** Write checkpoints of one user: client id -> {n, opId}. */
  writeCheckpoints(userId: string): string {
    return `${this.prefix}:wc:${userId}`;
  }

  /** Coordinator lease, checkpoint and the transaction-topic start share one slot (fenced writes). */
  get lease(): string {
    return `${this.prefix}:{cp}:lease`;
  }
  get checkpoint(): string {
    return `${this.prefix}:{cp}:checkpoint`;
  }
  /** Pub/sub channel on which each new checkpoint is published. */
  get checkpointChannel(): string {
    return `${this.prefix}:checkpoints`;
  }

  /** Rules hash, generation, creation time. */
  get meta(): string {
    return `${this.prefix}:meta`;
  }

  /**
   * Per change-topic partition: next offset counted (compare-and-set with `counts`); `streaming`:
   * END offset of the latest transaction reached (set once streaming began); oldest transaction
   * still needed.
   */
  get progress(): string {
    return `${this.prefix}:{cp}:progress`;
  }
  get streaming(): string {
    return `${this.prefix}:{cp}:streaming`;
  }
  get transactionLow(): string {
    return `${this.prefix}:txlow`;
  }
  get snapshotHighWater(): string {
    return `${this.prefix}:snapshot-hwm`;
  }
  /**
   * A full snapshot taken after streaming began (docs/consistency.md §3.2): `anchor`, the END
   * offset of the first transaction after it (set by the instances placing its rows); `handled`,
   * the notification-topic offset of the last such snapshot's COMPLETED the checkpoint passed.
   */
  get resnapshot(): string {
    return `${this.prefix}:resnapshot`;
  }
  /**
   * The highest END offset an incremental snapshot window's rows were placed at (one member,
   * `last`, scored by it; docs/consistency.md §3.1).
   */
  get windowsPlaced(): string {
    return `${this.prefix}:windows-placed`;
  }

  /** Change topic -> dense index (snapshot op numbering), and the next index. */
  get topicIndex(): { map: string; next: string } {
    return { map: `${this.prefix}:{topics}:map`, next: `${this.prefix}:{topics}:next` };
  }

  /** SCAN pattern matching every key of this prefix. */
  get pattern(): string {
    return `${this.prefix}:*`;
  }
}
