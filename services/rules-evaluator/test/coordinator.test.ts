import { completePrefix, expectedEvents } from '../src/coordinator';
import { snapshotComplete, windowPassed } from '../src/snapshot-gates';

describe('checkpoint advancement', () => {
  const consumed = (c: string) => c === 's.accounts' || c === 'LOGICAL_DECODING_MESSAGE';

  it('counts only the events of consumed collections', () => {
    expect(
      expectedEvents(
        new Map([
          ['s.accounts', 2],
          ['s.other', 5],
          ['LOGICAL_DECODING_MESSAGE', 1],
        ]),
        consumed,
      ),
    ).toBe(3);
    expect(expectedEvents(new Map([['s.other', 5]]), consumed)).toBe(0);
  });

  it.each([
    { expected: [2, 0, 3], processed: [2, 0, 3], n: 3, why: 'all complete' },
    {
      expected: [2, 0, 3],
      processed: [2, 0, 2],
      n: 2,
      why: 'stops before a transaction with a missing event',
    },
    {
      expected: [2, 1, 3],
      processed: [1, 1, 3],
      n: 0,
      why: 'a later complete transaction never passes an incomplete earlier one',
    },
    {
      expected: [0, 0],
      processed: [0, 0],
      n: 2,
      why: 'transactions touching no consumed collection advance too',
    },
    { expected: [], processed: [], n: 0, why: 'nothing pending' },
  ])('advances over the complete prefix: $why', ({ expected, processed, n }) => {
    expect(completePrefix(expected, processed)).toBe(n);
  });

  it('waits for the snapshot until each partition reached its high-water mark or streamed', () => {
    const hwm = { 't/0': '10', 't/1': '5', 't/2': '0' };
    expect(
      snapshotComplete(
        hwm,
        new Map([
          ['t/0', 10n],
          ['t/1', 4n],
        ]),
        new Map(),
      ),
    ).toBe(false);
    expect(
      snapshotComplete(
        hwm,
        new Map([
          ['t/0', 10n],
          ['t/1', 4n],
        ]),
        new Map([['t/1', 1n]]),
      ),
    ).toBe(true);
    expect(
      snapshotComplete(
        hwm,
        new Map([
          ['t/0', 10n],
          ['t/1', 5n],
        ]),
        new Map(),
      ),
    ).toBe(true);
    expect(snapshotComplete({}, new Map(), new Map())).toBe(true);
  });

  it('holds a snapshot window until every partition is past its rows', () => {
    const marks = new Map([
      ['t/0', 50n],
      ['t/1', 20n],
    ]);
    // t/1 has not reached its mark and has processed nothing of a later transaction.
    expect(
      windowPassed(
        9n,
        marks,
        new Map([
          ['t/0', 50n],
          ['t/1', 19n],
        ]),
        new Map([['t/1', 9n]]),
      ),
    ).toBe(false);
    // Its mark reached, or an event of a transaction after the window's END processed.
    expect(
      windowPassed(
        9n,
        marks,
        new Map([
          ['t/0', 50n],
          ['t/1', 20n],
        ]),
        new Map(),
      ),
    ).toBe(true);
    expect(
      windowPassed(
        9n,
        marks,
        new Map([
          ['t/0', 51n],
          ['t/1', 3n],
        ]),
        new Map([['t/1', 11n]]),
      ),
    ).toBe(true);
    // A partition not consumed yet (a new table's topic) holds it.
    expect(windowPassed(9n, marks, new Map([['t/0', 50n]]), new Map())).toBe(false);
  });
});
