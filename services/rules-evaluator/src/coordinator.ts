// The coordinator: whichever instance holds the Redis lease walks END records in offset order
// and advances the checkpoint past a transaction once all its events in consumed collections are
// marked processed, and once the snapshot gates let it (snapshot-gates.ts; section 3 of
// docs/consistency.md). Pure decision functions are exported for unit tests.
import type { Logger } from 'pino';
import type { Checkpoint } from '@syncline/bucket-store';
import { LOGICAL_DECODING_MESSAGE } from '@syncline/cdc';
import {
  formatOpId,
  parseOpId,
  transactionCheckpointOpId,
  type OpIdGeneration,
  type WriteCheckpoint,
} from '@syncline/protocol';
import { sleep } from '@syncline/service-runtime';
import type { RunningSnapshot } from './incremental-snapshots';
import type { EvaluatorMetrics } from './metrics';
import { latencyStages } from './latency-stages';
import { isFatal, RedisStateLostError } from './processing-halt';
import { SnapshotGates, type SnapshotGateDeps, type WindowHold } from './snapshot-gates';
import type { TrackedTransaction } from './transaction-tracker';
import { WakeUp } from './wake-up';

/** Events of a transaction the evaluator consumes (and so must mark before the checkpoint passes it). */
export function expectedEvents(
  counts: ReadonlyMap<string, number>,
  consumed: (collection: string) => boolean,
): number {
  let n = 0;
  for (const [collection, count] of counts) if (consumed(collection)) n += count;
  return n;
}

/** How many leading transactions are complete. */
export function completePrefix(expected: readonly number[], processed: readonly number[]): number {
  let i = 0;
  while (i < expected.length && (processed[i] ?? 0) >= expected[i]!) i++;
  return i;
}

/** True when Redis' checkpoint is older than (or, wiped, absent next to) one seen stored before. */
export function isBehind(stored: Checkpoint | null, seen: Checkpoint | null): boolean {
  if (seen === null) return false;
  return stored === null || parseOpId(stored.lastOpId) < parseOpId(seen.lastOpId);
}

function lostCheckpoint(stored: Checkpoint | null, seen: Checkpoint): RedisStateLostError {
  return new RedisStateLostError(
    `Redis lost writes of this deployment: its checkpoint is ${stored?.lastOpId ?? 'gone'}, this ` +
      `coordinator saw ${seen.lastOpId} stored before (restored from an older state, failed over ` +
      'with data loss, or wiped). Restart the evaluators: they resume from what Redis holds ' +
      '(docs/consistency.md §5.4)',
  );
}

export interface CoordinatorDeps extends SnapshotGateDeps {
  readonly metrics: EvaluatorMetrics;
  readonly instanceId: string;
  readonly leaseTtlMs: number;
  readonly generation: OpIdGeneration;
  readonly logger: Logger;
  /** How long the checkpoint may stand still behind pending transactions before it is reported. */
  readonly stallReportMs?: number;
  /**
   * Woken when this instance's change processor counted events: the leader then looks at once
   * instead of at its next poll (other instances' counts are seen within POLL_MS).
   */
  readonly localCounts?: WakeUp;
}

const WINDOW = 2000;
const NO_COUNTS: ReadonlyMap<string, number> = new Map();
/** How long a leader with nothing to publish waits for news before it reads the counts again. */
const POLL_MS = 25;
const STALL_REPORT_MS = 30_000;

/** Why the leader's last step published nothing although transactions were pending. */
export type Blocker =
  | { readonly waitingFor: 'initial-snapshot' }
  | {
      readonly waitingFor: 'events';
      readonly xid: string;
      readonly endOffset: string;
      readonly expected: number;
      readonly processed: number;
      readonly counts: Record<string, number>;
    }
  | {
      readonly waitingFor: 'snapshot-window';
      readonly xid: string;
      readonly endOffset: string;
      readonly hold: WindowHold;
    }
  | { readonly waitingFor: 'incremental-snapshot'; readonly snapshot: RunningSnapshot }
  | { readonly waitingFor: 'full-snapshot'; readonly running: boolean };

export class Coordinator {
  private leading = false;
  private checkpoint: Checkpoint | null = null;
  private lastRenewal = 0;
  /** When the checkpoint last advanced, or the leader last had nothing pending (stall reports). */
  private lastMovedMs = Date.now();
  private lastStallReportMs = 0;
  private readonly gates: SnapshotGates;
  /** What wakes a leader with nothing to publish: the reader's news and this instance's counts. */
  private readonly newsSources: readonly WakeUp[];

