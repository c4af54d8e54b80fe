// The Redis reader against the reader contract, written through the evaluator's own write path
// (RedisBucketWriter and RedisCoordination's fenced publish), on the real Redis.
import { Redis } from 'ioredis';
import { getTestStack, uniqueName } from '@syncline/test-kit';
import { RedisBucketReader, RedisBucketWriter, RedisCoordination } from '../../src';
import { describeReaderContract } from '../reader-contract';

describeReaderContract('Redis', async () => {
  const redis = new Redis(getTestStack().endpoints.redisUrl);
  const prefix = `test:${uniqueName('reader')}`;
  const writer = new RedisBucketWriter(redis, prefix);
  const coordination = new RedisCoordination(redis, prefix);
  const reader = new RedisBucketReader(redis, prefix);
  await coordination.holdLease('contract', 60_000);
  return {
    reader,
    addOps: (ops) => writer.addOps(ops),
    writeLookups: (writes) => writer.writeLookups(writes),
    saveWriteCheckpoints: (wcs, opId) => coordination.saveWriteCheckpoints(wcs, opId),
    async publish(checkpoint) {
      const outcome = await coordination.publishCheckpoint('contract', checkpoint);
      if (outcome === 'not-leader' || outcome === 'regressed') throw new Error(`unexpected ${outcome}`);
      return outcome;
    },
    async close() {
      await reader.close();
      await coordination.deleteAll();
      redis.disconnect();
    },
  };
});
