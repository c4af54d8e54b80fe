// One run of a service that a stop may end at any moment, start-up included: the AbortSignal
// threaded through start-up and the run loops, run-once and stop-once, and the order a stop
// closes things in (the body first, so every resource it opened is known, then late closes).
import { setMaxListeners } from 'node:events';
import { StoppedError } from './abort';

export class StoppableRun {
  private readonly controller = stopSignalController();
  private body: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Closing of what start-up steps in flight at a stop opened after it (see retry). */
  readonly lateCloses: Array<Promise<unknown>> = [];

  /**
   * @param runBody start-up and run loops; ends when the signal aborts (or rejects on a fatal error)
   * @param close closes what runBody opened; called once, after runBody and the late closes settled
   */
  constructor(
    private readonly runBody: (signal: AbortSignal) => Promise<void>,
    private readonly close: () => Promise<void>,
  ) {}

  /** Aborted by stop() and by abort(). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs the body once; every call returns that run. Rejects with StoppedError after a stop. */
  run(): Promise<void> {
    if (this.body === null && this.stopping !== null)
      return Promise.reject(new StoppedError('stopped before it ran'));
    this.body ??= this.runBody(this.controller.signal);
    return this.body;
  }

  /** Ends the body's waits without closing anything (a fatal error); stop() still closes. */
  abort(): void {
    this.controller.abort();
  }

  /** Aborts, waits for the body, then for the late closes, then closes. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.controller.abort();
    // A stop during start-up must not race it: start-up steps end at the abort (or finish the
    // one in flight), and only then is every resource they opened known and closed.
    await this.body?.catch(() => undefined);
    await Promise.allSettled(this.lateCloses);
    await this.close();
  }
}

/**
 * The controller of a service's stop signal. Every wait in flight listens to it (each partition's
 * batch waiting for its transaction's END, the coordinator, the readers) and removes its listener
 * when it ends, so the listeners follow the load: Node's leak warning at 11 listeners would be a
 * false alarm on stderr under load (seen at 2,800 tx/s), so the signal has no such limit.
 */
function stopSignalController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(Infinity, controller.signal);
  return controller;
}