  constructor(private readonly deps: CoordinatorDeps) {
    this.gates = new SnapshotGates(deps);
    this.newsSources =
      deps.localCounts === undefined
        ? [deps.transactions.advanced]
        : [deps.transactions.advanced, deps.localCounts];
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { store, instanceId, leaseTtlMs, logger } = this.deps;
    while (!signal.aborted) {
      try {
        if (Date.now() - this.lastRenewal >= leaseTtlMs / 3 || !this.leading) await this.holdLease();
        if (this.leading) {
          const before = this.news();
          const advanced = await this.advance();
          // News that came while the step ran (a count stored after it read the counts) is not
          // waited for: the next step looks at once.
          if (!advanced && this.news() === before) await this.waitForNews(signal);
        } else {
          await sleep(Math.min(1000, leaseTtlMs / 3), signal);
        }
      } catch (error) {
        if (isFatal(error)) throw error;
        logger.error({ err: error }, 'coordinator step failed; retrying');
        await sleep(500, signal);
      }
    }
    if (this.leading) await store.releaseLease(instanceId).catch(() => undefined);
    this.leading = false;
  }

  /** How many times the news sources have woken so far. */
  private news(): number {
    let wakes = 0;
    for (const source of this.newsSources) wakes += source.wakes;
    return wakes;
  }

  /** Until the transaction reader learns a transaction, this instance counts events, or POLL_MS. */
  private waitForNews(signal: AbortSignal): Promise<void> {
    return WakeUp.any(this.newsSources, POLL_MS, signal);
  }

  /**
   * Checks that Redis still holds the deployment (every step: a wipe halts every instance, not
   * only the leader), then acquires or renews the lease. A lease found free is a new term even when this instance
   * believed it led (it may have been paused past the TTL while another instance published and
   * forgot the counts of what it covered): the checkpoint is read again, never carried over.
   */
  async holdLease(): Promise<void> {
    const { store, instanceId, leaseTtlMs, logger } = this.deps;
    if (!(await store.hasMeta()))
      throw new RedisStateLostError(
        'Redis lost the state of this deployment (its meta is gone: wiped, or replaced by an empty ' +
          'instance). Stop every evaluator and rebuild: syncline evaluator --reset (docs/evaluator.md, "Redis")',
      );
    const outcome = await store.holdLease(instanceId, leaseTtlMs);
    this.lastRenewal = Date.now();
    const held = outcome !== 'held-by-other';
    if (outcome === 'acquired') {
      if (this.leading) logger.warn({ instanceId }, 'coordinator lease had expired; acquired it again');
      const stored = await store.getCheckpoint();
      if (isBehind(stored, this.checkpoint)) throw lostCheckpoint(stored, this.checkpoint!);
      this.checkpoint = stored;
    }
    if (held !== this.leading) {
      this.gates.reset();
      logger.info({ instanceId }, held ? 'coordinator lease acquired' : 'coordinator lease lost');
      this.leading = held;
      this.deps.metrics.isCoordinator.set(held ? 1 : 0);
    }
  }

  /** One step: advances the checkpoint as far as possible. True when it published. */
  async advance(): Promise<boolean> {
    const { store, transactions, generation, metrics } = this.deps;
    const after = BigInt(this.checkpoint?.endOffset ?? '-1');
    const { gates } = this;
    const pending = transactions.tracker.endsAfter(after, gates.wide ? Number.MAX_SAFE_INTEGER : WINDOW);
    metrics.transactionsPending.set(pending.length);
    const oldestPending = pending[0];
    metrics.checkpointAge.set(
      oldestPending?.commitTimeMs ? Math.max(0, Date.now() - oldestPending.commitTimeMs) / 1000 : 0,
    );
    if (pending.length === 0) {
      this.lastMovedMs = Date.now();
      return false;
    }
    if (this.checkpoint === null && !(await gates.initialSnapshotDone()))
      return this.blocked(() => ({ waitingFor: 'initial-snapshot' }), pending.length);
    const limit = await gates.fullSnapshotLimit(pending);
    if (limit === 0) return this.blocked(() => gates.fullSnapshotBlocker(), pending.length);
    const { n: complete, counted, short } = await this.completeTransactions(pending.slice(0, limit));
    const n = await gates.windowsPassed(pending.slice(0, complete));
    this.deps.metrics.snapshotHold.set(gates.holdingFor === null ? 0 : 1);
    if (n === 0) {
      const t = pending[0]!;
      const [held, hold] = [gates.holdingFor, gates.holdReason];
      const window = (): Blocker =>
        held !== null
          ? { waitingFor: 'incremental-snapshot', snapshot: held }
          : {
              waitingFor: 'snapshot-window',
              xid: t.xid.toString(),
              endOffset: t.endOffset!.toString(),
              hold,
            };
      return this.blocked(complete > 0 ? window : short!, pending.length);
    }
    const covered = pending.slice(0, n);
    const last = covered[n - 1]!;
    const lastOpId = transactionCheckpointOpId(generation, last.endOffset!);
    const writeCheckpoints = await this.writeCheckpoints(covered);
    await store.saveWriteCheckpoints(writeCheckpoints, lastOpId);
    const publishedAtMs = Date.now();
    const checkpoint: Checkpoint = {
      lastOpId: formatOpId(lastOpId),
      endOffset: last.endOffset!.toString(),
      lsn: last.endLsn?.toString() ?? null,
      commitTimeMs: last.commitTimeMs,
      publishedAtMs,
      writeCheckpoints,
      previousOpId: this.checkpoint?.lastOpId ?? null,
    };
    const outcome = await store.publishCheckpoint(this.deps.instanceId, checkpoint, this.checkpoint);
    if (outcome === 'regressed') throw lostCheckpoint(await store.getCheckpoint(), this.checkpoint!);
    if (outcome === 'not-leader') {
      this.leading = false;
      this.deps.metrics.isCoordinator.set(0);
      return false;
    }
    if (outcome === 'stale') {
      this.checkpoint = await store.getCheckpoint();
      return false;
    }
    this.checkpoint = checkpoint;
    this.lastMovedMs = Date.now();
    transactions.tracker.cover(last.endLsn);
    metrics.checkpoints.inc();
    for (const tx of covered)
      for (const [stage, seconds] of latencyStages(tx, publishedAtMs))
        metrics.transactionLatency.observe({ stage }, seconds);
    await store.forgetProcessed(counted.filter((o) => o <= last.endOffset!));
    return true;
  }

