// The value a decoder returns instead of throwing: why a record could not be decoded and where it
// is, so the evaluator can forward it to the dead-letter topic, count it and keep going.
import type { RecordPosition } from './record';

export type MalformedReason =
  | 'invalid-utf8'
  | 'invalid-json'
  | 'missing-value'
  | 'wrong-type'
  | 'unknown-op'
  | 'unknown-status'
  | 'invalid-transaction-id'
  | 'invalid-sequence'
  | 'invalid-schema'
  | 'invalid-header'
  | 'inconsistent-record'
  | 'internal-error';

/** A record the decoder rejected. Returned, never thrown. */
export class MalformedRecord extends Error {
  override readonly name = 'MalformedRecord';
  readonly kind = 'malformed' as const;

  constructor(
    readonly reason: MalformedReason,
    readonly detail: string,
    readonly position: RecordPosition,
    options?: { cause?: unknown },
  ) {
    super(
      `${reason}: ${detail} (topic ${position.topic}, partition ${position.partition}, offset ${position.offset})`,
      options,
    );
  }
}

/** Thrown inside the decoders only; the record edge converts it into a MalformedRecord. */
export class RecordShapeError extends Error {
  override readonly name = 'RecordShapeError';
  constructor(
    readonly reason: MalformedReason,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export function isMalformed(value: unknown): value is MalformedRecord {
  return value instanceof MalformedRecord;
}
