// Reads shared by every connection of one gateway process: a checkpoint's bucket checksums, pages
// of bucket ops and parameter lookups are read from Redis once (concurrent requests for the same
// thing wait for the same read) and kept in bounded LRU caches. Checkpoint data never changes
// once published (ops up to a checkpoint are final), so an entry is never stale.
import type { BucketChecksum, BucketReader } from '@syncline/bucket-store';
import type { BucketOp } from '@syncline/protocol';
import { Lru } from './lru';

export class SharedReads {
  private readonly checksums = new Lru<string, Promise<BucketChecksum>>(200_000);
  private readonly pages = new Lru<string, Promise<BucketOp[]>>(2_000);
  private readonly lookups = new Lru<string, Promise<unknown[]>>(50_000);

  constructor(readonly reader: BucketReader) {}

  /** Checksum and count of each bucket at `checkpoint`; one Redis round for the missing ones. */
  async checksumsAt(buckets: readonly string[], checkpoint: bigint): Promise<BucketChecksum[]> {
    const missing: string[] = [];
    const results = buckets.map((bucket) => {
      const key = `${checkpoint}|${bucket}`;
      const cached = this.checksums.get(key);
      if (cached !== undefined) return cached;
      missing.push(bucket);
      return null;
    });
    if (missing.length > 0) {
      const read = this.reader.checksumsAt(missing, checkpoint);
      missing.forEach((bucket, i) => {
        const one = read.then((all) => all[i]!);
        one.catch(() => this.checksums.delete(`${checkpoint}|${bucket}`));
        this.checksums.set(`${checkpoint}|${bucket}`, one);
      });
    }
    return Promise.all(results.map((r, i) => r ?? this.checksums.get(`${checkpoint}|${buckets[i]}`)!));
  }

  /** At most `limit` ops with after < opId <= upTo, in op-id order. */
  opsBetween(bucket: string, after: bigint, upTo: bigint, limit: number): Promise<BucketOp[]> {
    return this.cached(this.pages, `${bucket}|${after}|${upTo}|${limit}`, () =>
      this.reader.opsBetween(bucket, after, upTo, limit),
    );
  }

  lookupAt(lookupKey: string, checkpoint: bigint): Promise<unknown[]> {
    return this.cached(this.lookups, `${checkpoint}|${lookupKey}`, () =>
      this.reader.lookupAt(lookupKey, checkpoint),
    );
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
