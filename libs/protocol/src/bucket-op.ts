// The one bucket-op type: what the evaluator plans, the bucket store keeps, the bucket reader
// returns, the bucket topic carries (plus its source position) and the gateway streams.
export type BucketOpKind = 'PUT' | 'REMOVE';

export interface BucketOp {
  readonly bucket: string;
  readonly op: BucketOpKind;
  /** Signed 64-bit, commit ordered (see op-id.ts); a decimal string on the wire. */
  readonly opId: bigint;
  /** Output table of the row. */
  readonly objectType: string;
  /** Row id (text). */
  readonly objectId: string;
  /** Identifies the source row within the bucket (one source row may put several output rows). */
  readonly subkey: string;
  /** PUT: the row as JSON text, exactly the text the checksum covers; REMOVE: null. */
  readonly data: string | null;
  /** Unsigned 32-bit op checksum. */
  readonly checksum: number;
}
