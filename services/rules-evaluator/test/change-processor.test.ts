// The change processor over in-memory fakes of its ports (with Redis' idempotence: ops added once
// per op id, row states only moved forward, each (transaction, total_order) counted once): the write order, and that a
// crash at any write followed by a replay of the uncommitted batch ends in exactly the state of a
// run without a crash.
import type { KafkaMessage } from 'kafkajs';
import pino from 'pino';
import {
  MemoryBucketStore,
  type LookupWrite,
  type PutRowsOutcome,
  type RowStateRecord,
  type RowStateWrite,
  type CountResult,
  type TransactionEvents,
} from '@syncline/bucket-store';
import type { BucketOpRecord } from '@syncline/bucket-topic';
import {
  firstGeneration,
  MAX_OP_ID,
  transactionCheckpointOpId,
  windowOpId,
  type BucketOp,
  type WriteCheckpoint,
} from '@syncline/protocol';
import { consumedMessage, DebeziumRecordGenerator } from '@syncline/test-kit';
import { compileSyncRulesOrThrow } from '@syncline/sync-rules';
import { OpIdRangeError } from '@syncline/protocol';
import { ChangeProcessor, type ProcessorDeps } from '../src/change-processor';
import { isFatal, ProcessingHaltedError, RedisStateLostError } from '../src/processing-halt';
import {
  SnapshotAfterStreamingError,
  SnapshotNumberingError,
  SnapshotWindowError,
} from '../src/snapshot-numbering';
import { rowEvaluator } from '../src/evaluator';
import { createMetrics } from '../src/metrics';
import type { ProcessorCoordination, ProcessorStore } from '../src/ports';
import type { TransactionReader } from '../src/transaction-reader';
import { workload, type Workload } from './workload';

const RULES = compileSyncRulesOrThrow(
  `
bucket_definitions:
  by_branch:
    parameters: SELECT branch FROM accounts WHERE id = request.user_id()
    data:
      - SELECT id, balance, branch FROM accounts WHERE branch = bucket.branch
`,
  { defaultSchema: 's' },
);

/** Every write any fake takes goes through here: logged, and the `crashAt`-th one throws. */
class Journal {
  readonly log: string[] = [];
  crashAt: number | null = null;
  write(what: string): void {
    if (this.crashAt !== null && this.log.length === this.crashAt) {
      this.crashAt = null;
      throw new Error(`crash before ${what}`);
    }
    this.log.push(what);
  }
}

class FakeStore implements ProcessorStore {
  readonly buckets = new MemoryBucketStore();
  readonly rows = new Map<string, RowStateRecord>();
  constructor(private readonly journal: Journal) {}

  async addOps(ops: readonly BucketOp[]): Promise<number> {
    if (ops.length === 0) return 0;
    this.journal.write('ops');
    return this.buckets.addOps(ops);
  }
  async writeLookups(writes: readonly LookupWrite[]): Promise<void> {
    if (writes.length === 0) return;
    this.journal.write('lookups');
    await this.buckets.writeLookups(writes);
  }
  async getRows(rows: readonly { table: string; pk: string }[]): Promise<(RowStateRecord | null)[]> {
    return rows.map((r) => this.rows.get(`${r.table}/${r.pk}`) ?? null);
  }
  async putRows(rows: readonly RowStateWrite[]): Promise<PutRowsOutcome> {
    if (rows.length === 0) return { written: 0, truncated: [] };
    this.journal.write('rows');
    let written = 0;
    for (const r of rows) {
      const stored = this.rows.get(`${r.table}/${r.pk}`);
      if (stored !== undefined && stored.opId >= r.opId) continue;
      this.rows.set(`${r.table}/${r.pk}`, { opId: r.opId, state: r.state });
      written++;
    }
    return { written, truncated: [] };
  }
  /** Most tests have no truncate: one would throw. */
  truncates = false;
  async markTruncate(): Promise<void> {
    if (!this.truncates) throw new Error('no truncates in these tests');
  }
  async *scanTableRows(table: string): AsyncGenerator<Array<{ pk: string } & RowStateRecord>> {
    if (!this.truncates) throw new Error('no truncates in these tests');
    const prefix = `${table}/`;
    yield [...this.rows]
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, r]) => ({ pk: k.slice(prefix.length), ...r }));
  }
  async truncateRows(
    table: string,
    pks: readonly string[],
    opId: bigint,
    tombstone: string,
  ): Promise<string[]> {
    this.journal.write('truncate');
    const done: string[] = [];
    for (const pk of pks) {
      const stored = this.rows.get(`${table}/${pk}`);
      if (stored !== undefined && stored.opId >= opId) continue;
      this.rows.set(`${table}/${pk}`, { opId, state: tombstone });
      done.push(pk);
    }
    return done;
  }
}

