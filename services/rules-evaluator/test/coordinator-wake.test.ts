// The leader with nothing to publish sleeps until news: a transaction the reader learns, this
// instance's processor counting events, or its poll interval (other instances' counts).
import { WakeUp } from '../src/wake-up';
import { checkpointAt, coordinatorOver, SharedState } from './coordinator-fakes';
import { workload } from './workload';

describe('the coordinator waking on news', () => {
  afterEach(() => jest.useRealTimers());

  async function leaderWaitingForCounts() {
    const { tx } = await workload();
    const [first, second] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    const localCounts = new WakeUp();
    jest.useFakeTimers();
    const coordinator = coordinatorOver(state, tx, { localCounts });
    const stop = new AbortController();
    const running = coordinator.run(stop.signal);
    await jest.advanceTimersByTimeAsync(1);
    expect(coordinator.isLeader).toBe(true);
    expect(state.published).toEqual([]);
    // The second transaction's two events are counted now (by some instance).
    state.counts.set(second, 2);
    return { state, localCounts, second, stop, running };
  }

  it('looks at once when this instance counted events', async () => {
    const { state, localCounts, second, stop, running } = await leaderWaitingForCounts();
    localCounts.wake();
    await jest.advanceTimersByTimeAsync(1);
    expect(state.published.map((c) => c.endOffset)).toEqual([second.toString()]);
    stop.abort();
    await jest.advanceTimersByTimeAsync(1);
    await running;
  });

  it("sees another instance's counts at its next poll", async () => {
    const { state, second, stop, running } = await leaderWaitingForCounts();
    await jest.advanceTimersByTimeAsync(1);
    expect(state.published).toEqual([]);
    await jest.advanceTimersByTimeAsync(25);
    expect(state.published.map((c) => c.endOffset)).toEqual([second.toString()]);
    stop.abort();
    await jest.advanceTimersByTimeAsync(1);
    await running;
  });
});

describe('the coordinator and news during its step', () => {
  afterEach(() => jest.useRealTimers());

  it('looks again at once when a count landed while its step ran', async () => {
    const { tx } = await workload();
    const [first, second] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    const localCounts = new WakeUp();
    // The step reads the counts before they are complete; right after, this instance stores them.
    const read = state.processedCounts.bind(state);
    let landed = false;
    state.processedCounts = async (endOffsets) => {
      const counts = await read(endOffsets);
      if (!landed) {
        landed = true;
        state.counts.set(second, 2);
        localCounts.wake();
      }
      return counts;
    };
    jest.useFakeTimers();
    const coordinator = coordinatorOver(state, tx, { localCounts });
    const stop = new AbortController();
    const running = coordinator.run(stop.signal);
    await jest.advanceTimersByTimeAsync(1);
    expect(landed).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([second.toString()]);
    stop.abort();
    await jest.advanceTimersByTimeAsync(1);
    await running;
  });
});

describe('WakeUp', () => {
  it('resolves on a wake of any of its sources, on the timeout and on abort', async () => {
    const [a, b] = [new WakeUp(), new WakeUp()];
    const order: string[] = [];
    const first = WakeUp.any([a, b], 10_000).then(() => order.push('b woke'));
    b.wake();
    await first;
    const second = a.wait(10_000).then(() => order.push('a woke'));
    b.wake(); // not a source of this wait
    a.wake();
    await second;
    await a.wait(1).then(() => order.push('timed out'));
    expect([a.wakes, b.wakes]).toEqual([1, 2]);
    const stop = new AbortController();
    const third = b.wait(10_000, stop.signal).then(() => order.push('aborted'));
    stop.abort();
    await third;
    await b.wait(10_000, stop.signal).then(() => order.push('already aborted'));
    expect(order).toEqual(['b woke', 'a woke', 'timed out', 'aborted', 'already aborted']);
  });
});
