// sleep and abortable: the two waits a stop cuts short.
import { abortable, sleep, StoppedError } from '../src';

describe('sleep', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves after the given time', async () => {
    jest.useFakeTimers();
    let done = false;
    const slept = sleep(1000).then(() => (done = true));
    await jest.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await slept;
    expect(done).toBe(true);
  });

  it('resolves as soon as the signal aborts, and leaves no timer behind', async () => {
    jest.useFakeTimers();
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('abortable', () => {
  it('settles with the promise while the signal is not aborted', async () => {
    const controller = new AbortController();
    await expect(abortable(Promise.resolve(7), controller.signal, 'x')).resolves.toBe(7);
    const failure = new Error('down');
    await expect(abortable(Promise.reject(failure), controller.signal, 'x')).rejects.toBe(failure);
  });

  it('rejects with StoppedError naming what it waited for when the signal aborts', async () => {
    const controller = new AbortController();
    const waiting = abortable(new Promise<never>(() => undefined), controller.signal, 'redis');
    controller.abort();
    await expect(waiting).rejects.toThrow(new StoppedError('stopped while waiting for redis'));
    await expect(waiting).rejects.toBeInstanceOf(StoppedError);
    await expect(waiting).rejects.toMatchObject({ name: 'StoppedError', code: 'SYNC_E001' });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(abortable(Promise.resolve(1), controller.signal, 'kafka')).rejects.toBeInstanceOf(
      StoppedError,
    );
  });

  it('turns a rejection that is not an Error into one', async () => {
    const rejected = abortable(Promise.reject('plain string'), new AbortController().signal, 'x');
    await expect(rejected).rejects.toThrow(new Error('plain string'));
  });
});
