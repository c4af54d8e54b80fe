// The Redis reader against the reader contract, written through the evaluator's own write path
// (RedisBucketWriter and RedisCoordination's fenced publish), on the real Redis: the stack's one
// server, and a local three-master Redis Cluster (batches split per slot there).
import { Cluster, Redis } from 'ioredis';
import { getTestStack, startRedisCluster, uniqueName, type LocalRedisCluster } from '@syncline/test-kit';
import {
  RedisBucketCompactor,
  RedisBucketReader,
  RedisBucketWriter,
  RedisCoordination,
  type StoreConnection,
} from '../../src';
import { compactFully, describeReaderContract, type ReaderFixture } from '../reader-contract';

async function fixture(redis: StoreConnection): Promise<ReaderFixture> {
  const prefix = `test:${uniqueName('reader')}`;
  const writer = new RedisBucketWriter(redis, prefix);
  const coordination = new RedisCoordination(redis, prefix);
  const reader = new RedisBucketReader(redis, prefix);
  const compactor = new RedisBucketCompactor(redis, prefix);
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
    compact: (bucket, safeOpId) =>
      compactFully(
        (upTo) => compactor.opsUpTo(bucket, upTo),
        (plan) => compactor.apply(bucket, plan),
        safeOpId,
      ),
    async close() {
      await reader.close();
      await coordination.deleteAll();
      redis.disconnect();
    },
  };
}

describeReaderContract('Redis', () => fixture(new Redis(getTestStack().endpoints.redisUrl)));

describe('on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });
  describeReaderContract('Redis Cluster', () =>
    fixture(
      new Cluster(cluster.nodes.map((n) => ({ host: n.split(':')[0]!, port: Number(n.split(':')[1]) }))),
    ),
  );
});
