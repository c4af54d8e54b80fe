// The in-memory store against the reader contract (the Redis reader runs the same suite in
// test/integration/redis-reader.test.ts).
import { MemoryBucketStore } from '../src';
import { compactFully, describeReaderContract } from './reader-contract';

describeReaderContract('in memory', () => {
  const store = new MemoryBucketStore();
  return Promise.resolve({
    reader: store,
    addOps: (ops) => store.addOps(ops),
    writeLookups: (writes) => store.writeLookups(writes),
    saveWriteCheckpoints: (wcs, opId) => store.saveWriteCheckpoints(wcs, opId),
    publish: (checkpoint) => store.publishCheckpoint(checkpoint),
    compact: (bucket, safeOpId) =>
      compactFully(
        (upTo) => Promise.resolve(store.opsUpTo(bucket, upTo)),
        (plan) => Promise.resolve(store.compact(bucket, plan)),
        safeOpId,
      ),
    close: () => store.close(),
  });
});
