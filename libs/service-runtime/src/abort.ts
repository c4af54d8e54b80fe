// Waiting that a stop can cut short: a start-up step or a pause between attempts ends as soon as
// the service's AbortSignal fires, so a stop never waits for a dependency that is down.
import { SynclineError } from '@syncline/errors';

/** Stop requested before start-up finished: not a failure (exit 0). */
export class StoppedError extends SynclineError {
  override readonly name = 'StoppedError';
  readonly code = 'SYNC_E001';
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/** Settles with `promise`, or rejects with StoppedError as soon as `signal` aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(new StoppedError(`stopped while waiting for ${what}`));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new StoppedError(`stopped while waiting for ${what}`));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
