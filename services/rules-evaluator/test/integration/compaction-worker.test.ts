// The leader's compaction worker against the run's real Redis: buckets written with the real
// writer, a checkpoint published through the coordination store, then passes of the worker. The
// compacted buckets must be the pure reference's (whole-bucket plan applied), keep the checksum
// and count of every checkpoint at or above their CLEAR, leave every op above the safe op id as it
// was, and cost a bounded read per step; a follower compacts nothing, an unchanged bucket is
// skipped, and a step another compactor overtook is counted stale and redone next pass. The same
// on a three-master Redis Cluster (counts read per slot, each step in its bucket's slot).
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import {
  applyCompaction,
  keyPrefixFor,
  memberOf,
  PACK_MAX,
  positionOf,
  planCompaction,
  RedisBucketCompactor,
  slotOf,
  type BucketChecksum,
  type CompactableOp,
  type CompactionRead,
  type CompactionPlan,
} from '@syncline/bucket-store';
import { firstGeneration, type BucketOp } from '@syncline/protocol';
import {
  openDeploymentState,
  servedForm,
  startRedisCluster,
  waitFor,
  type DeploymentState,
} from '@syncline/test-kit';
import { compactionLoop, CompactionWorker } from '../../src/compaction-worker';
import { createMetrics, type EvaluatorMetrics } from '../../src/metrics';
import type { CompactionStore } from '../../src/ports';

jest.setTimeout(120_000);

/** A deterministic history of one bucket: `events` events over `rows` rows, some REMOVEs. */
function history(bucket: string, events: number, rows: number, seed: number): BucketOp[] {
  let state = seed;
  const next = (n: number): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state % n;
  };
  const ops: BucketOp[] = [];
  for (let e = 1; e <= events; e++) {
    const id = `r${String(next(rows)).padStart(6, '0')}`;
    const checksum = next(0x1_0000_0000);
    const base = { bucket, opId: BigInt(e), objectType: 'todos', objectId: id, subkey: 's', checksum };
    ops.push(
      next(5) === 0 ? { ...base, op: 'REMOVE', data: null } : { ...base, op: 'PUT', data: `{"e":${e}}` },
    );
  }
  return ops;
}

/** What one compaction of the whole bucket in one plan leaves (applyCompaction of planCompaction). */
function reference(ops: readonly CompactableOp[], safeOpId: bigint): unknown[] {
  const plan = planCompaction(ops, { safeOpId, limit: Number.MAX_SAFE_INTEGER });
  expect(plan.next).toBeNull();
  return servedForm(applyCompaction(ops, plan));
}

/** The real Redis compactor, recording the size of every window read and stepping in between. */
class RecordingStore implements CompactionStore {
  /** Per window read: its members (a pack of MOVEs is one) and its ops. */
  readonly reads: { bucket: string; members: number; ops: number }[] = [];
  beforeApply: (bucket: string, plan: CompactionPlan) => Promise<void> = async () => undefined;

  constructor(private readonly inner: RedisBucketCompactor) {}

  scanBuckets(cursor: string, count: number) {
    return this.inner.scanBuckets(cursor, count);
  }
  opCounts(buckets: readonly string[]) {
    return this.inner.opCounts(buckets);
  }
  firstOpAbove(bucket: string, opId: bigint) {
    return this.inner.firstOpAbove(bucket, opId);
  }
  async readWindow(bucket: string, read: CompactionRead) {
    const window = await this.inner.readWindow(bucket, read);
    const members = new Set(window.ops.map((op) => memberOf(positionOf(op)))).size;
    this.reads.push({ bucket, members, ops: window.ops.length });
    return window;
  }
  async apply(bucket: string, plan: CompactionPlan) {
    await this.beforeApply(bucket, plan);
    return this.inner.apply(bucket, plan);
  }

  rebuildIfShrunk(bucket: string, removed: number, maxMembers: number) {
    return this.inner.rebuildIfShrunk(bucket, removed, maxMembers);
  }
}

async function metric(metrics: EvaluatorMetrics, name: string): Promise<number> {
  const found = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return found?.values[0]?.value ?? 0;
}

