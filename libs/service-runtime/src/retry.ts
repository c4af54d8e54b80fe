// Start-up steps that wait for a dependency (Kafka, the schema registry) retry with backoff
// while it is down, stop at once on a stop, and close what an abandoned attempt opens later.
import type { ErrorCode } from '@syncline/errors';
import { abortable, sleep, StoppedError } from './abort';

const UNAVAILABLE: ErrorCode = 'SYNC_E501';

/** The one logger call retry makes (a pino Logger fits). */
export interface RetryLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Retries a start-up step with backoff while a dependency is down (until stopped). A stop does
 * not wait for the attempt in flight; what that attempt still opens is closed when it settles,
 * and `lateCloses` receives that closing so a shutdown can wait for it. An error whose
 * `retriable` is false is rethrown at once.
 */
export async function retry<T extends { close(): Promise<void> }>(
  what: string,
  logger: RetryLogger,
  signal: AbortSignal,
  lateCloses: Array<Promise<unknown>>,
  step: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const attemptDone = step();
    try {
      return await abortable(attemptDone, signal, what);
    } catch (error) {
      if (error instanceof StoppedError || signal.aborted) {
        lateCloses.push(attemptDone.then((opened) => opened.close()).catch(() => undefined));
        throw new StoppedError(`stopped while waiting for ${what}`);
      }
      if ((error as { retriable?: boolean }).retriable === false) throw error;
      const delay = Math.min(500 * 2 ** attempt, 15_000);
      logger.warn({ err: error, attempt, delay, code: UNAVAILABLE }, `${what} unavailable; retrying`);
      await sleep(delay, signal);
    }
  }
}
