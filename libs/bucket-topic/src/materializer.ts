// Consumer side, pure: folds bucket ops (in any order, with duplicates) into each bucket's exact
// current rows. Per (bucket, objectType, objectId, subkey) it keeps the op with the highest op_id,
// REMOVEs included, so a replayed older PUT cannot resurrect a removed row.
import { BucketOpConflictError } from './errors';
import { bucketOpKey, type BucketOpKey, type BucketOpRecord } from './record';

/** What applying one op did: `applied`, `duplicate` (same op_id seen) or `stale` (older op_id). */
export type ApplyOutcome = 'applied' | 'duplicate' | 'stale';

export interface MaterializedRow {
  readonly objectType: string;
  readonly objectId: string;
  readonly subkey: string;
  /** The row as JSON text, exactly as the PUT carried it. */
  readonly data: string;
  readonly opId: bigint;
}

export class BucketMaterializer {
  /** bucket -> row key -> latest op (PUT or REMOVE). */
  private readonly byBucket = new Map<string, Map<string, BucketOpRecord>>();
  private readonly only: ReadonlySet<string> | null;

  /** Materializes every bucket. */
  static allBuckets(): BucketMaterializer {
    return new BucketMaterializer(null);
  }

  /** Materializes only the named buckets; ops of other buckets are ignored (and not kept). */
  static ofBuckets(buckets: Iterable<string>): BucketMaterializer {
    return new BucketMaterializer(new Set(buckets));
  }

  private constructor(only: ReadonlySet<string> | null) {
    this.only = only;
  }

  apply(op: BucketOpRecord): ApplyOutcome {
    if (this.only !== null && !this.only.has(op.bucket)) return 'stale';
    let rows = this.byBucket.get(op.bucket);
    if (rows === undefined) {
      rows = new Map();
      this.byBucket.set(op.bucket, rows);
    }
    const key = bucketOpKey(op);
    const held = rows.get(key);
    if (held !== undefined) {
      if (op.opId < held.opId) return 'stale';
      if (op.opId === held.opId) {
        if (!sameOp(held, op)) throw new BucketOpConflictError(held, op);
        return 'duplicate';
      }
    }
    rows.set(key, op);
    return 'applied';
  }

  /**
   * A Kafka tombstone (null value) for a key: the row and its op_id history are gone. Syncline's
   * writer does not produce tombstones; this keeps consumers correct if a cleanup ever does.
   */
  forget(key: BucketOpKey): void {
    this.byBucket.get(key.bucket)?.delete(bucketOpKey(key));
  }

  /** The bucket's current rows, ordered by (objectType, objectId, subkey). */
  rows(bucket: string): MaterializedRow[] {
    const out: MaterializedRow[] = [];
    for (const op of this.byBucket.get(bucket)?.values() ?? []) {
      if (op.op === 'PUT' && op.data !== null) {
        out.push({
          objectType: op.objectType,
          objectId: op.objectId,
          subkey: op.subkey,
          data: op.data,
          opId: op.opId,
        });
      }
    }
    return out.sort(compareRows);
  }

  /** Buckets that have at least one op (even if all their rows are removed), sorted. */
  buckets(): string[] {
    return [...this.byBucket.keys()].sort();
  }

  /** Highest op_id applied in the bucket, REMOVEs included; null if none. */
  lastOpId(bucket: string): bigint | null {
    let last: bigint | null = null;
    for (const op of this.byBucket.get(bucket)?.values() ?? [])
      if (last === null || op.opId > last) last = op.opId;
    return last;
  }
}

function sameOp(a: BucketOpRecord, b: BucketOpRecord): boolean {
  return a.op === b.op && a.data === b.data && a.checksum === b.checksum;
}

function compareRows(a: MaterializedRow, b: MaterializedRow): number {
  return cmp(a.objectType, b.objectType) || cmp(a.objectId, b.objectId) || cmp(a.subkey, b.subkey);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
