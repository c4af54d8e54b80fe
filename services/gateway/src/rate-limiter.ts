// A token bucket per key (the user), for the write-checkpoint endpoints: each call emits a
// logical message through Postgres, so one user must not be able to flood the WAL. `burst` calls
// at once, then `perSecond` on average. Memory is bounded: the buckets of the users seen least
// recently are forgotten (a forgotten user starts full again). Pure but for the clock.
import { Lru } from '@syncline/service-runtime';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private readonly buckets = new Lru<string, Bucket>(100_000);

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one call for `key`; false when its bucket is empty (the call must be refused). */
  take(key: string): boolean {
    const now = this.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, (bucket = { tokens: this.burst, at: now }));
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
