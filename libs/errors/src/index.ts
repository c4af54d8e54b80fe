// @syncline/errors: every error a Syncline user can see, in one table of stable codes (category,
// retriable, fix, HTTP status), the SynclineError base class and exit codes by category. Pure.
export { ERRORS, type ErrorCode } from './codes';
export type { ErrorSpec } from './error-spec';
export { CATEGORIES, type ErrorCategory, type CategorySpec } from './categories';
export { SynclineError, rootSynclineError, exitCodeOf, codedMessage, failureMessage } from './syncline-error';
export {
  deadLetterCode,
  DEAD_LETTER_REASONS,
  type DeadLetterReason,
  type MalformedReason,
} from './dead-letter';
