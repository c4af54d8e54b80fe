// Redis key names of one deployment and sync-rules version. Every key a Lua script touches
// together shares a hash tag ({...}), so the layout works on Redis Cluster (one slot per script).
import { createHash } from 'node:crypto';

export class KeyPrefixError extends Error {
  override readonly name = 'KeyPrefixError';
}

const PREFIX = /^[A-Za-z0-9_.:-]+$/;

/** A short, stable tag for an arbitrary string (bucket names may contain braces). */
export function tagOf(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex').slice(0, 16);
}

/** Key names under `prefix`. The prefix names the deployment and the rules version. */
export class StoreKeys {
  constructor(readonly prefix: string) {
    if (!PREFIX.test(prefix))
      throw new KeyPrefixError(
        `key prefix ${JSON.stringify(prefix)} must match ${PREFIX} (no braces or spaces)`,
      );
  }

  /** Per bucket: ordered op members, op bodies, running checksum/count, row key -> latest member. */
  bucket(bucket: string): { ops: string; body: string; meta: string; latest: string } {
    const base = `${this.prefix}:{b:${tagOf(bucket)}}`;
    return { ops: `${base}:ops`, body: `${base}:body`, meta: `${base}:meta`, latest: `${base}:latest` };
  }

  /** Every bucket name ever written (for enumeration by tools, tests and compaction). */
  get buckets(): string {
    return `${this.prefix}:buckets`;
  }

  /** One synced source row: its raw image, memberships and lookup entries, with the op that wrote it. */
  row(table: string, pk: string): string {
    return `${this.prefix}:row:${table}:${tagOf(pk)}`;
  }

  /** The primary keys of a table's stored rows (enumerated by truncate). */
  tableRows(table: string): string {
    return `${this.prefix}:rows:${table}`;
  }

  /** A parameter lookup: versioned entries (`<op16>|<rowKey>` members) and their values. */
  lookup(lookupKey: string): { index: string; values: string } {
    const base = `${this.prefix}:{pl:${tagOf(lookupKey)}}`;
    return { index: `${base}:idx`, values: `${base}:val` };
  }

  /** Processed-event marks of the transaction whose END record is at `endOffset`. */
  done(endOffset: bigint): string {
    return `${this.prefix}:done:${endOffset}`;
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

  /** Per change-topic partition: next offset processed; streaming seen; oldest transaction still needed. */
  get progress(): string {
    return `${this.prefix}:progress`;
  }
  get streaming(): string {
    return `${this.prefix}:streaming`;
  }
  get transactionLow(): string {
    return `${this.prefix}:txlow`;
  }
  get snapshotHighWater(): string {
    return `${this.prefix}:snapshot-hwm`;
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
