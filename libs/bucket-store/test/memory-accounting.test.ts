// Memory accounting reads the key layout backwards: every key StoreKeys can name must land in the
// category that writes it (a new key kind without a rule here fails this test as 'coordination').
import { classifyKey, formatBytes, StoreKeys, summarizeMemory, tagOf } from '../src';

const prefix = 'syncline:dep:v1';
const keys = new StoreKeys(prefix);

describe('classifyKey', () => {
  it('puts every key of the layout in the category that writes it', () => {
    const b = keys.bucket('lists["u1"]');
    const l = keys.lookup('lists.by_owner["u1"]');
    const expected: Array<[string, string]> = [
      [b.ops, 'buckets'],
      [b.body, 'buckets'],
      [b.meta, 'buckets'],
      [keys.buckets, 'buckets'],
      [keys.rowShard('s.todos', 3), 'rows'],
      [keys.rowShardMarker('s.todos', 3), 'rows'],
      [l.index, 'lookups'],
      [l.values, 'lookups'],
      [keys.counts, 'transactions'],
      [keys.seen(42n), 'transactions'],
      [keys.transactionWriteCheckpoints(42n), 'transactions'],
      [keys.writeCheckpoints('u1'), 'write-checkpoints'],
      [keys.lease, 'coordination'],
      [keys.checkpoint, 'coordination'],
      [keys.meta, 'coordination'],
      [keys.progress, 'coordination'],
      [keys.streaming, 'coordination'],
      [keys.transactionLow, 'coordination'],
      [keys.snapshotHighWater, 'coordination'],
      [keys.resnapshot, 'coordination'],
      [keys.windowsPlaced, 'coordination'],
      [keys.topicIndex.map, 'coordination'],
      [keys.topicIndex.next, 'coordination'],
    ];
    for (const [key, category] of expected)
      expect([key, classifyKey(prefix, key)?.category]).toEqual([key, category]);
    expect(classifyKey(prefix, b.ops)?.bucketTag).toBe(tagOf('lists["u1"]'));
  });

  it('covers every key kind StoreKeys names (a new one needs a rule and a line above)', () => {
    const covered = new Set([
      'bucket',
      'buckets',
      'rowShard',
      'rowShardMarker',
      'rowShards',
      'lookup',
      'counts',
      'seen',
      'transactionWriteCheckpoints',
      'writeCheckpoints',
      'lease',
      'checkpoint',
      'meta',
      'progress',
      'streaming',
      'transactionLow',
      'snapshotHighWater',
      'resnapshot',
      'windowsPlaced',
      'topicIndex',
      // Not keys: a pub/sub channel and the SCAN pattern.
      'checkpointChannel',
      'pattern',
    ]);
    const named = Object.getOwnPropertyNames(StoreKeys.prototype).filter((n) => n !== 'constructor');
    expect(named.filter((n) => !covered.has(n))).toEqual([]);
  });

  it('leaves out keys of another deployment or rules version', () => {
    expect(classifyKey(prefix, new StoreKeys('syncline:dep:v10').bucket('x').ops)).toBeNull();
    expect(classifyKey(prefix, new StoreKeys('syncline:other:v1').meta)).toBeNull();
  });
});

describe('summarizeMemory', () => {
  it('sums by category and by bucket, the most expensive bucket first, naming buckets from the registry', () => {
    const a = keys.bucket('a');
    const z = keys.bucket('z');
    const unnamed = keys.bucket('not in the registry');
    const report = summarizeMemory(
      prefix,
      [
        { key: a.ops, bytes: 100, ops: 3 },
        { key: a.body, bytes: 300 },
        { key: a.meta, bytes: 50 },
        { key: z.ops, bytes: 1000, ops: 10 },
        { key: unnamed.ops, bytes: 10, ops: 1 },
        { key: keys.rowShard('s.t', 0), bytes: 700 },
        { key: keys.meta, bytes: 40 },
        { key: 'syncline:dep:v2:meta', bytes: 99999 },
      ],
      ['a', 'z'],
    );
    expect(report.bytes).toBe(2200);
    expect(report.keys).toBe(7);
    expect(report.ops).toBe(14);
    expect(report.categories.buckets).toEqual({ bytes: 1460, keys: 5 });
    expect(report.categories.rows).toEqual({ bytes: 700, keys: 1 });
    expect(report.categories.coordination).toEqual({ bytes: 40, keys: 1 });
    expect(report.categories.lookups).toEqual({ bytes: 0, keys: 0 });
    expect(report.buckets).toEqual([
      { bucket: 'z', bytes: 1000, ops: 10 },
      { bucket: 'a', bytes: 450, ops: 3 },
      { bucket: `#${tagOf('not in the registry')}`, bytes: 10, ops: 1 },
    ]);
  });
});

describe('formatBytes', () => {
  it('uses decimal units with three significant figures', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1500)).toBe('1.50 kB');
    expect(formatBytes(12_345_678)).toBe('12.3 MB');
    expect(formatBytes(2_000_000_000)).toBe('2.00 GB');
  });
});
