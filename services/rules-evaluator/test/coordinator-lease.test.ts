// The coordinator after losing its lease without noticing (paused past the TTL, e.g. SIGSTOP or a
// long GC): another instance published checkpoints meanwhile and forgot the counts of what they
// covered. When this instance finds the lease free again it must read the checkpoint again, or
// it waits forever for counts that no longer exist (issue 9).
import pino from 'pino';
import { RedisStateLostError } from '../src/processing-halt';
import { checkpointAt, coordinatorOver, SharedState } from './coordinator-fakes';
import { workload } from './workload';

describe('the coordinator lease', () => {
  it('reads the checkpoint again when it finds its lease free, after another instance led', async () => {
    const { tx } = await workload();
    // END offsets of the generated transactions: 1 (the inserts), then 3, 5, 7, ... (transfers).
    const ends = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!);
    const [first, second, third, fourth] = ends as [bigint, bigint, bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    const coordinator = coordinatorOver(state, tx);
    await coordinator.holdLease();
    expect(coordinator.isLeader).toBe(true);

    // Paused past the TTL: instance b led, covered `second` and `third`, and forgot their counts.
    state.checkpoint = checkpointAt(third);
    state.counts.set(fourth, 2);
    state.lease = 'acquired'; // b's lease expired too: a finds it free
    await coordinator.holdLease();
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([fourth.toString()]);
    expect(second).toBeLessThan(third);
  });

  it('keeps its checkpoint while it renews a lease it holds', async () => {
    const { tx } = await workload();
    const [first, second] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    const coordinator = coordinatorOver(state, tx);
    await coordinator.holdLease();
    state.lease = 'renewed';
    state.counts.set(second, 2);
    await coordinator.holdLease();
    expect(await coordinator.advance()).toBe(true);
    expect(state.published.map((c) => c.endOffset)).toEqual([second.toString()]);
  });
});

describe('the coordinator over a Redis that lost writes', () => {
  it('halts when the checkpoint it finds on a new lease is older than one it saw', async () => {
    const { tx } = await workload();
    const [first, , third] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [
      bigint,
      bigint,
      bigint,
    ];
    const state = new SharedState();
    state.checkpoint = checkpointAt(third);
    const coordinator = coordinatorOver(state, tx);
    await coordinator.holdLease();
    // Redis restored from an older state: the lease is gone and the checkpoint went back.
    state.checkpoint = checkpointAt(first);
    state.lease = 'acquired';
    await expect(coordinator.holdLease()).rejects.toThrow(RedisStateLostError);
    state.checkpoint = null; // or wiped
    await expect(coordinator.holdLease()).rejects.toThrow(/checkpoint is gone/);
  });

  it('halts, leader or not, when the deployment meta is gone (Redis wiped)', async () => {
    const { tx } = await workload();
    const state = new SharedState();
    state.lease = 'held-by-other';
    const coordinator = coordinatorOver(state, tx);
    await coordinator.holdLease();
    state.meta = false;
    await expect(coordinator.holdLease()).rejects.toThrow(/meta is gone.*--reset/);
  });

  it('halts when publishing finds the stored checkpoint older than the one it saw', async () => {
    const { tx } = await workload();
    const [first, second, third] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [
      bigint,
      bigint,
      bigint,
    ];
    const state = new SharedState();
    state.checkpoint = checkpointAt(second);
    const coordinator = coordinatorOver(state, tx);
    await coordinator.holdLease();
    state.lease = 'renewed';
    state.checkpoint = checkpointAt(first); // lost under a renewed lease (no reconnect noticed)
    state.counts.set(third, 2);
    await expect(coordinator.advance()).rejects.toThrow(RedisStateLostError);
    expect(state.published).toEqual([]);
  });
});

describe('a checkpoint that stands still', () => {
  it('is reported with the transaction it waits for and how many of its events are processed', async () => {
    const { tx } = await workload();
    const [first, second] = tx.tracker.endsAfter(-1n, 100).map((t) => t.endOffset!) as [bigint, bigint];
    const state = new SharedState();
    state.checkpoint = checkpointAt(first);
    state.counts.set(second, 1); // of 2 events of s.accounts
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const coordinator = coordinatorOver(state, tx, { logger, stallReportMs: 50 });
    await coordinator.holdLease();
    expect(await coordinator.advance()).toBe(false);
    expect(lines).toEqual([]); // a moment behind is normal
    await new Promise((r) => setTimeout(r, 60));
    expect(await coordinator.advance()).toBe(false);
    expect(await coordinator.advance()).toBe(false); // at most once per interval
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      waitingFor: 'events',
      endOffset: second.toString(),
      expected: 2,
      processed: 1,
      checkpoint: checkpointAt(first).lastOpId,
    });
    state.counts.set(second, 2);
    expect(await coordinator.advance()).toBe(true);
  });
});
