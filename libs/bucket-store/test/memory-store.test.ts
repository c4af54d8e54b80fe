// The in-memory store against the reader contract (the Redis reader runs the same suite in
// test/integration/redis-reader.test.ts).
import { MemoryBucketStore } from '../src';
import { describeReaderContract } from './reader-contract';

describeReaderContract('in memory', () => {
  const store = new MemoryBucketStore();
  return Promise.resolve({
    reader: store,
    addOps: (ops) => store.addOps(ops),
    writeLookups: (writes) => store.writeLookups(writes),
    saveWriteCheckpoints: (wcs, opId) => store.saveWriteCheckpoints(wcs, opId),
    publish: (checkpoint) => store.publishCheckpoint(checkpoint),
    close: () => store.close(),
  });
});
