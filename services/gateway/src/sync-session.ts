// One client's sync stream: for the current checkpoint and then each newer one, resolve the user's
// buckets as of it, send the checkpoint line (full first, then diffs), the ops each changed
// bucket lacks (most urgent priority first, paged at op-id boundaries), a
// partial_checkpoint_complete per priority level but the last, and checkpoint_complete. Besides,
// token_expires_in every keepalive interval, and 0 then the end of the stream at token expiry.
import type { Checkpoint } from '@syncline/bucket-store';
import { parseOpId, type BucketChecksumEntry } from '@syncline/protocol';
import { createRequestContext, type RequestContext, type SyncRules } from '@syncline/sync-rules';
import type { VerifiedToken } from './auth';
import { resolveBuckets } from './bucket-resolver';
import { CheckpointState, type CheckpointTarget } from './checkpoint-state';
import type { GatewayMetrics } from './metrics';
import type { NdjsonWriter } from './ndjson-writer';
import type { DataPage, SharedReads } from './shared-reads';
import type { SyncRequest } from './sync-request';
import { WriteCheckpointFollower } from './write-checkpoint-follower';

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

  constructor(
    private readonly deps: SessionDeps,
    private readonly token: VerifiedToken,
    private readonly sync: SyncRequest,
  ) {
    this.request = createRequestContext(token.payload, sync.parameters);
    this.after = new Map(sync.after);
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
    const { rules, reads, limits } = this.deps;
    const lastOpId = parseOpId(checkpoint.lastOpId);
    if (checkpoint.commitTimeMs !== null)
      this.deps.metrics.checkpointAge.set(Math.max(0, Date.now() - checkpoint.commitTimeMs) / 1000);
    const buckets = await resolveBuckets(rules, this.request, reads, lastOpId, limits.maxBuckets);
    const sums = await reads.checksumsAt(
      buckets.map((b) => b.bucket),
      lastOpId,
    );
    const entries: BucketChecksumEntry[] = buckets.map((b, i) => ({
      bucket: b.bucket,
      checksum: sums[i]!.checksum | 0,
      count: sums[i]!.count,
      priority: b.priority,
    }));
    const writeCheckpoint = (await this.writeCheckpoint?.at(checkpoint)) ?? null;
    return { lastOpId, buckets: entries, writeCheckpoint, publishedAtMs: checkpoint.publishedAtMs };
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
    try {
      await this.send(writer, first, false);
      for await (const checkpoint of subscribe(stop.signal)) {
        if (stop.signal.aborted) break;
        if (parseOpId(checkpoint.lastOpId) <= first.lastOpId) continue;
        await this.send(writer, await this.target(checkpoint), true);
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      stop.abort();
      await keepalive;
    }
  }

  /** `live`: a checkpoint published while the stream was open (its delivery time is measured). */
  private async send(writer: NdjsonWriter, target: CheckpointTarget, live: boolean): Promise<void> {
    const next = this.state.next(target);
    if (next === null) return;
    await writer.write(next.line);
    this.state.sentLine(target);
    const levels = [...new Set(target.buckets.map((b) => b.priority ?? 3))].sort((a, b) => a - b);
    for (const [i, level] of levels.entries()) {
      for (const bucket of next.changed)
        if ((bucket.priority ?? 3) === level) await this.download(writer, bucket.bucket, target.lastOpId);
      if (i < levels.length - 1)
        await writer.write({
          kind: 'partial_checkpoint_complete',
          lastOpId: target.lastOpId,
          priority: level,
        });
    }
    await writer.write({ kind: 'checkpoint_complete', lastOpId: target.lastOpId });
    if (live && target.publishedAtMs !== undefined)
      this.deps.metrics.checkpointDelivery.observe(Math.max(0, Date.now() - target.publishedAtMs) / 1000);
    // The client now holds exactly the checkpoint's buckets, each up to its last op id.
    this.after.clear();
    for (const b of target.buckets) this.after.set(b.bucket, target.lastOpId);
    this.deps.metrics.checkpointsSent.inc();
  }

  private async download(writer: NdjsonWriter, bucket: string, upTo: bigint): Promise<void> {
    const { reads, metrics } = this.deps;
    const after = this.after.get(bucket) ?? 0n;
    if (after >= upTo) return;
    let next: Promise<DataPage | null> | null = reads.dataPage(bucket, after, upTo);
    while (next !== null) {
      const page: DataPage | null = await next;
      if (page === null) return;
      // The next page is read while this one is written: Redis and the socket work side by side,
      // and at most two pages per connection are in memory.
      next = page.next === null ? null : reads.dataPage(bucket, page.next, upTo);
      next?.catch(() => undefined); // a write that fails first ends the download; its error wins
      await writer.writeText(page.text, page.bytes);
      metrics.opsSent.inc(page.ops);
      this.after.set(bucket, page.last);
    }
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
