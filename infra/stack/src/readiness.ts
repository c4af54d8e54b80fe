// Waiting for real readiness: poll a probe until it answers, never sleep and hope.
import { ReadinessTimeoutError } from './errors';
import { sleep } from './processes';

export interface WaitOptions {
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Called between attempts; throw from it to give up early (e.g. the process died). */
  readonly check?: () => void;
  readonly hint?: string;
  /** Errors for which retrying is pointless (e.g. a FAILED connector): rethrown at once. */
  readonly isFatal?: (err: unknown) => boolean;
}

/** Polls `probe` until it resolves truthy; the last failure becomes the timeout's cause. */
export async function waitUntil<T>(
  probe: () => Promise<T | undefined | false>,
  opts: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    opts.check?.();
    try {
      const result = await probe();
      if (result) return result;
    } catch (err) {
      if (opts.isFatal?.(err)) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new ReadinessTimeoutError(
        `${opts.what} was not ready after ${Math.round(opts.timeoutMs / 1000)} s${why}`,
        opts.hint ?? 'see the component log under the stack directory (syncline stack status shows it)',
        { cause: lastError },
      );
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** GET a URL with a short timeout; resolves with status and body text. */
export async function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}