  /**
   * How many leading pending transactions have all their events processed, the END offsets whose
   * counts were read (to forget once covered), and what the first incomplete one waits for.
   * Counts in growing chunks and stops at the first incomplete transaction: a large backlog must
   * not cost thousands of SCARDs per step.
   */
  private async completeTransactions(
    pending: readonly TrackedTransaction[],
  ): Promise<{ n: number; counted: bigint[]; short: (() => Blocker) | null }> {
    const { store, consumed } = this.deps;
    let n = 0;
    const counted: bigint[] = [];
    for (let chunk = 32; n < pending.length; chunk = Math.min(chunk * 4, 1024)) {
      const slice = pending.slice(n, n + chunk);
      // Per chunk, not for the whole window: under a backlog most steps stop in the first chunks.
      const expected = slice.map((t) => expectedEvents(t.counts ?? NO_COUNTS, consumed));
      const toCount = slice.filter((_, i) => expected[i]! > 0).map((t) => t.endOffset!);
      const counts = await store.processedCounts(toCount);
      const byOffset = new Map(toCount.map((o, i) => [o, counts[i]!]));
      const processed = slice.map((t, i) => (expected[i] === 0 ? 0 : byOffset.get(t.endOffset!)!));
      const complete = completePrefix(expected, processed);
      const seenMs = Date.now();
      for (let i = 0; i < complete; i++) slice[i]!.completeSeenMs ??= seenMs;
      counted.push(...toCount);
      if (complete < slice.length) {
        const t = slice[complete]!;
        const [want, got] = [expected[complete]!, processed[complete]!];
        // Built only when a stall is reported: this runs on every step while a transaction is open.
        const short = (): Blocker => ({
          waitingFor: 'events',
          xid: t.xid.toString(),
          endOffset: t.endOffset!.toString(),
          expected: want,
          processed: got,
          counts: Object.fromEntries(t.counts ?? []),
        });
        return { n: n + complete, counted, short };
      }
      n += complete;
    }
    return { n, counted, short: null };
  }

  /**
   * Publishing nothing while transactions are pending is normal for a moment (their events are
   * being processed); for longer than `stallReportMs` (30 s) it is what an operator needs explained,
   * so the leader logs the first transaction it waits for, at most once per that interval.
   */
  private blocked(blocker: () => Blocker, pending: number): false {
    const now = Date.now();
    const stalledMs = now - this.lastMovedMs;
    const every = this.deps.stallReportMs ?? STALL_REPORT_MS;
    if (stalledMs >= every && now - this.lastStallReportMs >= every) {
      this.lastStallReportMs = now;
      this.deps.logger.warn(
        { ...blocker(), pending, stalledMs, checkpoint: this.checkpoint?.lastOpId ?? null },
        'the checkpoint has not advanced: waiting for the first pending transaction',
      );
    }
    return false;
  }

  /** The write checkpoints of the covered transactions that carried a logical message. */
  private async writeCheckpoints(covered: readonly TrackedTransaction[]): Promise<WriteCheckpoint[]> {
    const withMessages = covered.filter((t) => (t.counts?.get(LOGICAL_DECODING_MESSAGE) ?? 0) > 0);
    return this.deps.store.transactionWriteCheckpoints(withMessages.map((t) => t.endOffset!));
  }
}
