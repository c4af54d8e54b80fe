// The newest checkpoint a stream's subscription delivered, taken as it comes (not when the stream
// is ready for it), so a long download can see that a newer checkpoint is waiting.
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId } from '@syncline/protocol';

export class LatestCheckpoint {
  private latest: Checkpoint | null = null;
  private failure: { readonly error: unknown } | null = null;
  private wake: (() => void) | null = null;
  /** Settles when the subscription ends (its signal aborted) or failed. */
  readonly done: Promise<void>;

  constructor(source: AsyncIterable<Checkpoint>) {
    this.done = this.pump(source);
  }

  /** True when a checkpoint newer than `opId` arrived. Throws what the subscription failed with. */
  newerThan(opId: bigint): boolean {
    if (this.failure !== null) throw this.failure.error;
    return this.latest !== null && parseOpId(this.latest.lastOpId) > opId;
  }

  /** The newest checkpoint after `opId`, once there is one; null when `signal` aborts first. */
  async next(opId: bigint, signal: AbortSignal): Promise<Checkpoint | null> {
    while (!this.newerThan(opId)) {
      if (signal.aborted) return null;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener('abort', done);
          this.wake = null;
          resolve();
        };
        signal.addEventListener('abort', done);
        this.wake = done;
      });
    }
    return this.latest;
  }

  private async pump(source: AsyncIterable<Checkpoint>): Promise<void> {
    try {
      for await (const checkpoint of source) {
        this.latest = checkpoint;
        this.wake?.();
      }
    } catch (error) {
      this.failure = { error };
      this.wake?.();
    }
  }
}
