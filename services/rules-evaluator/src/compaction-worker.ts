// The leader's continuous compaction (docs/consistency.md 2.6, docs/evaluator.md): every pass takes
// the published checkpoint as the safe op id, lists the buckets from the registry, skips those
// that hold the same ops at or below it as when it last compacted them, and compacts the others in
// bounded steps (read a window, plan, apply one atomic script), yielding to the event loop between
// steps. Each step is atomic, so a crash or a new leader simply starts over.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Logger } from 'pino';
import {
  CompactionPlanError,
  compactionRead,
  planCompactionWindow,
  RedisBookkeepingTrimmer,
  RedisBucketCompactor,
  type Checkpoint,
  type CompactionCursor,
  type RedisCoordination,
  type StoreConnection,
} from '@syncline/bucket-store';
import type { OpIdGeneration } from '@syncline/protocol';
import { sleep } from '@syncline/service-runtime';
import { BookkeepingWorker } from './bookkeeping-worker';
import type { EvaluatorMetrics } from './metrics';
import type { CompactionStore } from './ports';

export interface CompactionSettings {
  readonly compaction: boolean;
  /** Pause between passes. */
  readonly compactionIntervalMs: number;
  /** Ops one step examines (at least 2); also entries one bookkeeping trim call reads. */
  readonly compactionStepOps: number;
  /** How long a checkpoint stays resolvable by a gateway: lookups below it are trimmed. */
  readonly lookupRetentionMs: number;
}

export interface CompactionWorkerDeps {
  readonly store: CompactionStore;
  /** The published checkpoint: its lastOpId is the safe op id (why: docs/consistency.md 2.6). */
  readonly checkpoint: () => Promise<Checkpoint | null>;
  readonly isLeader: () => boolean;
  readonly stepOps: number;
  readonly metrics: EvaluatorMetrics;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/** What a bucket held when it was last compacted: compacting it again would change nothing. */
interface Compacted {
  /** Ops ever added (meta count): any new op changes it. */
  readonly count: number;
  /** The first op above that safe op id (null: none): a higher safe op id reaching it matters. */
  readonly firstAbove: bigint | null;
}

export interface PassSummary {
  /** Null when there was no checkpoint yet (nothing may be compacted). */
  readonly safeOpId: bigint | null;
  readonly buckets: number;
  readonly compacted: number;
  readonly stale: number;
  /** False when leadership was lost or the worker stopped mid-pass. */
  readonly finished: boolean;
}

/** Registry entries read per SSCAN page (and meta counts per pipeline). */
const SCAN_PAGE = 256;

/**
 * The largest bucket (members left) rebuilt once compaction removed at least as many members as
 * are left: a rebuild blocks Redis for O(members), about 1 ms per 1,000 (docs/consistency.md 2.6).
 */
const REBUILD_MAX_MEMBERS = 20_000;

export class CompactionWorker {
  private readonly compacted = new Map<string, Compacted>();
  /** Members compaction removed from each bucket since its last rebuild. */
  private readonly removed = new Map<string, number>();

  constructor(private readonly deps: CompactionWorkerDeps) {}

  /** Forgets what it compacted (a follower, or a leader again: another one may have compacted since). */
  forget(): void {
    this.compacted.clear();
    this.removed.clear();
  }

  /** One pass over every bucket at the current checkpoint. */
  async pass(): Promise<PassSummary> {
    const { store, metrics } = this.deps;
    const checkpoint = await this.deps.checkpoint();
    if (checkpoint === null) return { safeOpId: null, buckets: 0, compacted: 0, stale: 0, finished: true };
    const safeOpId = BigInt(checkpoint.lastOpId);
    const started = process.hrtime.bigint();
    let cursor = '0';
    const summary = { safeOpId, buckets: 0, compacted: 0, stale: 0, finished: false };
    do {
      // A pass over many unchanged buckets compacts nothing, but it too stops with the leadership.
      if (this.deps.signal.aborted || !this.deps.isLeader()) return summary;
      const page = await store.scanBuckets(cursor, SCAN_PAGE);
      cursor = page.cursor;
      const counts = await store.opCounts(page.buckets);
      for (const [i, bucket] of page.buckets.entries()) {
        if (!this.changed(bucket, counts[i]!, safeOpId)) continue;
        const outcome = await this.compactBucket(bucket, safeOpId, counts[i]!);
        if (outcome === 'stopped') return summary;
        summary.buckets++;
        if (outcome === 'stale') summary.stale++;
        else summary.compacted++;
      }
    } while (cursor !== '0');
    metrics.compactionPasses.inc();
    metrics.compactionPassSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    // A gauge is a double: exact below 2^53 (about 2^31 transaction-topic offsets), rounded above.
    metrics.compactionSafeOpId.set(Number(safeOpId));
    return { ...summary, finished: true };
  }

