// A verification client for Syncline's gateway: opens POST /sync/stream, parses the NDJSON lines,
// applies them to a ClientState (which checks every checksum and the protocol's rules), and
// reconnects with the `after` op ids it holds. Used by tests and by the load generator.
import { ClientState, type CompletedCheckpoint } from './client-state';

export interface SyncClientOptions {
  /** Gateway base URL, without a trailing slash. */
  readonly endpoint: string;
  readonly token: string;
  readonly clientId?: string;
  readonly parameters?: Record<string, unknown>;
  /** Called with every parsed line before it is applied (tests check lines as they come). */
  readonly onLine?: (line: Record<string, unknown>) => void;
  /** What a device already holds (a reconnect elsewhere); a new, empty state when absent. */
  readonly state?: ClientState;
}

export class SyncStreamError extends Error {
  override readonly name = 'SyncStreamError';
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`POST /sync/stream answered ${status}: ${body}`);
  }
}

export class SyncClient {
  readonly state: ClientState;
  readonly lines: Array<Record<string, unknown>> = [];
  private abort: AbortController | null = null;
  private running: Promise<void> | null = null;
  private waiters: Array<() => void> = [];
  /** Why the last stream ended (null while it runs, or after a clean end). */
  error: unknown = null;

  constructor(readonly options: SyncClientOptions) {
    this.state = options.state ?? new ClientState();
  }

  /** Opens a stream (resuming with the buckets held); resolves once its response has begun. */
  async connect(): Promise<void> {
    this.abort = new AbortController();
    const res = await fetch(`${this.options.endpoint}/sync/stream`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Token ${this.options.token}`,
        accept: 'application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8',
      },
      body: JSON.stringify({
        buckets: this.state.bucketRequests(),
        include_checksum: true,
        raw_data: true,
        binary_data: true,
        client_id: this.options.clientId ?? 'verify-client',
        parameters: this.options.parameters ?? {},
      }),
      signal: this.abort.signal,
    });
    if (!res.ok || res.body === null) throw new SyncStreamError(res.status, await res.text());
    this.error = null;
    this.running = this.read(res.body).catch((error: unknown) => {
      if (!this.abort?.signal.aborted) this.error = error;
    });
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const text = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (text === '') continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        this.lines.push(line);
        this.options.onLine?.(line);
        this.state.apply(line);
        this.wake();
      }
    }
    this.wake();
  }

  /** Resolves once a completed checkpoint satisfies `done` (checked as each one completes). */
  async waitFor(
    what: string,
    done: (checkpoint: CompletedCheckpoint) => boolean,
    timeoutMs = 60_000,
  ): Promise<CompletedCheckpoint> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last = this.state.lastCompleted;
      if (last !== null && done(last)) return last;
      if (this.error !== null) throw this.error;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `${what}: not within ${timeoutMs} ms; last checkpoint ${last?.lastOpId ?? 'none'}, failures: ${this.state.failures.join('; ')}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Ends the stream (the state stays, for a reconnect). */
  async close(): Promise<void> {
    this.abort?.abort();
    await this.running;
    this.running = null;
  }

  /** Resolves when the server ends the stream. */
  async ended(): Promise<void> {
    await this.running;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
