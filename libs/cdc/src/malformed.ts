// The value a decoder returns instead of throwing: why a record could not be decoded and where it
// is, so the evaluator can forward it to the dead-letter topic, count it and keep going.
import type { MalformedReason } from '@syncline/errors';
import type { RecordPosition } from './record';

/** Why a record was rejected: defined with every dead-letter reason and its code. */
export type { MalformedReason };

/** The transaction a rejected change record still names, when its `transaction` block is readable. */
export interface SalvagedTransaction {
  readonly xid: bigint;
  /** The event's own LSN (`source.lsn`), else the LSN in the transaction id. */
  readonly lsn: bigint;
  readonly totalOrder: number;
}

/** A record the decoder rejected. Returned, never thrown. */
export class MalformedRecord extends Error {
  override readonly name = 'MalformedRecord';
  readonly kind = 'malformed' as const;
  /**
   * Set by decodeChange when the record is rejected but its transaction block is readable: such a
   * record is counted in its transaction's END, so the evaluator must still count it as processed.
   */
  transaction: SalvagedTransaction | null = null;

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