  private changed(bucket: string, count: number, safeOpId: bigint): boolean {
    const last = this.compacted.get(bucket);
    if (last === undefined || last.count !== count) return true;
    return last.firstAbove !== null && last.firstAbove <= safeOpId;
  }

  /** Compacts one bucket up to `safeOpId` in bounded steps, re-checking leadership before each. */
  private async compactBucket(
    bucket: string,
    safeOpId: bigint,
    count: number,
  ): Promise<'done' | 'stale' | 'stopped'> {
    const { store, metrics, logger } = this.deps;
    const options = { safeOpId, limit: this.deps.stepOps };
    let from: CompactionCursor | undefined;
    for (;;) {
      if (this.deps.signal.aborted || !this.deps.isLeader()) return 'stopped';
      const window = await store.readWindow(bucket, compactionRead(options, from));
      const plan = planCompactionWindow(window, options, from);
      try {
        const applied = await store.apply(bucket, plan);
        this.removed.set(bucket, (this.removed.get(bucket) ?? 0) + RedisBucketCompactor.membersRemoved(plan));
        metrics.compactionOpsMoved.inc(applied.moved);
        metrics.compactionOpsCleared.inc(applied.deleted);
      } catch (error) {
        if (!(error instanceof CompactionPlanError)) throw error;
        // Another compactor changed the bucket (a leader that lost its lease mid-step): nothing was
        // applied; the next pass plans it again from what Redis holds.
        metrics.compactionStaleSteps.inc();
        this.compacted.delete(bucket);
        logger.warn({ bucket, safeOpId: String(safeOpId), err: error }, 'compaction step stale: skipped');
        return 'stale';
      }
      metrics.compactionSteps.inc();
      if (plan.next === null) break;
      from = plan.next;
      // Let the evaluator's batches and the coordinator run between steps.
      await yieldToEventLoop();
    }
    metrics.compactionBuckets.inc();
    const removed = this.removed.get(bucket) ?? 0;
    if (removed > 0 && (await store.rebuildIfShrunk(bucket, removed, REBUILD_MAX_MEMBERS)) > 0)
      this.removed.delete(bucket);
    this.compacted.set(bucket, { count, firstAbove: await store.firstOpAbove(bucket, safeOpId) });
    return 'done';
  }
}

export interface CompactionLoopDeps extends Omit<CompactionWorkerDeps, 'stepOps' | 'store'> {
  readonly redis: StoreConnection;
  readonly prefix: string;
  /** For the bookkeeping trim's replay horizon (docs/consistency.md 2.7). */
  readonly generation: OpIdGeneration;
  readonly transactionLows: () => Promise<Iterable<bigint>>;
}

/** The checkpoint and `txlow` readers of the loop, from the coordination store. */
export function publishedPositions(
  store: Pick<RedisCoordination, 'getCheckpoint' | 'readPositions'>,
): Pick<CompactionLoopDeps, 'checkpoint' | 'transactionLows'> {
  return {
    checkpoint: () => store.getCheckpoint(),
    transactionLows: async () => (await store.readPositions('transactionLow')).values(),
  };
}

/** Runs passes while this instance leads, `compactionIntervalMs` apart, until `signal` aborts. */
export async function compactionLoop(settings: CompactionSettings, deps: CompactionLoopDeps): Promise<void> {
  if (!settings.compaction) return;
  const store = new RedisBucketCompactor(deps.redis, deps.prefix);
  const stepOps = settings.compactionStepOps;
  const worker = new CompactionWorker({ ...deps, store, stepOps });
  const trimmer = new RedisBookkeepingTrimmer(deps.redis, deps.prefix);
  const retentionMs = settings.lookupRetentionMs;
  const bookkeeping = new BookkeepingWorker({ ...deps, trimmer, retentionMs, stepOps });
  const { logger, signal } = deps;
  while (!signal.aborted) {
    if (!deps.isLeader()) {
      worker.forget();
      bookkeeping.forget();
    } else
      try {
        const summary = await worker.pass();
        logger.debug({ ...summary, safeOpId: String(summary.safeOpId) }, 'compaction pass');
        const trimmed = await bookkeeping.pass(await deps.checkpoint());
        logger.debug({ ...trimmed, horizon: String(trimmed.horizon) }, 'bookkeeping trim pass');
      } catch (error) {
        logger.warn({ err: error }, 'compaction pass failed; the next pass starts over');
      }
    await sleep(settings.compactionIntervalMs, signal);
  }
}
