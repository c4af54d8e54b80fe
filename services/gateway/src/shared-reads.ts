// Reads shared by every connection of one gateway process: a checkpoint's bucket checksums, the
// serialized data lines of bucket pages and parameter lookups are read from Redis once
// (concurrent requests for the same thing wait for the same read) and kept in bounded LRU caches;
// checksums missing from the cache are read in one batch per event-loop turn across connections
// (read-batcher.ts). A checkpoint's checksums never change once published, and a page never goes
// stale: compaction rewrites ops into MOVE/CLEAR, but a page read before it still holds the
// original ops, which lead a client to the same checksums (docs/consistency.md 2.6).
import type { BucketChecksum, BucketReader } from '@syncline/bucket-store';
import { serializeSyncLine } from '@syncline/protocol';
import { Lru } from '@syncline/service-runtime';
import { highestTarget, readPage } from './bucket-pages';
import { ReadBatcher } from './read-batcher';

/** Buckets per batched checksum read: one pipeline of this many scripts. */
const CHECKSUM_BATCH = 1000;

/** One page of a bucket as its `data` line, serialized once for every connection that needs it. */
export interface DataPage {
  readonly text: string;
  readonly bytes: number;
  readonly ops: number;
  /** The last op id in the page (the client's next `after`). */
  readonly last: bigint;
  /** Null when the page reaches the end of what was asked for. */
  readonly next: bigint | null;
  /** The highest target of its MOVE/CLEAR ops, -1 when none (the completion rule, sync-session.ts). */
  readonly target: bigint;
}

export interface PageShape {
  readonly pageOps: number;
  readonly pageBytes: number;
  /** Budget of the serialized pages kept once every connection reading them has them. */
  readonly pageCacheBytes: number;
}

export class SharedReads {
  private readonly checksums = new Lru<string, Promise<BucketChecksum>>(200_000);
  private readonly lookups = new Lru<string, Promise<unknown[]>>(50_000);
  /** Pages being read now: every connection asking meanwhile waits for the same read. */
  private readonly pagesInFlight = new Map<string, Promise<DataPage | null>>();
  private readonly pages: Lru<string, DataPage | null>;
  private readonly checksumBatch: ReadBatcher<bigint, string, BucketChecksum>;

  constructor(
    readonly reader: BucketReader,
    private readonly shape: PageShape,
  ) {
    this.pages = new Lru(100_000, shape.pageCacheBytes);
    this.checksumBatch = new ReadBatcher(
      (checkpoint, buckets) => reader.checksumsAt(buckets, checkpoint),
      CHECKSUM_BATCH,
    );
  }

  /** Checksum and count of each bucket at `checkpoint`; the missing ones join this turn's batch. */
  checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]> {
    return Promise.all(
      buckets.map((bucket) =>
        this.cached(this.checksums, `${checkpoint}|${bucket}`, () =>
          this.checksumBatch.get(checkpoint, bucket),
        ),
      ),
    );
  }

  /**
   * The data line of the page of `bucket` after `after` up to `upTo` (page boundaries from
   * bucket-pages.ts), or null when the bucket has no op there.
   */
  dataPage(bucket: string, after: bigint, upTo: bigint): Promise<DataPage | null> {
    const key = `${bucket}|${after}|${upTo}`;
    const kept = this.pages.get(key);
    if (kept !== undefined) return Promise.resolve(kept);
    const inFlight = this.pagesInFlight.get(key);
    if (inFlight !== undefined) return inFlight;
    const read = this.readDataPage(bucket, after, upTo).finally(() => this.pagesInFlight.delete(key));
    this.pagesInFlight.set(key, read);
    read.then(
      (page) => {
        if (this.shape.pageCacheBytes > 0) this.pages.set(key, page, page?.bytes ?? 0);
      },
      () => undefined,
    );
    return read;
  }

  lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]> {
    return this.cached(this.lookups, `${checkpoint}|${lookupKey}`, () =>
      this.reader.lookupAt(lookupKey, checkpoint),
    );
  }

  private async readDataPage(bucket: string, after: bigint, upTo: bigint): Promise<DataPage | null> {
    const { pageOps, pageBytes } = this.shape;
    const page = await readPage(this.reader, bucket, after, upTo, pageOps, pageBytes);
    if (page.ops.length === 0)
      // Nothing to send; a range compacted away still withholds the checkpoint's completion.
      return page.compactedPast < 0
        ? null
        : { text: '', bytes: 0, ops: 0, last: after, next: null, target: page.compactedPast };
    const last = page.ops[page.ops.length - 1]!.opId;
    const text = serializeSyncLine({
      kind: 'data',
      bucket,
      after,
      nextAfter: last,
      hasMore: page.next !== null,
      ops: page.ops,
    });
    const target = highestTarget(page.ops);
    return { text, bytes: Buffer.byteLength(text), ops: page.ops.length, last, next: page.next, target };
  }

  private cached<T>(cache: Lru<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const promise = read();
    promise.catch(() => cache.delete(key));
    cache.set(key, promise);
    return promise;
  }
}
