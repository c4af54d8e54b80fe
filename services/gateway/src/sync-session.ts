// One client's sync stream: for the current checkpoint and then each newer one, resolve the user's
// buckets as of it (edition 3: the connection's stream subscriptions), send the checkpoint line (full first, then diffs), the ops each changed
// bucket lacks (most urgent priority first, paged at op-id boundaries), a
// partial_checkpoint_complete per priority level but the last, and checkpoint_complete, unless
// compacted ops sent supersede past the checkpoint (the completion rule, below). Besides,
// token_expires_in every keepalive interval, and 0 then the end of the stream at token expiry.
import type { Checkpoint } from '@syncline/bucket-store';
import {
  parseOpId,
  type BucketChecksumEntry,
  type StreamDescription,
  type StreamSubscriptionRef,
} from '@syncline/protocol';
import { createRequestContext, type RequestContext, type SyncRules } from '@syncline/sync-rules';
import type { VerifiedToken } from './auth';
import { resolveBuckets, resolveSubscribedBuckets } from './bucket-resolver';
import { CheckpointState, type CheckpointTarget } from './checkpoint-state';
import { LatestCheckpoint } from './latest-checkpoint';
import type { GatewayMetrics } from './metrics';
import type { NdjsonWriter } from './ndjson-writer';
import type { DataPage, SharedReads } from './shared-reads';
import { StreamListing } from './stream-listing';
import type { SyncRequest } from './sync-request';
import { WriteCheckpointFollower } from './write-checkpoint-follower';

/** Ops a checkpoint's download sends before a newer checkpoint may interrupt it. */
const INTERRUPT_AFTER_OPS = 1000;

export interface SessionLimits {
  readonly maxBuckets: number;
  readonly keepaliveMs: number;
}

export interface SessionDeps {
  readonly rules: SyncRules;
  readonly reads: SharedReads;
  readonly limits: SessionLimits;
  readonly metrics: GatewayMetrics;
  /** The client's write checkpoint a checkpoint covers (null: none yet). */
  readonly writeCheckpointAt: (
    userId: string,
    clientId: string,
    checkpoint: bigint,
  ) => Promise<bigint | null>;
  readonly now?: () => number;
}

