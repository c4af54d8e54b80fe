// The wait of a primary-key change's insert for its old key's delete in another partition: it
// gives the batch back when the delete is not stored within the batch wait, goes on as soon as it
// is, and gives up (planning the insert without the old image) after the overall limit.
import pino from 'pino';
import type { RowStateRecord } from '@syncline/bucket-store';
import { MovedRowWait } from '../src/moved-row-wait';
import type { RowEvent } from '../src/prepared-event';

const event = {
  kind: 'row',
  offset: 7n,
  table: 's.items',
  pk: '{"id":2}',
  opId: 120n,
  unavailable: ['body'],
  keyChange: { from: '{"id":1}', since: 100n },
} as unknown as RowEvent;
const batch = {
  topic: 't',
  partition: 0,
  heartbeat: async () => undefined,
  signal: new AbortController().signal,
};
const logger = pino({ level: 'silent' });

function store(states: Array<RowStateRecord | null>) {
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    getRows: async () => [states[Math.min(reads++, states.length - 1)] ?? null],
  };
}

describe('MovedRowWait', () => {
  it("gives the batch back while the old key's delete is not stored", async () => {
    const rows = store([{ opId: 50n, state: '{}' }]);
    expect(await new MovedRowWait(rows, logger, 60_000, 250).wait(event, batch)).toBe(false);
    expect(rows.reads).toBeGreaterThan(1);
  });

  it('goes on once the delete of the same transaction is stored', async () => {
    const rows = store([null, { opId: 50n, state: '{}' }, { opId: 119n, state: '{}' }]);
    expect(await new MovedRowWait(rows, logger, 60_000, 5_000).wait(event, batch)).toBe(true);
    expect(rows.reads).toBe(3);
  });

  it('gives up after the overall limit, across given-back batches', async () => {
    // Generous margins: a busy CI machine can delay a 100 ms sleep by hundreds of ms.
    const wait = new MovedRowWait(store([null]), logger, 1500, 200);
    const started = Date.now();
    expect(await wait.wait(event, batch)).toBe(false);
    let gaveUp = false;
    while (!gaveUp) gaveUp = await wait.wait(event, batch);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });
});
