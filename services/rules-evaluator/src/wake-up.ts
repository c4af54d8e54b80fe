// Lets a loop sleep until another part of the process says there may be something new, or until a
// timeout: the transaction reader wakes the events waiting for an END and the coordinator when it
// learns a transaction; the change processor wakes the coordinator when it counted events, so the
// leader sees its own instance's last event of a transaction at once instead of at its next poll.
export class WakeUp {
  private readonly waiters = new Set<() => void>();
  private woken = 0;

  /** How many times wake() was called: a loop compares it across a step to see news it missed. */
  get wakes(): number {
    return this.woken;
  }

  /** Wakes every current waiter. */
  wake(): void {
    this.woken++;
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const done of waiting) done();
  }

  /** Resolves at the next wake(), after `ms`, or when `signal` aborts. */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return WakeUp.any([this], ms, signal);
  }

  /** Resolves at the next wake() of any of `sources`, after `ms`, or when `signal` aborts. */
  static any(sources: readonly WakeUp[], ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        for (const source of sources) source.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      if (signal?.aborted) return done();
      for (const source of sources) source.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }
}
