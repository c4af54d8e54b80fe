import { RateLimiter } from '../src/rate-limiter';

describe('RateLimiter', () => {
  it('allows a burst, then the rate, per key', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([1, 2, 3, 4].map(() => limiter.take('alice'))).toEqual([true, true, true, false]);
    expect(limiter.take('bob')).toBe(true); // another user has a bucket of their own
    now += 499;
    expect(limiter.take('alice')).toBe(false); // 0.998 of a call refilled
    now += 1;
    expect(limiter.take('alice')).toBe(true);
    expect(limiter.take('alice')).toBe(false);
    now += 60_000; // refills up to the burst, no further
    expect([1, 2, 3, 4].map(() => limiter.take('alice'))).toEqual([true, true, true, false]);
  });
});