export class SyncSession {
  private readonly state = new CheckpointState();
  private readonly request: RequestContext;
  /** Per bucket, the op id after which the client still lacks ops. */
  private readonly after: Map<string, bigint>;
  /** Null when the client sent no client id (it then gets no write checkpoints). */
  private readonly writeCheckpoint: WriteCheckpointFollower | null;
  /** Edition 3: the streams the connection is subscribed to (null for editions 1-2). */
  private readonly streams: StreamListing | null;
  /** The target of the last checkpoint line sent. */
  private sent: CheckpointTarget | null = null;
  /** Buckets of that line whose download a newer checkpoint interrupted. */
  private readonly unfinished = new Set<string>();
  /**
   * The highest target of the MOVE/CLEAR ops sent since the last checkpoint_complete (-1: none).
   * The completion rule (docs/consistency.md 2.6): a client that received a MOVE whose superseding
   * op, or a CLEAR whose absorbed ops, lie above checkpoint c has checksums that match c and rows c
   * never had, so c is not completed; the client is moved on to a checkpoint at or above it (one
   * exists: compaction only runs up to a published checkpoint).
   */
  private sentTarget = -1n;
  /** A completion was withheld: the next checkpoint gets a line even when nothing changed. */
  private withheld = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly token: VerifiedToken,
    private readonly sync: SyncRequest,
  ) {
    this.request = createRequestContext(token.payload, sync.parameters);
    this.after = new Map(sync.after);
    this.streams = deps.rules.hasStreams ? new StreamListing(deps.rules, sync.streams) : null;
    const clientId = sync.clientId;
    this.writeCheckpoint =
      clientId === null
        ? null
        : new WriteCheckpointFollower(token.userId, clientId, (cp) =>
            deps.writeCheckpointAt(token.userId, clientId, cp),
          );
  }

  /** The target for a checkpoint: the user's buckets, their checksums and the write checkpoint. */
  async target(checkpoint: Checkpoint): Promise<CheckpointTarget> {
    const lastOpId = parseOpId(checkpoint.lastOpId);
    if (checkpoint.commitTimeMs !== null)
      this.deps.metrics.checkpointAge.set(Math.max(0, Date.now() - checkpoint.commitTimeMs) / 1000);
    const { buckets, streams } = await this.bucketsAt(lastOpId);
    const sums = await this.deps.reads.checksumsAt(
      buckets.map((b) => b.bucket),
      lastOpId,
    );
    const entries: BucketChecksumEntry[] = buckets.map((b, i) => {
      const entry = {
        bucket: b.bucket,
        checksum: sums[i]!.checksum | 0,
        count: sums[i]!.count,
        priority: b.priority,
      };
      return b.subscriptions === undefined ? entry : { ...entry, subscriptions: b.subscriptions };
    });
    const writeCheckpoint = (await this.writeCheckpoint?.at(checkpoint)) ?? null;
    return {
      lastOpId,
      buckets: entries,
      writeCheckpoint,
      publishedAtMs: checkpoint.publishedAtMs,
      ...(streams === undefined ? {} : { streams }),
    };
  }

  /**
   * The user's buckets at `lastOpId` with their priorities; edition 3: also which subscriptions
   * reached each, and the `streams` of a full checkpoint line (with the subscriptions' errors).
   */
  private async bucketsAt(lastOpId: bigint): Promise<{
    buckets: readonly { bucket: string; priority: number; subscriptions?: StreamSubscriptionRef[] }[];
    streams?: StreamDescription[];
  }> {
    const { rules, reads, limits } = this.deps;
    if (this.streams === null)
      return { buckets: await resolveBuckets(rules, this.request, reads, lastOpId, limits.maxBuckets) };
    const listing = this.streams;
    const { buckets, errors } = await resolveSubscribedBuckets(
      rules,
      this.request,
      this.sync.streams,
      reads,
      lastOpId,
      limits.maxBuckets,
    );
    const references = buckets.map((b) => ({
      bucket: b.bucket,
      priority: b.priority,
      subscriptions: listing.references(b),
    }));
    // Only the connection's first line is a full checkpoint, the only one with `streams`.
    if (this.sent !== null) return { buckets: references };
    this.deps.metrics.subscriptionErrors.inc(errors.length);
    return { buckets: references, streams: listing.describe(errors) };
  }

  /**
   * Streams `first` (prepared before the response started), then every newer checkpoint
   * `subscribe` yields, until `signal` aborts, the token expires or the client goes away.
   */
  async run(
    writer: NdjsonWriter,
    first: CheckpointTarget,
    subscribe: (signal: AbortSignal) => AsyncIterable<Checkpoint>,
    signal: AbortSignal,
  ): Promise<void> {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) stop.abort();
    const keepalive = this.keepalive(writer, stop);
    const latest = new LatestCheckpoint(subscribe(stop.signal));
    let at = first.lastOpId;
    const newer = (): boolean => latest.newerThan(at);
    try {
      await this.send(writer, first, false, newer);
      for (;;) {
        const checkpoint = await latest.next(at, stop.signal);
        if (checkpoint === null) break;
        at = parseOpId(checkpoint.lastOpId);
        await this.send(writer, await this.target(checkpoint), true, newer);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      await Promise.all([keepalive, latest.done]);
    }
  }

  /**
   * Sends what the client lacks for `target`: the checkpoint line when something changed, the
   * data of changed buckets (and of buckets an interrupted download left unfinished), and the
   * complete lines. After 1,000 ops a newer checkpoint interrupts the download (`newer`): no
   * complete line, and the next checkpoint goes on from where each bucket stopped.
   * `live`: a checkpoint published while the stream was open (its delivery time is measured).
   */
  private async send(
    writer: NdjsonWriter,
    target: CheckpointTarget,
    live: boolean,
    newer: () => boolean,
  ): Promise<void> {
    const next = this.state.next(target, this.withheld);
    if (next !== null) {
      await writer.write(next.line);
      this.state.sentLine(target);
      this.sent = target;
      if (next.line.kind === 'checkpoint_diff')
        for (const removed of next.line.removedBuckets) {
          this.after.delete(removed);
          this.unfinished.delete(removed);
        }
      for (const b of next.changed) this.unfinished.add(b.bucket);
    } else if (this.unfinished.size === 0) return;
    // Nothing the client sees changed since the interrupted line: finish that one.
    const current = this.sent!;
    const budget = { ops: 0, interrupts: newer };
    const levels = [...new Set(current.buckets.map((b) => b.priority ?? 3))].sort((a, b) => a - b);
    for (const [i, level] of levels.entries()) {
      for (const bucket of current.buckets)
        if ((bucket.priority ?? 3) === level && this.unfinished.has(bucket.bucket))
          if (!(await this.download(writer, bucket.bucket, current.lastOpId, budget))) {
            this.deps.metrics.downloadsInterrupted.inc();
            return;
          }
      if (i < levels.length - 1 && this.sentTarget <= current.lastOpId)
        await writer.write({
          kind: 'partial_checkpoint_complete',
          lastOpId: current.lastOpId,
          priority: level,
        });
    }
    if (this.sentTarget > current.lastOpId) {
      this.withheld = true;
      this.deps.metrics.completionsWithheld.inc();
      return;
    }
    this.withheld = false;
    this.sentTarget = -1n;
    await writer.write({ kind: 'checkpoint_complete', lastOpId: current.lastOpId });
    if (live && current.publishedAtMs !== undefined)
      this.deps.metrics.checkpointDelivery.observe(Math.max(0, Date.now() - current.publishedAtMs) / 1000);
    // The client now holds exactly the checkpoint's buckets, each up to its last op id.
    this.after.clear();
    for (const b of current.buckets) this.after.set(b.bucket, current.lastOpId);
    this.deps.metrics.checkpointsSent.inc();
  }

  /**
   * The ops of `bucket` after what the client holds, up to `upTo`. False when a newer
   * checkpoint interrupted it (the bucket stays unfinished, the client holds it up to the last
   * page sent).
   */
  private async download(
    writer: NdjsonWriter,
    bucket: string,
    upTo: bigint,
    budget: { ops: number; readonly interrupts: () => boolean },
  ): Promise<boolean> {
    const { reads, metrics } = this.deps;
    const after = this.after.get(bucket) ?? 0n;
    const interrupted = (): boolean => budget.ops >= INTERRUPT_AFTER_OPS && budget.interrupts();
    if (after < upTo && interrupted()) return false;
    let next: Promise<DataPage | null> | null = after >= upTo ? null : reads.dataPage(bucket, after, upTo);
    while (next !== null) {
      const page: DataPage | null = await next;
      if (page === null) break;
      // The next page is read while this one is written: Redis and the socket work side by side,
      // and at most two pages per connection are in memory.
      next = page.next === null ? null : reads.dataPage(bucket, page.next, upTo);
      next?.catch(() => undefined); // a write that fails first ends the download; its error wins
      if (page.ops > 0) await writer.writeText(page.text, page.bytes);
      metrics.opsSent.inc(page.ops);
      if (page.target > this.sentTarget) this.sentTarget = page.target;
      this.after.set(bucket, page.last);
      budget.ops += page.ops;
      if (next !== null && interrupted()) return false;
    }
    // At least upTo; past it when a CLEAR above upTo stood for the range (the client holds it).
    if ((this.after.get(bucket) ?? 0n) < upTo) this.after.set(bucket, upTo);
    this.unfinished.delete(bucket);
    return true;
  }

  /** token_expires_in every interval; at expiry 0, then the stream ends. */
  private async keepalive(writer: NdjsonWriter, stop: AbortController): Promise<void> {
    const now = this.deps.now ?? (() => Date.now());
    const { keepaliveMs } = this.deps.limits;
    while (!stop.signal.aborted) {
      const left = this.token.expiresAt * 1000 - now();
      await sleepUnless(Math.max(0, Math.min(keepaliveMs, left)), stop.signal);
      if (stop.signal.aborted) return;
      const seconds = Math.max(0, Math.floor((this.token.expiresAt * 1000 - now()) / 1000));
      try {
        await writer.write({ kind: 'token_expires_in', seconds });
      } catch {
        stop.abort();
        return;
      }
      if (seconds === 0) {
        stop.abort();
        writer.end();
        return;
      }
    }
  }
}

function sleepUnless(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
