// retry with scripted start-up steps: backoff while a dependency is down, non-retriable errors
// at once, and a stop that does not wait for the attempt in flight but closes what it opens.
import { retry, StoppedError, type RetryLogger } from '../src';

class Opened {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

function recordingLogger(): RetryLogger & {
  warnings: Array<{ fields: Record<string, unknown>; message: string }>;
} {
  const warnings: Array<{ fields: Record<string, unknown>; message: string }> = [];
  return { warnings, warn: (fields, message) => warnings.push({ fields, message }) };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('retry', () => {
  afterEach(() => jest.useRealTimers());

  it('returns what the first successful attempt opened', async () => {
    const opened = new Opened();
    const lateCloses: Array<Promise<unknown>> = [];
    const got = await retry(
      'kafka',
      recordingLogger(),
      new AbortController().signal,
      lateCloses,
      async () => opened,
    );
    expect(got).toBe(opened);
    expect(lateCloses).toEqual([]);
  });

  it('retries a failing step with doubling delays and logs each failure', async () => {
    jest.useFakeTimers();
    const logger = recordingLogger();
    const opened = new Opened();
    let attempts = 0;
    const step = async (): Promise<Opened> => {
      if (++attempts < 4) throw new Error('connection refused');
      return opened;
    };
    const result = retry('kafka', logger, new AbortController().signal, [], step);
    await jest.advanceTimersByTimeAsync(500 + 1000 + 2000);
    await expect(result).resolves.toBe(opened);
    expect(attempts).toBe(4);
    expect(logger.warnings.map((w) => [w.message, w.fields.attempt, w.fields.delay, w.fields.code])).toEqual([
      ['kafka unavailable; retrying', 0, 500, 'SYNC_E501'],
      ['kafka unavailable; retrying', 1, 1000, 'SYNC_E501'],
      ['kafka unavailable; retrying', 2, 2000, 'SYNC_E501'],
    ]);
  });

  it('caps the delay at 15 s', async () => {
    jest.useFakeTimers();
    const logger = recordingLogger();
    let attempts = 0;
    const result = retry('kafka', logger, new AbortController().signal, [], async () => {
      if (++attempts < 8) throw new Error('down');
      return new Opened();
    });
    await jest.advanceTimersByTimeAsync(500 + 1000 + 2000 + 4000 + 8000 + 15_000 + 15_000);
    await result;
    expect(logger.warnings.map((w) => w.fields.delay)).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000]);
  });

  it('rethrows an error whose retriable is false without retrying', async () => {
    const refused = Object.assign(new Error('topic has other settings'), { retriable: false });
    let attempts = 0;
    const result = retry('bucket topic', recordingLogger(), new AbortController().signal, [], async () => {
      attempts++;
      throw refused;
    });
    await expect(result).rejects.toBe(refused);
    expect(attempts).toBe(1);
  });

  it('on a stop, throws StoppedError at once and closes what the attempt in flight opens later', async () => {
    const controller = new AbortController();
    const lateCloses: Array<Promise<unknown>> = [];
    const attempt = deferred<Opened>();
    const result = retry('kafka', recordingLogger(), controller.signal, lateCloses, () => attempt.promise);
    controller.abort();
    await expect(result).rejects.toThrow(new StoppedError('stopped while waiting for kafka'));
    expect(lateCloses).toHaveLength(1);
    const opened = new Opened();
    attempt.resolve(opened);
    await Promise.all(lateCloses);
    expect(opened.closed).toBe(true);
  });

  it('on a stop during the backoff, ends with StoppedError instead of waiting out the delay', async () => {
    const controller = new AbortController();
    const lateCloses: Array<Promise<unknown>> = [];
    const logger = recordingLogger();
    const result = retry('kafka', logger, controller.signal, lateCloses, async () => {
      throw new Error('down');
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(logger.warnings).toHaveLength(1);
    controller.abort();
    await expect(result).rejects.toBeInstanceOf(StoppedError);
    await Promise.all(lateCloses);
  });
});