describe('the compaction worker', () => {
  let state: DeploymentState;
  let compactor: RedisBucketCompactor;
  const controller = new AbortController();
  const silent = pino({ level: 'silent' });

  beforeEach(() => {
    state = openDeploymentState(keyPrefixFor(`compact_${randomBytes(4).toString('hex')}`, '1'));
    compactor = new RedisBucketCompactor(state.redis, state.keyPrefix);
  });

  afterEach(async () => {
    await state.close();
  });

  afterAll(() => controller.abort());

  async function publish(lastOpId: bigint): Promise<void> {
    await state.coordination.holdLease('test', 60_000);
    const outcome = await state.coordination.publishCheckpoint('test', {
      lastOpId: String(lastOpId),
      endOffset: String(lastOpId),
      lsn: null,
      commitTimeMs: null,
      publishedAtMs: Date.now(),
      writeCheckpoints: [],
    });
    expect(outcome).toBe('published');
  }

  function worker(store: CompactionStore, stepOps: number, isLeader = () => true) {
    const metrics = createMetrics();
    const w = new CompactionWorker({
      store,
      checkpoint: () => state.coordination.getCheckpoint(),
      isLeader,
      stepOps,
      metrics,
      logger: silent,
      signal: controller.signal,
    });
    return { worker: w, metrics };
  }

  const stored = (bucket: string) => compactor.opsUpTo(bucket, 1n << 62n);

  it('compacts every bucket to the reference, keeping every checksum at or above the CLEAR and every op above the safe op id', async () => {
    const buckets = {
      'global[]': history('global[]', 900, 40, 3),
      'user["a"]': history('user["a"]', 300, 8, 5),
    };
    const all = Object.values(buckets).flat();
    await state.writer.addOps(all);
    const safe = 700n;
    await publish(safe);
    const names = Object.keys(buckets);
    const before = new Map<bigint, BucketChecksum[]>();
    for (let c = 0n; c <= 901n; c++) before.set(c, await state.reader.checksumsAt(names, c));
    const store = new RecordingStore(compactor);
    const { worker: w, metrics } = worker(store, 16);
    const summary = await w.pass();
    expect(summary).toMatchObject({ safeOpId: safe, buckets: 2, compacted: 2, stale: 0, finished: true });
    for (const [bucket, ops] of Object.entries(buckets)) {
      const now = await stored(bucket);
      expect(servedForm(now)).toEqual(reference(ops, safe));
      expect(now[0]?.op).toBe('CLEAR');
      // (c) nothing above the safe op id was touched.
      expect(now.filter((op) => op.opId > safe)).toEqual(ops.filter((op) => op.opId > safe));
    }
    // (b) every checkpoint at or above the highest CLEAR keeps its checksum and count.
    const clears = await Promise.all(names.map(async (b) => (await stored(b))[0]!.opId));
    for (let c = clears.reduce((a, b) => (a > b ? a : b)); c <= 901n; c++)
      expect([c, await state.reader.checksumsAt(names, c)]).toEqual([c, before.get(c)]);
    expect(Math.max(...store.reads.map((r) => r.members))).toBeLessThanOrEqual(17);
    expect(store.reads.every((r) => r.ops <= r.members * PACK_MAX)).toBe(true);
    expect(await metric(metrics, 'syncline_evaluator_compaction_ops_moved_total')).toBeGreaterThan(0);
    expect(await metric(metrics, 'syncline_evaluator_compaction_ops_cleared_total')).toBeGreaterThan(0);
    expect(await metric(metrics, 'syncline_evaluator_compaction_steps_total')).toBeGreaterThan(10);
    expect(await metric(metrics, 'syncline_evaluator_compaction_passes_total')).toBe(1);
    expect(await metric(metrics, 'syncline_evaluator_compaction_buckets_total')).toBe(2);
    expect(await metric(metrics, 'syncline_evaluator_compaction_safe_op_id')).toBe(700);
  });

  it('skips a bucket unchanged since its last compaction, and compacts it again once it changed or the checkpoint reached its newer ops', async () => {
    await state.writer.addOps([...history('a', 200, 10, 7), ...history('b', 200, 10, 9)]);
    await publish(150n);
    const store = new RecordingStore(compactor);
    const { worker: w } = worker(store, 50);
    expect((await w.pass()).compacted).toBe(2);
    // The checkpoint did not move, nothing was written: nothing is read.
    store.reads.length = 0;
    expect(await w.pass()).toMatchObject({ buckets: 0, finished: true });
    expect(store.reads).toEqual([]);
    // A new op in `b` (above the checkpoint): only `b` is compacted.
    await state.writer.addOps([{ ...history('b', 1, 1, 1)[0]!, opId: 300n }]);
    expect(await w.pass()).toMatchObject({ buckets: 1 });
    expect(new Set(store.reads.map((r) => r.bucket))).toEqual(new Set(['b']));
    // The checkpoint moves past the ops both held above 150: both again, to the reference.
    const a = await stored('a');
    await publish(400n);
    expect(await w.pass()).toMatchObject({ buckets: 2 });
    expect(servedForm(await stored('a'))).toEqual(reference(a, 400n));
    store.reads.length = 0;
    expect(await w.pass()).toMatchObject({ buckets: 0 });
  });

  it('does nothing while the instance is not the leader, and starts once it is (the loop)', async () => {
    const ops = history('global[]', 300, 20, 13);
    await state.writer.addOps(ops);
    await publish(250n);
    const metrics = createMetrics();
    let leader = false;
    let asked = 0;
    const stop = new AbortController();
    const loop = compactionLoop(
      { compaction: true, compactionIntervalMs: 50, lookupRetentionMs: 300_000, compactionStepOps: 20 },
      {
        redis: state.redis,
        prefix: state.keyPrefix,
        checkpoint: () => state.coordination.getCheckpoint(),
        generation: firstGeneration(),
        transactionLows: async () => [],
        isLeader: () => (asked++, leader),
        metrics,
        logger: silent,
        signal: stop.signal,
      },
    );
    await waitFor('a few passes as a follower', async () => asked >= 5, 10_000);
    expect(await stored('global[]')).toEqual(ops);
    expect(await metric(metrics, 'syncline_evaluator_compaction_steps_total')).toBe(0);
    leader = true;
    await waitFor(
      'a finished pass as the leader',
      async () => (await metric(metrics, 'syncline_evaluator_compaction_passes_total')) >= 1,
      10_000,
    );
    expect(servedForm(await stored('global[]'))).toEqual(reference(ops, 250n));
    stop.abort();
    await loop;
  });

  it('does nothing before the first checkpoint, or when switched off', async () => {
    const ops = history('global[]', 100, 5, 17);
    await state.writer.addOps(ops);
    const { worker: w } = worker(new RecordingStore(compactor), 10);
    expect(await w.pass()).toMatchObject({ safeOpId: null, buckets: 0 });
    await publish(90n);
    const off = {
      compaction: false,
      compactionIntervalMs: 50,
      lookupRetentionMs: 300_000,
      compactionStepOps: 10,
    };
    const deps = { redis: state.redis, prefix: state.keyPrefix, metrics: createMetrics(), logger: silent };
    await compactionLoop(off, {
      ...deps,
      checkpoint: () => state.coordination.getCheckpoint(),
      generation: firstGeneration(),
      transactionLows: async () => [],
      isLeader: () => true,
      signal: controller.signal,
    });
    expect(await stored('global[]')).toEqual(ops);
  });

  it('counts a step another compactor overtook as stale, changes nothing with it, and redoes the bucket next pass', async () => {
    const ops = history('global[]', 400, 30, 19);
    await state.writer.addOps(ops);
    await publish(380n);
    const store = new RecordingStore(compactor);
    const lines: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const metrics = createMetrics();
    const w = new CompactionWorker({
      store,
      checkpoint: () => state.coordination.getCheckpoint(),
      isLeader: () => true,
      stepOps: 25,
      metrics,
      logger,
      signal: controller.signal,
    });
    let overtaken = false;
    store.beforeApply = async (bucket, plan) => {
      if (overtaken || plan.clear === null) return;
      overtaken = true;
      // A second compactor (a leader that lost its lease mid-pass) finishes the bucket at once
      // between this step's read and its apply: this step's CLEAR no longer heads the bucket.
      const theirs = planCompaction(await stored(bucket), { safeOpId: 380n, limit: Number.MAX_SAFE_INTEGER });
      expect(theirs.clear!.replaces.length).toBeGreaterThan(plan.clear.replaces.length);
      await compactor.apply(bucket, theirs);
      expect(servedForm(await stored(bucket))).toEqual(reference(ops, 380n));
    };
    expect(await w.pass()).toMatchObject({ buckets: 1, stale: 1, compacted: 0 });
    // The stale step wrote nothing over the other compactor's result.
    expect(servedForm(await stored('global[]'))).toEqual(reference(ops, 380n));
    expect(await metric(metrics, 'syncline_evaluator_compaction_stale_steps_total')).toBe(1);
    expect(lines).toEqual([expect.objectContaining({ level: 40, msg: 'compaction step stale: skipped' })]);
    expect(await w.pass()).toMatchObject({ buckets: 1, stale: 0, compacted: 1 });
    expect(servedForm(await stored('global[]'))).toEqual(reference(ops, 380n));
  });

  it('compacts a bucket of 50,000 ops with every step reading at most the step limit', async () => {
    const ops = history('global[]', 50_000, 2_000, 29);
    for (let i = 0; i < ops.length; i += 5_000) await state.writer.addOps(ops.slice(i, i + 5_000));
    await publish(49_000n);
    const store = new RecordingStore(compactor);
    const { worker: w, metrics } = worker(store, 1_000);
    expect(await w.pass()).toMatchObject({ buckets: 1, compacted: 1 });
    const sizes = store.reads.map((r) => r.members);
    // One window per step, none larger than the limit (+1: a CLEAR heading the bucket) in members.
    expect(sizes.length).toBe(await metric(metrics, 'syncline_evaluator_compaction_steps_total'));
    expect(sizes.length).toBeGreaterThanOrEqual(49);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1_001);
    expect(servedForm(await stored('global[]'))).toEqual(reference(ops, 49_000n));
  });
});