class FakeCoordination implements ProcessorCoordination {
  readonly progress = new Map<string, bigint>();
  readonly counts = new Map<bigint, number>();
  private readonly seen = new Set<string>();
  readonly writeCheckpoints = new Map<bigint, WriteCheckpoint[]>();
  anchor: bigint | null = null;
  constructor(private readonly journal: Journal) {}

  async recordResnapshotAnchor(endOffset: bigint): Promise<void> {
    this.anchor = endOffset;
  }
  lastWindow: bigint | null = null;
  async recordWindowPlaced(endOffset: bigint): Promise<void> {
    if (this.lastWindow === null || endOffset > this.lastWindow) this.lastWindow = endOffset;
  }

  async partitionProgress(partition: string): Promise<bigint | null> {
    return this.progress.get(partition) ?? null;
  }
  /** As COUNT_EVENTS: each distinct (transaction, total_order) once; progress forward only. */
  async countEvents(
    partition: string,
    next: bigint,
    _reached: bigint | null,
    transactions: readonly TransactionEvents[],
    floor: bigint | null = null,
  ): Promise<CountResult> {
    const previousProgress = this.progress.get(partition) ?? null;
    if (floor !== null && (previousProgress === null || previousProgress < floor))
      return { counted: 0, previousProgress, refused: true };
    this.journal.write('count');
    let added = 0;
    for (const t of transactions)
      for (const order of t.totalOrders) {
        const key = `${t.endOffset}/${order}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.counts.set(t.endOffset, (this.counts.get(t.endOffset) ?? 0) + 1);
        added++;
      }
    if ((previousProgress ?? -1n) < next) this.progress.set(partition, next);
    return { counted: added, previousProgress, refused: false };
  }
  async topicIndex(): Promise<number> {
    return 0;
  }
  async recordTransactionWriteCheckpoints(
    byTransaction: ReadonlyMap<bigint, readonly WriteCheckpoint[]>,
  ): Promise<void> {
    this.journal.write('write checkpoints');
    for (const [endOffset, wcs] of byTransaction) this.writeCheckpoints.set(endOffset, [...wcs]);
  }
}

interface World {
  readonly journal: Journal;
  readonly store: FakeStore;
  readonly coordination: FakeCoordination;
  readonly topic: BucketOpRecord[];
}

function newWorld(): World {
  const journal = new Journal();
  return { journal, store: new FakeStore(journal), coordination: new FakeCoordination(journal), topic: [] };
}

function processorFor(world: World, tx: TransactionReader): ChangeProcessor {
  return new ChangeProcessor(processorDeps(world, tx));
}

function processorDeps(world: World, tx: TransactionReader): ProcessorDeps {
  return {
    store: world.store,
    coordination: world.coordination,
    transactions: tx,
    generation: firstGeneration(),
    evaluator: rowEvaluator(RULES),
    sink: { write: async (ops) => (world.journal.write('bucket topic'), void world.topic.push(...ops)) },
    deadLetters: { send: async () => undefined },
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    latestCheckpoint: async () => null,
    snapshotWindows: true,
    writeCheckpointPrefix: 'syncline-wc:unit',
  };
}

/** Runs every batch; a batch that crashes is replayed by a new processor (a restart), as Kafka redelivers it. */
async function run(world: World, work: Workload): Promise<number> {
  let processor = processorFor(world, work.tx);
  let crashes = 0;
  const signal = new AbortController().signal;
  for (const { partition, messages } of work.batches) {
    for (;;) {
      try {
        await processor.processBatch('unit.s.accounts', partition, messages, async () => undefined, signal);
        break;
      } catch (error) {
        if (!String(error).includes('crash before')) throw error;
        crashes++;
        processor = processorFor(world, work.tx);
      }
    }
  }
  return crashes;
}

/** What readers and the coordinator can see of a world. */
async function visibleState(world: World) {
  const buckets = [...new Set(world.topic.map((r) => r.bucket))].sort();
  return {
    ops: await Promise.all(buckets.map((b) => world.store.buckets.opsBetween(b, -1n, MAX_OP_ID, 10_000))),
    checksums: await world.store.buckets.checksumsAt(buckets, MAX_OP_ID),
    lookups: await world.store.buckets.lookupAt('["by_branch","1",1]', MAX_OP_ID),
    rows: new Map(world.store.rows),
    counts: new Map(world.coordination.counts),
    progress: new Map(world.coordination.progress),
    topicOps: new Set(world.topic.map((r) => `${r.bucket} ${r.opId} ${r.objectId} ${r.checksum}`)),
  };
}

describe('ChangeProcessor over its ports', () => {
  it('writes bucket ops, then the bucket topic, then lookups, then row states, and counts last', async () => {
    const work = await workload();
    const world = newWorld();
    await processorFor(world, work.tx).processBatch(
      'unit.s.accounts',
      work.batches[0]!.partition,
      work.batches[0]!.messages,
      async () => undefined,
      new AbortController().signal,
    );
    expect(world.journal.log).toEqual(['ops', 'bucket topic', 'lookups', 'rows', 'count']);
  });

  it('ends in the same state after a crash at any write and a replay of the uncommitted batch', async () => {
    const work = await workload();
    const reference = newWorld();
    expect(await run(reference, work)).toBe(0);
    const expected = await visibleState(reference);
    expect(expected.ops.flat().length).toBeGreaterThan(40);
    expect([...expected.counts.values()].reduce((a, b) => a + b, 0)).toBe(40 + 60);
    const writes = reference.journal.log.length;
    for (let crashAt = 0; crashAt < writes; crashAt++) {
      const world = newWorld();
      world.journal.crashAt = crashAt;
      expect(await run(world, work)).toBe(1);
      expect(await visibleState(world)).toEqual(expected);
    }
  });
});

describe('ChangeProcessor with at-least-once delivery', () => {
  it('ends in the state of one delivery when Debezium re-sends transactions after newer ones', async () => {
    const reference = newWorld();
    await run(reference, await workload());
    const expected = await visibleState(reference);

    const work = await workload();
    // After an unclean Connect stop: every BEGIN/END again at new transaction-topic offsets, and
    // every change record again at new offsets of its partition, after all the newer ones.
    const n = work.txMessages.length;
    await work.tx.ingest(work.txMessages.map((m, i) => ({ ...m, offset: String(n + i) })));
    const resent = work.batches.map(({ partition, messages }) => ({
      partition,
      messages: messages.map((m) => ({ ...m, offset: String(Number(m.offset) + 1000) })),
    }));
    const world = newWorld();
    await run(world, { ...work, batches: [...work.batches, ...resent] });
    const got = await visibleState(world);
    expect({ ...got, progress: null }).toEqual({ ...expected, progress: null });
    expect(work.tx.tracker.endsAfter(-1n, 1000).length).toBe(31);
  });

  it('never lets a duplicated record stand in for a missing one', async () => {
    const work = await workload();
    const world = newWorld();
    const [first] = work.batches;
    // The first transaction's 40 inserts: one record missing, another stored twice.
    const messages = [...first!.messages.slice(1), first!.messages[2]!];
    await processorFor(world, work.tx).processBatch(
      'unit.s.accounts',
      first!.partition,
      messages.map((m, i) => ({ ...m, offset: String(i) })),
      async () => undefined,
      new AbortController().signal,
    );
    const [end] = [...world.coordination.counts.keys()];
    expect(world.coordination.counts.get(end!)).toBe(first!.messages.length - 1);
  });
});

describe('ChangeProcessor over a Redis that lost writes', () => {
  it("halts when a partition's progress in Redis went back below what it wrote", async () => {
    const work = await workload();
    const world = newWorld();
    const processor = processorFor(world, work.tx);
    const [first, second] = work.batches.filter((b) => b.partition === work.batches[0]!.partition);
    const signal = new AbortController().signal;
    await processor.processBatch(
      'unit.s.accounts',
      first!.partition,
      first!.messages,
      async () => undefined,
      signal,
    );
    // Redis restored from a state before that batch: the next batch halts before writing anything.
    world.coordination.progress.clear();
    const writes = world.journal.log.length;
    await expect(
      processor.processBatch(
        'unit.s.accounts',
        second!.partition,
        second!.messages,
        async () => undefined,
        signal,
      ),
    ).rejects.toThrow(RedisStateLostError);
    expect(world.journal.log.length).toBe(writes);
  });
});

describe('ChangeProcessor with a truncate whose barrier is not met', () => {
  it('processes and counts what comes before it, then gives the rest of the batch back', async () => {
    const work = await workload();
    const world = newWorld();
    // A batch of transfers (not the first transaction: its barrier is a transaction before it).
    const batch = work.batches.find((b) => b.partition === 0 && Number(b.messages[0]!.offset) >= 20)!;
    const [first, second, third] = batch.messages as [KafkaMessage, KafkaMessage, KafkaMessage];
    const truncate = edited(second, (p) => {
      p.op = 't';
      p.before = null;
      p.after = null;
    });
    const result = await processorFor(world, work.tx).processBatch(
      'unit.s.accounts',
      0,
      [first, truncate, third],
      async () => undefined,
      new AbortController().signal,
    );
    // No checkpoint covers the transaction before the truncate: it never scanned (the fake would throw).
    expect(result.resumeAt).toBe(BigInt(truncate.offset));
    expect(result.events).toBe(1);
    expect(world.coordination.progress.get('unit.s.accounts/0')).toBe(BigInt(truncate.offset));
    expect([...world.coordination.counts.values()].reduce((a, b) => a + b, 0)).toBe(1);
  });
});

/** A generated change record with its payload edited. */
function edited(message: KafkaMessage, edit: (payload: Record<string, unknown>) => void): KafkaMessage {
  const value = JSON.parse(message.value!.toString()) as { payload: Record<string, unknown> };
  edit(value.payload);
  return { ...message, value: Buffer.from(JSON.stringify(value)) };
}

describe('ChangeProcessor at the limits of the op-id layout', () => {
  const halted = async (partition: number, message: KafkaMessage): Promise<unknown> => {
    const work = await workload();
    return processorFor(newWorld(), work.tx)
      .processBatch(
        'unit.s.accounts',
        partition,
        [message],
        async () => undefined,
        new AbortController().signal,
      )
      .then(
        () => null,
        (error: unknown) => error,
      );
  };

  it('halts (never retries or dead-letters) a snapshot row past the numbering limits', async () => {
    const work = await workload();
    const snapshotRow = edited(work.batches[0]!.messages[0]!, (p) => {
      p.op = 'r';
      p.transaction = null;
      (p.source as Record<string, unknown>).snapshot = 'true';
    });
    const error = await halted(200, snapshotRow);
    expect(error).toBeInstanceOf(ProcessingHaltedError);
    expect((error as Error).cause).toBeInstanceOf(SnapshotNumberingError);
  });

  it('halts an event whose place in its transaction is past the op-id layout', async () => {
    const work = await workload();
    const tooFar = edited(work.batches[0]!.messages[0]!, (p) => {
      (p.transaction as Record<string, unknown>).total_order = 2 ** 23;
    });
    const error = await halted(work.batches[0]!.partition, tooFar);
    expect(error).toBeInstanceOf(ProcessingHaltedError);
    expect((error as Error).cause).toBeInstanceOf(OpIdRangeError);
  });
});

describe('ChangeProcessor with snapshot rows after streaming began', () => {
  const generation = firstGeneration();
  const signal = new AbortController().signal;

  /** The workload, then a window-closing transaction (no consumed events) read by the reader. */
  async function withWindow(ingest = true) {
    const work = await workload();
    const g = new DebeziumRecordGenerator('unit', { xid: 5000, lsn: 9_000_000 });
    const window = g.transaction([], 'c', 3);
    const n = work.txMessages.length;
    const windowTx = window.tx.map((m, i) => ({
      offset: String(n + i),
      key: Buffer.from(m.key as string),
      value: Buffer.from(m.value as string),
    }));
    if (ingest) await work.tx.ingest(windowTx);
    const reads = [41, 43, 45].map((id, i) => {
      const m = g.read(id, 'incremental', window.beginLsn, 4);
      return consumedMessage(m.key as string, m.value as string, 100 + i, 4);
    });
    return { work, reads, windowTx, windowEnd: BigInt(n + 1) };
  }

  it('places incremental snapshot rows in the transaction that closed their window, uncounted', async () => {
    const { work, reads, windowEnd } = await withWindow();
    const world = newWorld();
    await run(world, work);
    const counts = new Map(world.coordination.counts);
    await processorFor(world, work.tx).processBatch(
      'unit.s.accounts',
      1,
      reads,
      async () => undefined,
      signal,
    );
    const opId = windowOpId(generation, windowEnd);
    for (const id of [41, 43, 45]) expect(world.store.rows.get(`s.accounts/{"id":${id}}`)?.opId).toBe(opId);
    // Above every op of the transactions before the window, so a client past them receives the rows.
    expect(opId > transactionCheckpointOpId(generation, windowEnd - 1n)).toBe(true);
    const ops = await world.store.buckets.opsBetween('by_branch["b1"]', -1n, MAX_OP_ID, 100);
    expect(ops.filter((o) => o.opId === opId).map((o) => ('objectId' in o ? o.objectId : o.op))).toEqual([
      '41',
    ]);
    expect(world.coordination.counts).toEqual(counts);
    expect(world.coordination.progress.get('unit.s.accounts/1')).toBe(103n);
  });

  it('waits for the window transaction when its BEGIN and END are not read yet', async () => {
    const { work, reads, windowTx, windowEnd } = await withWindow(false);
    const world = newWorld();
    const done = processorFor(world, work.tx).processBatch(
      'unit.s.accounts',
      1,
      reads,
      async () => undefined,
      signal,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(world.store.rows.size).toBe(0);
    await work.tx.ingest(windowTx);
    await done;
    expect(world.store.rows.get('s.accounts/{"id":41}')?.opId).toBe(windowOpId(generation, windowEnd));
  });

  it('halts on an incremental snapshot row when no signal table is configured', async () => {
    const { work, reads } = await withWindow();
    const processor = new ChangeProcessor({
      ...processorDeps(newWorld(), work.tx),
      snapshotWindows: false,
    });
    const error = await processor
      .processBatch('unit.s.accounts', 1, reads, async () => undefined, signal)
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SnapshotWindowError);
    expect(isFatal(error)).toBe(true);
  });

  it('halts on a full snapshot row read after a commit a published checkpoint covers', async () => {
    const work = await workload();
    const g = new DebeziumRecordGenerator('unit');
    const covered = 1_000_500;
    work.tx.tracker.cover(BigInt(covered));
    const late = g.read(46, 'true', covered + 1, 5);
    const initial = g.read(47, 'true', covered - 400, 5);
    const world = newWorld();
    const processor = processorFor(world, work.tx);
    // A replay of the initial snapshot (read before that commit) is processed as before.
    await processor.processBatch(
      'unit.s.accounts',
      1,
      [consumedMessage(initial.key as string, initial.value as string, 0, 5)],
      async () => undefined,
      signal,
    );
    expect(world.store.rows.has('s.accounts/{"id":47}')).toBe(true);
    const error = await processor
      .processBatch(
        'unit.s.accounts',
        0,
        [consumedMessage(late.key as string, late.value as string, 0, 5)],
        async () => undefined,
        signal,
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(SnapshotAfterStreamingError);
    expect(isFatal(error)).toBe(true);
  });

  it('places a second full snapshot at the first transaction after it, and truncates what it did not read', async () => {
    const work = await workload();
    const g = new DebeziumRecordGenerator('unit');
    const { tracker } = work.tx;
    const ends = tracker.endsAfter(-1n, 100);
    const last = ends[ends.length - 1]!;
    const world = newWorld();
    world.store.truncates = true;
    await run(world, work);
    expect(world.store.rows.size).toBe(40);
    // The slot was lost after the workload; the connector snapshotted again at a later LSN, then
    // streamed transaction A (a heartbeat).
    tracker.cover(last.endLsn);
    const lsn = Number(last.endLsn! + 1000n);
    const position = (offset: bigint) => ({ topic: 'unit.transaction', partition: 0, offset });
    const xid = 999_999n;
    tracker.addBegin({
      kind: 'begin',
      position: position(tracker.position),
      id: 'a',
      xid,
      lsn: BigInt(lsn + 10),
      tsMs: 1,
    });
    const aOffset = tracker.position;
    tracker.addEnd({
      kind: 'end',
      position: position(aOffset),
      id: 'a',
      xid,
      lsn: BigInt(lsn + 20),
      tsMs: 1,
      eventCount: 0,
      dataCollections: [],
    });
    const reread = g.read(7, 'true', lsn, 5);
    const processor = new ChangeProcessor({
      ...processorDeps(world, work.tx),
      fullSnapshots: { live: true },
      latestCheckpoint: async () => ({
        lastOpId: '0',
        endOffset: last.endOffset!.toString(),
        lsn: last.endLsn!.toString(),
        commitTimeMs: null,
        publishedAtMs: 0,
        writeCheckpoints: [],
      }),
    });
    await processor.processBatch(
      'unit.s.accounts',
      1,
      [consumedMessage(reread.key as string, reread.value as string, 100, 5)],
      async () => undefined,
      signal,
    );
    const anchor = windowOpId(firstGeneration(), aOffset);
    expect(world.coordination.anchor).toBe(aOffset);
    // The row read again sits at A's window op id, above everything streamed before ...
    expect(world.store.rows.get('s.accounts/{"id":7}')!.opId).toBe(anchor);
    // ... and every row it did not read (deleted while the slot was gone, as far as it knows) is
    // removed just below it.
    const others = [...world.store.rows].filter(([k]) => k !== 's.accounts/{"id":7}');
    expect(others).toHaveLength(39);
    expect(others.every(([, r]) => r.opId === anchor - 1n && JSON.parse(r.state).raw === null)).toBe(true);
  });

  it('dead-letters the rows of a blocking snapshot instead of placing them below the checkpoint', async () => {
    const work = await workload();
    const g = new DebeziumRecordGenerator('unit');
    // Debezium reads a blocking snapshot at the commit where it paused streaming, which the
    // checkpoint may already cover: the row names it in source.sequence (the hole: such a row
    // passed as a replay of the initial snapshot and took an op id below the checkpoint).
    const covered = 1_000_500;
    work.tx.tracker.cover(BigInt(covered));
    const row = g.read(46, 'blocking', covered, 5);
    const world = newWorld();
    const sent: string[] = [];
    const processor = new ChangeProcessor({
      ...processorDeps(world, work.tx),
      deadLetters: { send: async (reason) => void sent.push(reason) },
    });
    await processor.processBatch(
      'unit.s.accounts',
      0,
      [consumedMessage(row.key as string, row.value as string, 0, 5)],
      async () => undefined,
      signal,
    );
    expect(sent).toEqual(['blocking-snapshot']);
    expect(world.store.rows.has('s.accounts/{"id":46}')).toBe(false);
  });
});
