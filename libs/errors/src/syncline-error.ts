// The base class of every error a user can see, and what follows from its code: category,
// retriable, fix, and the exit code of a process that ends on it.
import { CATEGORIES, type ErrorCategory } from './categories';
import { ERRORS, type ErrorCode } from './codes';

/**
 * An error with a stable code from the table in codes.ts. Subclasses keep their own name and
 * message and declare `readonly code`; the rest is looked up, so it cannot drift from the docs.
 */
export abstract class SynclineError extends Error {
  abstract readonly code: ErrorCode;

  get category(): ErrorCategory {
    return ERRORS[this.code].category;
  }

  /** True when the same operation may succeed later unchanged. */
  get retriable(): boolean {
    return ERRORS[this.code].retriable;
  }

  /** The table's one-line fix (a message may say more about this occurrence). */
  get fix(): string {
    return ERRORS[this.code].fix;
  }
}

/**
 * The SynclineError deepest in `error`'s `cause` chain: the most specific account of what went
 * wrong (a wrapper adds context, the root says what to fix). Null when the chain has none.
 */
export function rootSynclineError(error: unknown): SynclineError | null {
  let found: SynclineError | null = null;
  const seen = new Set<unknown>();
  for (let e: unknown = error; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof SynclineError) found = e;
  }
  return found;
}

/**
 * Exit code of a process that ends on `error`, by the category of its root SynclineError:
 * 0 stopped, 2 misconfigured (configuration, sync rules, command line), 1 anything else.
 */
export function exitCodeOf(error: unknown): 0 | 1 | 2 {
  const root = rootSynclineError(error);
  return root === null ? 1 : CATEGORIES[root.category].exitCode;
}

/** `[SYNC_E102] message` when the cause chain has a code, else the message alone. */
export function codedMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const root = rootSynclineError(error);
  return root === null ? message : `[${root.code}] ${message}`;
}

/** What a process that ends on `error` prints: a coded error's message (written for the user), else the stack (a bug). */
export function failureMessage(error: unknown): string {
  if (rootSynclineError(error) !== null) return codedMessage(error);
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
