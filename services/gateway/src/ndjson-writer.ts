// Writes sync lines to one HTTP response, each flushed as written, honouring backpressure: when
// the socket's buffer is full, the next write waits for 'drain'; a client that does not drain
// within the slow-client limit is disconnected (SYNC_E811), so a slow reader never grows the
// gateway's memory beyond one socket buffer and one page.
import type { ServerResponse } from 'node:http';
import { SynclineError } from '@syncline/errors';
import { serializeSyncLine, type SyncLine } from '@syncline/protocol';

export class SlowClientError extends SynclineError {
  override readonly name = 'SlowClientError';
  readonly code = 'SYNC_E811';
}

/** The client went away: the session ends quietly. */
export class ClientGoneError extends Error {
  override readonly name = 'ClientGoneError';
}

export class NdjsonWriter {
  bytes = 0;
  lines = 0;

  constructor(
    private readonly res: ServerResponse,
    private readonly slowClientMs: number,
  ) {}

  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  write(line: SyncLine): Promise<void> {
    const text = serializeSyncLine(line);
    return this.writeText(text, Buffer.byteLength(text));
  }

  /** A line serialized before (shared by connections), with its length in bytes. */
  async writeText(text: string, bytes: number): Promise<void> {
    if (this.closed) throw new ClientGoneError('the client closed the stream');
    this.bytes += bytes;
    this.lines++;
    if (this.res.write(text)) return;
    await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new SlowClientError(`the client read nothing for ${this.slowClientMs} ms with its buffer full`),
        );
      }, this.slowClientMs);
      const onDrain = (): void => {
        cleanup();
        resolve();
      };
      const onClose = (): void => {
        cleanup();
        reject(new ClientGoneError('the client closed the stream'));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
      };
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
  }

  end(): void {
    if (!this.closed) this.res.end();
  }
}