describe('the compaction worker on a Redis Cluster', () => {
  it('compacts buckets spread over every master to the reference, with their checksums kept', async () => {
    const cluster = await startRedisCluster();
    const state = openDeploymentState(keyPrefixFor('compact_cluster', '1'), cluster.url);
    try {
      const compactor = new RedisBucketCompactor(state.redis, state.keyPrefix);
      const names = Array.from({ length: 12 }, (_, i) => `list[${i}]`);
      const histories = names.map((name, i) => history(name, 150, 6, 41 + i));
      await state.writer.addOps(histories.flat());
      const slots = new Set(names.map((name) => slotOf(state.keys.bucket(name).ops)));
      expect(slots.size).toBe(12);
      await state.coordination.holdLease('test', 60_000);
      await state.coordination.publishCheckpoint('test', {
        lastOpId: '120',
        endOffset: '120',
        lsn: null,
        commitTimeMs: null,
        publishedAtMs: Date.now(),
        writeCheckpoints: [],
      });
      const sums = await state.reader.checksumsAt(names, 151n);
      const w = new CompactionWorker({
        store: compactor,
        checkpoint: () => state.coordination.getCheckpoint(),
        isLeader: () => true,
        stepOps: 10,
        metrics: createMetrics(),
        logger: pino({ level: 'silent' }),
        signal: new AbortController().signal,
      });
      expect(await w.pass()).toMatchObject({ buckets: 12, compacted: 12, stale: 0 });
      for (const [i, name] of names.entries())
        expect(servedForm(await compactor.opsUpTo(name, 1000n))).toEqual(reference(histories[i]!, 120n));
      expect(await state.reader.checksumsAt(names, 151n)).toEqual(sums);
    } finally {
      await state.close();
      await cluster.stop();
    }
  });
});
