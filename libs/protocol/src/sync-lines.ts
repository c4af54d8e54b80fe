// Server -> client sync lines of the PowerSync protocol as typed values, and their NDJSON form.
// Wire rules the Rust client enforces: op ids, last_op_id and write_checkpoint are decimal
// strings; checksums are JSON numbers in -2^31..2^32-1; an op's `data` is a JSON *string*.
import type { BucketOp } from './bucket-op';
import { formatOpId } from './op-id';

export type StreamSubscriptionRef = { readonly default: number } | { readonly sub: number };

export interface BucketChecksumEntry {
  readonly bucket: string;
  /** Bucket checksum (the signed int32 form, as the official service sends it, or unsigned). */
  readonly checksum: number;
  readonly count?: number;
  readonly priority?: number;
  readonly subscriptions?: readonly StreamSubscriptionRef[];
}

export interface StreamDescription {
  readonly name: string;
  readonly isDefault: boolean;
  readonly errors: readonly { readonly subscription: 'default' | number; readonly message: string }[];
}

/** A superseded op after compaction: same op id and checksum, no data. */
export interface MoveOp {
  readonly op: 'MOVE';
  readonly opId: bigint;
  readonly checksum: number;
}
/** Replaces a bucket's leading ops; its checksum is the sum of those it replaced. */
export interface ClearOp {
  readonly op: 'CLEAR';
  readonly opId: bigint;
  readonly checksum: number;
}
/** What a data line carries: bucket ops, and the compacted forms of them. */
export type OplogEntry = BucketOp | MoveOp | ClearOp;

export interface CheckpointLine {
  readonly kind: 'checkpoint';
  readonly lastOpId: bigint;
  readonly writeCheckpoint?: bigint | null;
  readonly buckets: readonly BucketChecksumEntry[];
  readonly streams?: readonly StreamDescription[];
}
export interface CheckpointDiffLine {
  readonly kind: 'checkpoint_diff';
  readonly lastOpId: bigint;
  /** Omitted means "none": the client replaces its write checkpoint with this value. */
  readonly writeCheckpoint?: bigint | null;
  readonly updatedBuckets: readonly BucketChecksumEntry[];
  readonly removedBuckets: readonly string[];
}
export interface DataLine {
  readonly kind: 'data';
  readonly bucket: string;
  readonly after?: bigint | null;
  readonly nextAfter?: bigint | null;
  readonly hasMore?: boolean;
  readonly ops: readonly OplogEntry[];
}
export interface CheckpointCompleteLine {
  readonly kind: 'checkpoint_complete';
  readonly lastOpId: bigint;
}
export interface PartialCheckpointCompleteLine {
  readonly kind: 'partial_checkpoint_complete';
  readonly lastOpId: bigint;
  readonly priority: number;
}
export interface TokenExpiresInLine {
  readonly kind: 'token_expires_in';
  readonly seconds: number;
}

export type SyncLine =
  | CheckpointLine
  | CheckpointDiffLine
  | DataLine
  | CheckpointCompleteLine
  | PartialCheckpointCompleteLine
  | TokenExpiresInLine;

/** A line that would break the client if sent. */
export class SyncLineError extends Error {
  override readonly name = 'SyncLineError';
}

type WireObject = Record<string, unknown>;

// Typed by kind: a new line kind does not compile until it has a serializer (data lines have
// their own, serializeDataLine).
const SERIALIZERS: {
  readonly [K in Exclude<SyncLine['kind'], 'data'>]: (line: Extract<SyncLine, { kind: K }>) => WireObject;
} = {
  checkpoint: (line) => ({
    last_op_id: formatOpId(line.lastOpId),
    ...writeCheckpoint(line.writeCheckpoint),
    buckets: line.buckets.map(bucketEntry),
    ...(line.streams === undefined ? {} : { streams: line.streams.map(streamDescription) }),
  }),
  checkpoint_diff: (line) => ({
    last_op_id: formatOpId(line.lastOpId),
    ...writeCheckpoint(line.writeCheckpoint),
    updated_buckets: line.updatedBuckets.map(bucketEntry),
    removed_buckets: [...line.removedBuckets],
  }),
  checkpoint_complete: (line) => ({ last_op_id: formatOpId(line.lastOpId) }),
  partial_checkpoint_complete: (line) => ({
    last_op_id: formatOpId(line.lastOpId),
    priority: priority(line.priority),
  }),
  token_expires_in: (line) => {
    if (!Number.isInteger(line.seconds))
      throw new SyncLineError(`token_expires_in must be whole seconds, got ${line.seconds}`);
    return { seconds: line.seconds };
  },
};

