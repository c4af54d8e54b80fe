// Whole incremental snapshots: the connector's notifications say which snapshot runs, and the
// coordinator publishes no checkpoint covering one of its windows until it completed
// (docs/consistency.md §3.1). Notifications as Debezium 3.6.1 sends them (seen on the local stack).
import type { Admin, Kafka } from 'kafkajs';
import pino from 'pino';
import { IncrementalSnapshots } from '../src/incremental-snapshots';
import { NotificationReader } from '../src/notification-reader';
import { checkpointAt, coordinatorOver, SharedState } from './coordinator-fakes';
import { workload } from './workload';

const note = (
  type: string,
  extra: Record<string, string> = {},
  id = 'snap-1',
  aggregate = 'Incremental Snapshot',
) =>
  Buffer.from(
    JSON.stringify({
      schema: { type: 'struct', optional: false },
      payload: {
        id,
        type,
        aggregate_type: aggregate,
        additional_data: { connector_name: 'c', ...extra },
        timestamp: 1796303545539,
      },
    }),
  );
const started = (tables: string) => note('STARTED', { data_collections: tables });
const accounts = (collection: string) => collection === 's.accounts';

describe('IncrementalSnapshots', () => {
  it('knows a snapshot from STARTED until COMPLETED or ABORTED, with its progress', () => {
    const s = new IncrementalSnapshots();
    s.apply(note('SKIPPED', {}, 'x', 'Initial Snapshot'));
    expect(s.runningFor(accounts)).toBeNull();
    s.apply(started('s.accounts, s.other'));
    s.apply(
      note('IN_PROGRESS', {
        current_collection_in_progress: 's.accounts',
        maximum_key: '1000',
        last_processed_key: '300',
        data_collections: 's.accounts, s.other',
      }),
    );
    expect(s.runningFor(accounts)).toEqual({
      id: 'snap-1',
      collections: ['s.accounts', 's.other'],
      state: 'IN_PROGRESS',
      table: 's.accounts',
      lastKey: '300',
      maxKey: '1000',
    });
    s.apply(note('PAUSED'));
    expect(s.runningFor(accounts)?.state).toBe('PAUSED');
    expect(s.runningFor(accounts)?.lastKey).toBe('300'); // kept from the last notification that said
    s.apply(note('COMPLETED'));
    expect(s.runningFor(accounts)).toBeNull();
    s.apply(started('s.accounts'));
    s.apply(note('ABORTED'));
    expect(s.runningFor(accounts)).toBeNull();
  });

  it('ignores a snapshot of tables the evaluator does not consume, and counts what it cannot read', () => {
    const s = new IncrementalSnapshots();
    s.apply(started('s.elsewhere'));
    expect(s.runningFor(accounts)).toBeNull();
    s.apply(note('STARTED', {}, 'unnamed')); // tables not named: taken as running
    expect(s.runningFor(accounts)?.id).toBe('unnamed');
    s.apply(Buffer.from('not json'));
    s.apply(null);
    expect(s.unreadable).toBe(1);
  });
});

/** A reader whose topic has `high` records (or does not exist), fed by the test through ingest. */
function readerWith(topic: { exists: boolean; high: bigint }): NotificationReader {
  const admin = {
    listTopics: async () => (topic.exists ? ['p.notifications'] : []),
    fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: topic.high.toString(), low: '0' }],
  } as unknown as Admin;
  return new NotificationReader({
    kafka: {} as Kafka,
    admin,
    topic: 'p.notifications',
    groupId: 'g',
    logger: pino({ level: 'silent' }),
    onFatal: (error) => {
      throw error;
    },
  });
}

describe('NotificationReader', () => {
  it('skips records below its position (a rejoin reading STARTED again must not revive a snapshot)', () => {
    const reader = readerWith({ exists: true, high: 2n });
    reader.ingest(0, [
      { offset: '0', value: started('s.accounts') },
      { offset: '1', value: note('COMPLETED') },
    ]);
    expect(reader.readUpTo(new Map([[0, 2n]]))).toBe(true);
    reader.ingest(0, [{ offset: '0', value: started('s.accounts') }]);
    expect(reader.running(accounts)).toBeNull();
    expect(reader.readUpTo(new Map([[0, 3n]]))).toBe(false);
  });
});

