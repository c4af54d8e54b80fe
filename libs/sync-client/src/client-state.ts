// What a PowerSync client keeps, as the official client's core keeps it, in memory: per bucket the
// ops that are not superseded and two wrapping checksum sums; a checkpoint target; validation of
// every bucket's checksum on (partial) completion; the rows as of the last completed checkpoint.
// Pure: fed parsed sync lines, it answers what it holds and what went wrong.

interface StoredOp {
  readonly opId: bigint;
  readonly objectType: string;
  readonly objectId: string;
  readonly data: string | null;
  readonly checksum: number;
}

interface BucketState {
  /** `type/id/subkey` -> the op that holds the row now (PUT only). */
  readonly ops: Map<string, StoredOp>;
  /** Sum of checksums of ops no longer stored (superseded, REMOVE, MOVE, CLEAR). */
  addChecksum: number;
  /** Op id of the last op received for the bucket (the `after` to resume from). */
  lastOpId: bigint;
}

export interface TargetBucket {
  readonly bucket: string;
  readonly checksum: number;
  readonly count?: number;
  readonly priority?: number;
}

interface Target {
  lastOpId: bigint;
  writeCheckpoint: bigint | null;
  buckets: Map<string, TargetBucket>;
}

export interface CompletedCheckpoint {
  readonly lastOpId: bigint;
  readonly writeCheckpoint: bigint | null;
  /** `type/id` -> row data (JSON text), over every bucket. */
  readonly rows: ReadonlyMap<string, string>;
  readonly buckets: readonly string[];
}

export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

const u32 = (n: number): number => n >>> 0;

export class ClientState {
  private readonly buckets = new Map<string, BucketState>();
  private target: Target | null = null;
  private sawCheckpoint = false;
  /** Checksum failures: `bucket: expected x, got y` per failed validation. */
  readonly failures: string[] = [];
  readonly completed: CompletedCheckpoint[] = [];
  /** Buckets that data lines were received for. */
  readonly dataBuckets = new Set<string>();
  opsReceived = 0;

  /** The buckets and `after` op ids to send when reconnecting. */
  bucketRequests(): Array<{ name: string; after: string }> {
    return [...this.buckets].map(([name, b]) => ({ name, after: b.lastOpId.toString() }));
  }

  get lastCompleted(): CompletedCheckpoint | null {
    return this.completed[this.completed.length - 1] ?? null;
  }

  /** Applies one parsed line (`{"checkpoint": ...}` etc.). */
  apply(line: Record<string, unknown>): void {
    const keys = Object.keys(line);
    if (keys.length !== 1) throw new ProtocolViolation(`a line must have one key, got ${keys.join(', ')}`);
    const kind = keys[0]!;
    const body = line[kind] as Record<string, unknown>;
    switch (kind) {
      case 'checkpoint':
        return this.checkpoint(body);
      case 'checkpoint_diff':
        return this.diff(body);
      case 'data':
        return this.data(body);
      case 'checkpoint_complete':
        return this.complete(null);
      case 'partial_checkpoint_complete':
        return this.complete(Number(body.priority));
      case 'token_expires_in':
        return;
      default:
        return; // unknown lines are ignored, as the official client does
    }
  }

  private checkpoint(body: Record<string, unknown>): void {
    this.sawCheckpoint = true;
    const buckets = new Map<string, TargetBucket>();
    for (const b of body.buckets as TargetBucket[]) buckets.set(b.bucket, b);
    this.target = {
      lastOpId: opId(body.last_op_id),
      writeCheckpoint: optionalOpId(body.write_checkpoint),
      buckets,
    };
    // A full checkpoint deletes every bucket it does not list.
    for (const name of [...this.buckets.keys()]) if (!buckets.has(name)) this.buckets.delete(name);
  }

  private diff(body: Record<string, unknown>): void {
    if (!this.sawCheckpoint || this.target === null)
      throw new ProtocolViolation('checkpoint_diff before a checkpoint');
    const buckets = new Map(this.target.buckets);
    for (const b of body.updated_buckets as TargetBucket[]) buckets.set(b.bucket, b);
    for (const name of body.removed_buckets as string[]) {
      buckets.delete(name);
      this.buckets.delete(name);
    }
    this.target = {
      lastOpId: opId(body.last_op_id),
      writeCheckpoint: optionalOpId(body.write_checkpoint),
      buckets,
    };
  }

