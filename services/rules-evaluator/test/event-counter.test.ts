// The counter wakes this instance's coordinator once events are counted (never before the count
// is stored, and not for a batch that counted nothing).
import { firstGeneration } from '@syncline/protocol';
import { EventCounter } from '../src/event-counter';
import type { ProgressStore } from '../src/ports';
import { WakeUp } from '../src/wake-up';

describe('EventCounter', () => {
  it('wakes its waiter after the counts are stored, and only when it counted events', async () => {
    const log: string[] = [];
    const store: ProgressStore = {
      countEvents: async (_partition, _next, _reached, transactions) => {
        log.push(`stored ${transactions.length}`);
        return { counted: transactions.length, previousProgress: null, refused: false };
      },
      partitionProgress: async () => null,
    };
    const counted = new WakeUp();
    const counter = new EventCounter(store, firstGeneration(), counted);
    const woken = counted.wait(10_000).then(() => log.push('woken'));
    await counter.count('t/0', 5n, null, []);
    await counter.count('t/0', 7n, 3n, [
      { endOffset: 3n, totalOrder: 1 },
      { endOffset: 3n, totalOrder: 2 },
    ]);
    await woken;
    expect(log).toEqual(['stored 0', 'stored 1', 'woken']);
  });
});