describe('the coordinator with whole incremental snapshots', () => {
  /**
   * The workload's transactions with `s.accounts` as the signal table: every transaction is then
   * a snapshot window (no change partitions, so none waits for rows), and all are complete.
   */
  async function setUp(topic: { exists: boolean; high: bigint }, markSettleMs = 0) {
    const { tx } = await workload();
    // The transaction topic's end.
    const admin = {
      fetchTopicOffsets: async () => [
        { partition: 0, offset: '0', low: '0', high: tx.tracker.position.toString() },
      ],
    } as unknown as Admin;
    const ends = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!);
    const state = new SharedState();
    state.checkpoint = checkpointAt(ends[0]!);
    for (const end of ends.slice(1)) state.counts.set(end, 2);
    const reader = readerWith(topic);
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const coordinator = coordinatorOver(state, tx, {
      signalTable: 's.accounts',
      notifications: reader,
      logger,
      stallReportMs: 0,
      admin,
      markSettleMs,
    });
    await coordinator.holdLease();
    return { state, reader, coordinator, lines, last: ends[ends.length - 1]! };
  }

  it('holds the checkpoint before a window while its snapshot runs, and publishes it whole after', async () => {
    const topic = { exists: true, high: 1n };
    const { state, reader, coordinator, lines, last } = await setUp(topic);
    // The STARTED sent before the window is not read yet: held.
    expect(await coordinator.advance()).toBe(false);
    reader.ingest(0, [{ offset: '0', value: started('s.accounts') }]);
    expect(await coordinator.advance()).toBe(false);
    expect(lines[lines.length - 1]).toMatchObject({
      waitingFor: 'incremental-snapshot',
      snapshot: { id: 'snap-1', collections: ['s.accounts'] },
    });
    topic.high = 3n;
    reader.ingest(0, [{ offset: '1', value: note('IN_PROGRESS', { last_processed_key: '250' }) }]);
    expect(await coordinator.advance()).toBe(false);
    expect(state.published).toEqual([]);
    reader.ingest(0, [{ offset: '2', value: note('COMPLETED') }]);
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([last.toString()]);
  });

  it("covers the windows only together with the last one, whose END follows the snapshot's COMPLETED", async () => {
    const topic = { exists: true, high: 2n };
    const { state, reader, coordinator, last } = await setUp(topic);
    reader.ingest(0, [{ offset: '0', value: started('s.accounts') }]);
    // Debezium sends COMPLETED while it handles the last window's close watermark, before that
    // transaction's BEGIN and END: the last window is not complete when COMPLETED is read, but its
    // rows were placed.
    state.lastWindow = last;
    state.counts.delete(last);
    reader.ingest(0, [{ offset: '1', value: note('COMPLETED') }]);
    expect(await coordinator.advance()).toBe(false);
    expect(state.published).toEqual([]);
    state.counts.set(last, 2);
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([last.toString()]);
  });

  it('reads the marks that must hold the rows sent before a COMPLETED only once they settled', async () => {
    // Connect sends one batch per partition per request: rows sent before COMPLETED, in other
    // partitions, may land a few requests after it.
    const { state, reader, coordinator, last } = await setUp({ exists: true, high: 2n }, 150);
    state.lastWindow = last;
    reader.ingest(0, [
      { offset: '0', value: started('s.accounts') },
      { offset: '1', value: note('COMPLETED') },
    ]);
    expect(await coordinator.advance()).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    // The windows' marks settled; the marks read after COMPLETED not yet (first seen just now).
    expect(await coordinator.advance()).toBe(false);
    await new Promise((r) => setTimeout(r, 200));
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([last.toString()]);
  });

  it('passes windows one by one, and says why, when the connector sends no notifications', async () => {
    const { state, coordinator, lines, last } = await setUp({ exists: false, high: 0n });
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([last.toString()]);
    expect(lines.some((l) => /sends no notifications/.test(String(l['msg'])))).toBe(true);
  });
});

describe('the coordinator around a full snapshot taken after streaming began', () => {
  const full = (type: string) => note(type, {}, `n-${type}`, 'Initial Snapshot');

  async function setUp() {
    const { tx } = await workload();
    const ends = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!);
    const state = new SharedState();
    state.checkpoint = checkpointAt(ends[0]!);
    for (const end of ends.slice(1)) state.counts.set(end, 2);
    const topic = { exists: true, high: 0n };
    const reader = readerWith(topic);
    // The change topic's partition ends at 50; the transaction topic at 1000.
    const admin = {
      fetchTopicOffsets: async (t: string) => [
        { partition: 0, offset: '0', low: '0', high: t === 'unit.s.accounts' ? '50' : '1000' },
      ],
    } as unknown as Admin;
    const coordinator = coordinatorOver(state, tx, {
      fullSnapshots: {
        live: true,
        marks: () => reader.marks(),
        readUpTo: (m) => reader.readUpTo(m),
        snapshots: reader.snapshots,
      },
      changeTopics: async () => ['unit.s.accounts'],
      admin,
    });
    await coordinator.holdLease();
    let offset = 0;
    const feed = (...values: Buffer[]) => {
      reader.ingest(
        0,
        values.map((value) => ({ offset: String(offset++), value })),
      );
      topic.high = BigInt(offset);
    };
    return { state, coordinator, feed, ends };
  }

  it("lets the connector's first snapshot pass without a gate", async () => {
    const { state, coordinator, feed, ends } = await setUp();
    feed(full('STARTED'), full('COMPLETED'));
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([ends[ends.length - 1]!.toString()]);
  });

  it('holds while it runs, then passes only what precedes its anchor until every partition is past its rows', async () => {
    const { state, coordinator, feed, ends } = await setUp();
    feed(full('SKIPPED')); // snapshot.mode=no_data: the connector's first
    feed(full('STARTED'), full('IN_PROGRESS'));
    expect(await coordinator.advance()).toBe(false);
    feed(full('COMPLETED'));
    // No instance placed a row yet: nothing passes.
    expect(await coordinator.advance()).toBe(false);
    // Rows are placed at the fifth END: the ones before it may pass.
    state.anchor = ends[4]!;
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([ends[3]!.toString()]);
    expect(await coordinator.advance()).toBe(false);
    // The partition reached the anchor's transaction: it is past the rows.
    state.positions.streaming.set('unit.s.accounts/0', ends[4]!);
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset).pop()).toBe(ends[ends.length - 1]!.toString());
    expect(state.handled).toBe(3n);
    expect(state.anchor).toBeNull();
  });

  it('passes a partition processed up to the marks read after COMPLETED', async () => {
    const { state, coordinator, feed } = await setUp();
    feed(full('SKIPPED'), full('STARTED'), full('COMPLETED'));
    expect(await coordinator.advance()).toBe(false);
    state.positions.progress.set('unit.s.accounts/0', 50n);
    expect(await coordinator.advance()).toBe(true);
    // Passed once: a restart of the leader's term reads `handled` and sets no gate again.
    expect(state.handled).toBe(2n);
  });
});
