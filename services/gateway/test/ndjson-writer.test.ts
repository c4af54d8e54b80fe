// A client that stops reading: the writer waits for 'drain' and, past the slow-client limit,
// fails with SYNC_E811 instead of buffering more.
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { NdjsonWriter, SlowClientError, ClientGoneError } from '../src/ndjson-writer';

class StuckResponse extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  written: string[] = [];
  full = false;
  write(text: string): boolean {
    this.written.push(text);
    return !this.full;
  }
  end(): void {
    this.writableEnded = true;
  }
}

describe('NdjsonWriter', () => {
  it('waits for drain while the client reads', async () => {
    const res = new StuckResponse();
    const writer = new NdjsonWriter(res as unknown as ServerResponse, 1000);
    res.full = true;
    const pending = writer.write({ kind: 'token_expires_in', seconds: 5 });
    setTimeout(() => res.emit('drain'), 20);
    await pending;
    expect(res.written).toEqual(['{"token_expires_in":5}\n']);
  });

  it('disconnects a client that stays too slow, and stops on a closed one', async () => {
    const res = new StuckResponse();
    res.full = true;
    const writer = new NdjsonWriter(res as unknown as ServerResponse, 50);
    await expect(writer.write({ kind: 'token_expires_in', seconds: 5 })).rejects.toBeInstanceOf(
      SlowClientError,
    );
    const closed = new NdjsonWriter(res as unknown as ServerResponse, 1000);
    const pending = closed.write({ kind: 'token_expires_in', seconds: 5 });
    res.emit('close');
    await expect(pending).rejects.toBeInstanceOf(ClientGoneError);
    res.destroyed = true;
    await expect(closed.write({ kind: 'token_expires_in', seconds: 1 })).rejects.toBeInstanceOf(
      ClientGoneError,
    );
  });
});
