// The leader's bookkeeping pass over a recording trimmer: what it trims at which horizon
// (min(replay horizon, retention horizon)), that it drains each cursor, and that it stops with
// the leadership.
import type { Checkpoint, TrimProgress } from '@syncline/bucket-store';
import { firstGeneration, windowOpId } from '@syncline/protocol';
import { BookkeepingWorker } from '../src/bookkeeping-worker';
import { createMetrics } from '../src/metrics';

const generation = firstGeneration();

const checkpoint = (lastOpId: bigint, endOffset: bigint, publishedAtMs: number): Checkpoint => ({
  lastOpId: String(lastOpId),
  endOffset: String(endOffset),
  lsn: null,
  commitTimeMs: null,
  publishedAtMs,
  writeCheckpoints: [],
});

/** Answers each trim in two calls (a cursor, then done), deleting 3 each time; records the calls. */
class RecordingTrimmer {
  readonly calls: string[] = [];
  private step<C>(name: string, arg: bigint, cursor: C | null): Promise<TrimProgress<string>> {
    this.calls.push(`${name}(${arg},${cursor === null ? 'start' : String(cursor)})`);
    return Promise.resolve({ examined: 5, deleted: 3, cursor: cursor === null ? 'more' : null });
  }
  trimLookups = (h: bigint, c: unknown) => this.step('lookups', h, c) as never;
  trimTombstones = (h: bigint, c: unknown) => this.step('tombstones', h, c) as never;
  trimCheckpointed = (e: bigint, c: unknown) => this.step('checkpointed', e, c) as never;
}

function setup(lows: bigint[] = []) {
  const trimmer = new RecordingTrimmer();
  let now = 1_000_000;
  let leader = true;
  const worker = new BookkeepingWorker({
    trimmer,
    generation,
    transactionLows: () => Promise.resolve(lows),
    retentionMs: 60_000,
    stepOps: 100,
    isLeader: () => leader,
    metrics: createMetrics(),
    signal: new AbortController().signal,
    now: () => now,
  });
  return {
    trimmer,
    worker,
    advance: (ms: number) => (now += ms),
    now: () => now,
    demote: () => (leader = false),
  };
}

describe('BookkeepingWorker', () => {
  const base = windowOpId(generation, 100n);

  it('trims nothing before the first checkpoint', async () => {
    const { worker, trimmer } = setup();
    expect(await worker.pass(null)).toMatchObject({ horizon: null, finished: true });
    expect(trimmer.calls).toEqual([]);
  });

  it('trims only checkpointed records until a checkpoint is a retention old, then lookups and tombstones below it', async () => {
    const { worker, trimmer, advance, now } = setup();
    const first = checkpoint(base + 10n, 100n, now());
    expect(await worker.pass(first)).toMatchObject({ horizon: null, checkpointed: 6, finished: true });
    expect(trimmer.calls).toEqual(['checkpointed(100,start)', 'checkpointed(100,more)']);
    trimmer.calls.length = 0;
    advance(61_000);
    const second = checkpoint(windowOpId(generation, 200n) + 5n, 200n, now());
    // The retention horizon is the first checkpoint (a retention old); no txlow: the replay
    // horizon is the second checkpoint. H is the lower.
    const summary = await worker.pass(second);
    expect(summary).toMatchObject({ horizon: base + 10n, lookups: 6, tombstones: 6, finished: true });
    expect(trimmer.calls).toEqual([
      'checkpointed(200,start)',
      'checkpointed(200,more)',
      `lookups(${base + 10n},start)`,
      `lookups(${base + 10n},more)`,
      `tombstones(${base + 10n},start)`,
      `tombstones(${base + 10n},more)`,
    ]);
  });

  it('keeps below the replay horizon when a txlow holds an older transaction', async () => {
    const { worker, advance, now } = setup([50n]);
    await worker.pass(checkpoint(base + 10n, 100n, now()));
    advance(61_000);
    const summary = await worker.pass(checkpoint(base + 20n, 101n, now()));
    expect(summary.horizon).toBe(windowOpId(generation, 50n) - 1n);
  });

  it('forgets its history: a leader again waits a retention before trimming lookups', async () => {
    const { worker, advance, now } = setup();
    await worker.pass(checkpoint(base + 10n, 100n, now()));
    worker.forget();
    advance(61_000);
    expect((await worker.pass(checkpoint(base + 20n, 101n, now()))).horizon).toBeNull();
  });

  it('stops mid-pass when it loses the leadership', async () => {
    const { worker, trimmer, demote, now } = setup();
    demote();
    expect(await worker.pass(checkpoint(base + 10n, 100n, now()))).toMatchObject({ finished: false });
    expect(trimmer.calls).toEqual([]);
  });
});
