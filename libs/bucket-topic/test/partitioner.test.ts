import { bucketPartition, murmur2 } from '../src';

// Kafka's own murmur2 implementation in kafkajs (internal path): our hash must agree with it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer,
) => number;

describe('murmur2', () => {
  // Vectors from Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s to %d as Java Kafka does', (text, expected) => {
    expect(murmur2(Buffer.from(text))).toBe(expected);
  });

  it('agrees with the kafkajs implementation on buckets of every tail length', () => {
    const buckets = Array.from({ length: 200 }, (_, i) => `by_user["user-${i}${'é'.repeat(i % 5)}"]`);
    for (const b of buckets) expect(murmur2(Buffer.from(b))).toBe(kafkajsMurmur2(Buffer.from(b)));
  });
});

describe('bucketPartition', () => {
  it('puts the same bucket on the same partition every time', () => {
    const first = bucketPartition('by_user["u1"]', 12);
    for (let i = 0; i < 10; i++) expect(bucketPartition('by_user["u1"]', 12)).toBe(first);
  });

  it('is pinned: a changed hash would move existing buckets to other partitions', () => {
    expect([0, 1, 2, 3].map((i) => bucketPartition(`by_user["u${i}"]`, 6))).toEqual(
      [0, 1, 2, 3].map((i) => (kafkajsMurmur2(Buffer.from(`by_user["u${i}"]`)) & 0x7fffffff) % 6),
    );
    expect(bucketPartition('global[]', 6)).toBe((kafkajsMurmur2(Buffer.from('global[]')) & 0x7fffffff) % 6);
  });

  it('spreads many buckets over all partitions roughly evenly', () => {
    const partitions = 8;
    const counts = new Array<number>(partitions).fill(0);
    for (let i = 0; i < 8000; i++) counts[bucketPartition(`by_user["${i}"]`, partitions)]! += 1;
    for (const c of counts) {
      expect(c).toBeGreaterThan(800);
      expect(c).toBeLessThan(1200);
    }
  });

  it('stays within range and rejects a partition count below 1', () => {
    for (let i = 0; i < 100; i++) expect(bucketPartition(`b${i}`, 3)).toBeLessThan(3);
    expect(() => bucketPartition('b', 0)).toThrow(RangeError);
  });
});