  private data(body: Record<string, unknown>): void {
    if (!this.sawCheckpoint) throw new ProtocolViolation('data before a checkpoint');
    const name = body.bucket as string;
    if (this.target === null || !this.target.buckets.has(name))
      throw new ProtocolViolation(`data for ${name}, which the checkpoint does not list`);
    this.dataBuckets.add(name);
    const bucket = this.bucket(name);
    for (const raw of body.data as Array<Record<string, unknown>>) {
      const op = raw.op as string;
      const id = opId(raw.op_id);
      if (id < bucket.lastOpId) throw new ProtocolViolation(`${name}: op ${id} after op ${bucket.lastOpId}`);
      if (id > this.target.lastOpId)
        throw new ProtocolViolation(`${name}: op ${id} above the checkpoint ${this.target.lastOpId}`);
      if (typeof raw.checksum !== 'number')
        throw new ProtocolViolation(`${name}: op ${id} without a numeric checksum`);
      if (raw.data !== undefined && raw.data !== null && typeof raw.data !== 'string')
        throw new ProtocolViolation(`${name}: op ${id} data must be a JSON string`);
      const checksum = u32(raw.checksum);
      bucket.lastOpId = id;
      this.opsReceived++;
      if (op === 'PUT' || op === 'REMOVE') {
        const key = `${String(raw.object_type)}/${String(raw.object_id)}/${String(raw.subkey ?? 'null')}`;
        const previous = bucket.ops.get(key);
        if (previous !== undefined) {
          bucket.addChecksum = u32(bucket.addChecksum + previous.checksum);
          bucket.ops.delete(key);
        }
        if (op === 'PUT')
          bucket.ops.set(key, {
            opId: id,
            objectType: String(raw.object_type),
            objectId: String(raw.object_id),
            data: (raw.data as string | null | undefined) ?? null,
            checksum,
          });
        else bucket.addChecksum = u32(bucket.addChecksum + checksum);
      } else if (op === 'MOVE') {
        bucket.addChecksum = u32(bucket.addChecksum + checksum);
      } else if (op === 'CLEAR') {
        bucket.ops.clear();
        bucket.addChecksum = checksum;
      } else throw new ProtocolViolation(`${name}: unknown op ${op}`);
    }
  }

  private complete(priority: number | null): void {
    const target = this.target;
    if (target === null) throw new ProtocolViolation('checkpoint_complete before a checkpoint');
    let ok = true;
    for (const t of target.buckets.values()) {
      if (priority !== null && (t.priority ?? 3) > priority) continue;
      const held = this.checksumOf(t.bucket);
      if (held !== u32(t.checksum)) {
        ok = false;
        this.failures.push(`${t.bucket}: expected ${u32(t.checksum)}, got ${held} at ${target.lastOpId}`);
        // As the official client: a bucket that fails is dropped and downloaded again.
        this.buckets.delete(t.bucket);
      }
    }
    if (!ok || priority !== null) return;
    for (const t of target.buckets.values()) this.bucket(t.bucket).lastOpId = target.lastOpId;
    const rows = new Map<string, string>();
    for (const name of target.buckets.keys())
      for (const op of this.buckets.get(name)?.ops.values() ?? [])
        if (op.data !== null) rows.set(`${op.objectType}/${op.objectId}`, op.data);
    this.completed.push({
      lastOpId: target.lastOpId,
      writeCheckpoint: target.writeCheckpoint,
      rows,
      buckets: [...target.buckets.keys()].sort(),
    });
  }

  /** The bucket's checksum as the client computes it (u32). */
  checksumOf(name: string): number {
    const b = this.buckets.get(name);
    if (b === undefined) return 0;
    let sum = b.addChecksum;
    for (const op of b.ops.values()) sum = u32(sum + op.checksum);
    return sum;
  }

  private bucket(name: string): BucketState {
    let b = this.buckets.get(name);
    if (b === undefined) {
      b = { ops: new Map(), addChecksum: 0, lastOpId: 0n };
      this.buckets.set(name, b);
    }
    return b;
  }
}

function opId(value: unknown): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]*)$/.test(value))
    throw new ProtocolViolation(`op ids must be decimal strings, got ${JSON.stringify(value)}`);
  return BigInt(value);
}

function optionalOpId(value: unknown): bigint | null {
  return value === undefined || value === null ? null : opId(value);
}
