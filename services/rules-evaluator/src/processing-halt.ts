// Limits of the op-id layout are fatal: an op id that cannot be formed must stop the evaluator
// with the documented message (exit 1), never be retried as a batch (that loops forever) nor be
// dead-lettered (that would publish checkpoints without the event).
import { SynclineError } from '@syncline/errors';
import { OpIdRangeError } from '@syncline/protocol';
import { SnapshotNumberingError } from './snapshot-numbering';

/** Fatal: configuration or layout limits; the evaluator stops and reports. */
export class ProcessingHaltedError extends SynclineError {
  override readonly name = 'ProcessingHaltedError';
  readonly code = 'SYNC_E401';
}

/** True for the errors of op-id assignment past its limits. */
export function isLayoutLimit(error: unknown): error is Error {
  return error instanceof OpIdRangeError || error instanceof SnapshotNumberingError;
}

/** `error` as the evaluator must see it: a layout limit becomes ProcessingHaltedError (its cause). */
export function haltOnLayoutLimit(error: unknown): unknown {
  return isLayoutLimit(error) ? new ProcessingHaltedError(error.message, { cause: error }) : error;
}