/** One NDJSON line (with its trailing newline) for the sync stream. */
export function serializeSyncLine(line: SyncLine): string {
  // Data lines are most of the bytes of a download: written as text directly (one string per op,
  // no intermediate objects), which is several times faster than building objects to stringify.
  if (line.kind === 'data') return serializeDataLine(line);
  const serialize = SERIALIZERS[line.kind] as (l: Exclude<SyncLine, DataLine>) => WireObject;
  const body = serialize(line);
  // token_expires_in carries a bare number rather than an object.
  const value = line.kind === 'token_expires_in' ? body.seconds : body;
  return `${JSON.stringify({ [line.kind]: value })}\n`;
}

function serializeDataLine(line: DataLine): string {
  let head = `{"data":{"bucket":${JSON.stringify(line.bucket)}`;
  if (line.after != null) head += `,"after":"${formatOpId(line.after)}"`;
  if (line.nextAfter != null) head += `,"next_after":"${formatOpId(line.nextAfter)}"`;
  if (line.hasMore !== undefined) head += `,"has_more":${line.hasMore}`;
  const ops = new Array<string>(line.ops.length);
  for (let i = 0; i < line.ops.length; i++) ops[i] = oplogEntryText(line.ops[i]!);
  return `${head},"data":[${ops.join(',')}]}}\n`;
}

/** One op of a data line as JSON text (`data` is a JSON string; REMOVE, MOVE and CLEAR carry none). */
function oplogEntryText(entry: OplogEntry): string {
  const head = `{"op_id":"${formatOpId(entry.opId)}","op":"${entry.op}"`;
  const sum = checksum(entry.checksum, `op ${entry.opId}`);
  switch (entry.op) {
    case 'PUT':
      if (typeof entry.data !== 'string')
        throw new SyncLineError(`PUT ${entry.opId}: data must be a JSON string`);
      return (
        `${head},"object_type":${JSON.stringify(entry.objectType)},"object_id":${JSON.stringify(entry.objectId)}` +
        `,"data":${JSON.stringify(entry.data)},"checksum":${sum},"subkey":${JSON.stringify(entry.subkey)}}`
      );
    case 'REMOVE':
      return (
        `${head},"object_type":${JSON.stringify(entry.objectType)},"object_id":${JSON.stringify(entry.objectId)}` +
        `,"checksum":${sum},"subkey":${JSON.stringify(entry.subkey)}}`
      );
    case 'MOVE':
    case 'CLEAR':
      return `${head},"checksum":${sum}}`;
  }
}

function writeCheckpoint(value: bigint | null | undefined): WireObject {
  return value == null ? {} : { write_checkpoint: formatOpId(value) };
}

function bucketEntry(entry: BucketChecksumEntry): WireObject {
  return {
    bucket: entry.bucket,
    checksum: checksum(entry.checksum, `bucket ${entry.bucket}`),
    ...(entry.count === undefined ? {} : { count: entry.count }),
    ...(entry.priority === undefined ? {} : { priority: priority(entry.priority) }),
    ...(entry.subscriptions === undefined ? {} : { subscriptions: entry.subscriptions }),
  };
}

function streamDescription(stream: StreamDescription): WireObject {
  return { name: stream.name, is_default: stream.isDefault, errors: stream.errors };
}

function checksum(value: number, what: string): number {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value > 2 ** 32 - 1) {
    throw new SyncLineError(`${what}: checksum ${value} is not a 32-bit integer`);
  }
  return value;
}

function priority(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value === 2 ** 31 - 1) {
    throw new SyncLineError(`priority ${value} must be an integer >= 0 and not 2^31-1`);
  }
  return value;
}
