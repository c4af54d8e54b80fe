// StoppableRun: run once, stop once, and a stop that closes only after start-up and the late
// closes of abandoned attempts have settled.
import { getMaxListeners } from 'node:events';
import { sleep, StoppableRun, StoppedError } from '../src';

/** A body that runs until its signal aborts, then takes a tick to wind down. */
function recorder(): { events: string[]; run: StoppableRun } {
  const events: string[] = [];
  const run = new StoppableRun(
    async (signal) => {
      events.push('body started');
      await sleep(60_000, signal);
      await new Promise((resolve) => setImmediate(resolve));
      events.push('body ended');
    },
    async () => {
      events.push('closed');
    },
  );
  return { events, run };
}

describe('StoppableRun', () => {
  it('runs the body once however often run() is called', async () => {
    const { events, run } = recorder();
    const first = run.run();
    expect(run.run()).toBe(first);
    await run.stop();
    await first;
    expect(events.filter((e) => e === 'body started')).toHaveLength(1);
  });

  it('aborts the signal on stop and closes only after the body ended', async () => {
    const { events, run } = recorder();
    const running = run.run();
    expect(run.signal.aborted).toBe(false);
    await run.stop();
    expect(run.signal.aborted).toBe(true);
    expect(events).toEqual(['body started', 'body ended', 'closed']);
    await expect(running).resolves.toBeUndefined();
  });

  it('waits for late closes before closing', async () => {
    const events: string[] = [];
    const run = new StoppableRun(
      async (signal) => {
        await sleep(60_000, signal);
        run.lateCloses.push(sleep(20).then(() => events.push('late close done')));
      },
      async () => {
        events.push('closed');
      },
    );
    void run.run();
    await run.stop();
    expect(events).toEqual(['late close done', 'closed']);
  });

  it('closes once for any number of stops, and every stop waits for that closing', async () => {
    const { events, run } = recorder();
    void run.run();
    const first = run.stop();
    expect(run.stop()).toBe(first);
    await Promise.all([first, run.stop()]);
    expect(events.filter((e) => e === 'closed')).toHaveLength(1);
  });

  it('still closes when the body fails, and run() reports the failure', async () => {
    const closed: boolean[] = [];
    const run = new StoppableRun(
      async () => {
        throw new Error('fatal');
      },
      async () => {
        closed.push(true);
      },
    );
    const running = run.run();
    await expect(running).rejects.toThrow('fatal');
    await run.stop();
    expect(closed).toEqual([true]);
  });

  it('abort() ends the body without closing; stop() closes later', async () => {
    const { events, run } = recorder();
    const running = run.run();
    run.abort();
    await running;
    expect(events).toEqual(['body started', 'body ended']);
    await run.stop();
    expect(events).toEqual(['body started', 'body ended', 'closed']);
  });

  it('refuses to run after a stop, without starting the body', async () => {
    const { events, run } = recorder();
    await run.stop();
    await expect(run.run()).rejects.toBeInstanceOf(StoppedError);
    expect(events).toEqual(['closed']);
  });

  it('sets no listener limit on its signal: Node would warn of a leak past 10 waits', () => {
    // Under load every partition's batch may wait on the stop signal at once (11 were seen at
    // 2,800 tx/s); each removes its listener when its wait ends.
    const run = new StoppableRun(
      async () => undefined,
      async () => undefined,
    );
    expect(getMaxListeners(run.signal)).toBe(Infinity);
  });
});
