// Scripted fakes for unit tests of the Coordinator: the shared state it reads and writes, and a
// coordinator of instance `a` over it whose consumed table is the workload's `s.accounts`.
import type { Admin } from 'kafkajs';
import pino from 'pino';
import type { Checkpoint, LeaseOutcome } from '@syncline/bucket-store';
import { firstGeneration, formatOpId, transactionCheckpointOpId } from '@syncline/protocol';
import { Coordinator, type CoordinatorDeps } from '../src/coordinator';
import { createMetrics } from '../src/metrics';
import type { CoordinatorStore } from '../src/ports';
import type { TransactionReader } from '../src/transaction-reader';

export const generation = firstGeneration();

export const checkpointAt = (endOffset: bigint): Checkpoint => ({
  lastOpId: formatOpId(transactionCheckpointOpId(generation, endOffset)),
  endOffset: endOffset.toString(),
  lsn: null,
  commitTimeMs: null,
  publishedAtMs: 0,
  writeCheckpoints: [],
});

/** The shared state as the coordinator sees it, scripted by the test. */
export class SharedState implements CoordinatorStore {
  lease: LeaseOutcome = 'acquired';
  checkpoint: Checkpoint | null = null;
  readonly counts = new Map<bigint, number>();
  readonly published: Checkpoint[] = [];

  meta = true;
  async hasMeta(): Promise<boolean> {
    return this.meta;
  }
  async holdLease(): Promise<LeaseOutcome> {
    return this.lease;
  }
  async releaseLease(): Promise<void> {}
  async getCheckpoint(): Promise<Checkpoint | null> {
    return this.checkpoint;
  }
  async publishCheckpoint(
    _owner: string,
    checkpoint: Checkpoint,
    seen: Checkpoint | null = null,
  ): Promise<'published' | 'stale' | 'not-leader' | 'regressed'> {
    if (this.lease === 'held-by-other') return 'not-leader';
    if (
      seen !== null &&
      (this.checkpoint === null || BigInt(this.checkpoint.lastOpId) < BigInt(seen.lastOpId))
    )
      return 'regressed';
    if (this.checkpoint !== null && BigInt(checkpoint.lastOpId) <= BigInt(this.checkpoint.lastOpId))
      return 'stale';
    this.checkpoint = checkpoint;
    this.published.push(checkpoint);
    return 'published';
  }
  async processedCounts(endOffsets: readonly bigint[]): Promise<number[]> {
    return endOffsets.map((o) => this.counts.get(o) ?? 0);
  }
  async forgetProcessed(endOffsets: readonly bigint[]): Promise<void> {
    for (const o of endOffsets) this.counts.delete(o);
  }
  async saveWriteCheckpoints(): Promise<void> {}
  async transactionWriteCheckpoints(): Promise<[]> {
    return [];
  }
  async snapshotHighWater(): Promise<null> {
    return null;
  }
  async recordSnapshotHighWater(marks: Record<string, string>): Promise<Record<string, string>> {
    return marks;
  }
  readonly positions = { progress: new Map<string, bigint>(), streaming: new Map<string, bigint>() };
  async readPositions(kind: string): Promise<Map<string, bigint>> {
    return kind === 'progress' || kind === 'streaming' ? this.positions[kind] : new Map();
  }
  anchor: bigint | null = null;
  handled = -1n;
  async resnapshotAnchor(): Promise<bigint | null> {
    return this.anchor;
  }
  lastWindow: bigint | null = null;
  async lastWindowPlaced(): Promise<bigint | null> {
    return this.lastWindow;
  }
  async resnapshotHandled(): Promise<bigint> {
    return this.handled;
  }
  async recordResnapshotHandled(offset: bigint): Promise<void> {
    this.handled = offset;
    this.anchor = null;
  }
}

/** Instance `a`'s coordinator over the scripted state; its tables' events are `s.accounts`'. */
export function coordinatorOver(
  state: SharedState,
  tx: TransactionReader,
  extra: Partial<CoordinatorDeps> = {},
): Coordinator {
  return new Coordinator({
    store: state,
    transactions: tx,
    generation,
    instanceId: 'a',
    leaseTtlMs: 2000,
    consumed: (collection) => collection === 's.accounts',
    changeTopics: async () => [],
    admin: {} as Admin,
    metrics: createMetrics(),
    logger: pino({ level: 'silent' }),
    signalTable: null,
    markSettleMs: 0,
    ...extra,
  });
}
