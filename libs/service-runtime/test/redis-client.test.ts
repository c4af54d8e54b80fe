import { createRedisClient, redisReady, StoppedError } from '../src';

describe('the services Redis client', () => {
  it('waits for Redis until stopped, logging the outage once per interval with its code', async () => {
    const warnings: Array<Record<string, unknown>> = [];
    // Nothing listens on port 1: every connection attempt is refused at once.
    const redis = createRedisClient('redis://127.0.0.1:1', { warn: (fields) => void warnings.push(fields) });
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 600);
    try {
      await expect(redisReady(redis, stop.signal)).rejects.toBeInstanceOf(StoppedError);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ code: 'SYNC_E501' });
    } finally {
      redis.disconnect();
    }
  });
});
