// What stops the evaluator (exit 1 with the documented message) instead of being retried. Limits
// of the op-id layout: an op id that cannot be formed must never be retried as a batch (that loops
// forever) nor be dead-lettered (that would publish checkpoints without the event). Redis that lost
// writes: the in-memory state of every loop is ahead of it, and only a restart re-derives it.
import { SynclineError } from '@syncline/errors';
import { OpIdRangeError } from '@syncline/protocol';
import {
  SnapshotAfterStreamingError,
  SnapshotNumberingError,
  SnapshotWindowError,
} from './snapshot-numbering';
import { TransactionOutsideWindowError, TransactionRewindError } from './transaction-tracker';

/** Fatal: configuration or layout limits; the evaluator stops and reports. */
export class ProcessingHaltedError extends SynclineError {
  override readonly name = 'ProcessingHaltedError';
  readonly code = 'SYNC_E401';
}

/** Redis holds less than this instance wrote (restored, failed over with loss, or wiped): fatal. */
export class RedisStateLostError extends SynclineError {
  override readonly name = 'RedisStateLostError';
  readonly code = 'SYNC_E405';
}

/** Errors that stop the evaluator (exit 1) instead of being retried. */
export function isFatal(error: unknown): error is SynclineError {
  return (
    error instanceof ProcessingHaltedError ||
    error instanceof RedisStateLostError ||
    error instanceof TransactionRewindError ||
    error instanceof TransactionOutsideWindowError ||
    error instanceof SnapshotWindowError ||
    error instanceof SnapshotAfterStreamingError
  );
}

/** True for the errors of op-id assignment past its limits. */
export function isLayoutLimit(error: unknown): error is Error {
  return error instanceof OpIdRangeError || error instanceof SnapshotNumberingError;
}

/** `error` as the evaluator must see it: a layout limit becomes ProcessingHaltedError (its cause). */
export function haltOnLayoutLimit(error: unknown): unknown {
  return isLayoutLimit(error) ? new ProcessingHaltedError(error.message, { cause: error }) : error;
}
