import fc from 'fast-check';
import { groupBySlot, slotOf, StoreKeys } from '../src';

describe('slotOf', () => {
  it.each([
    ['123456789', 12739], // the CRC16 check value of the Redis Cluster specification (0x31C3)
    ['foo', 12182],
    ['{user1000}.following', slotOf('user1000')],
    ['foo{}{bar}', slotOf('foo{}{bar}')],
    ['foo{{bar}}zap', slotOf('{bar')],
    ['foo{bar}{zap}', slotOf('bar')],
  ])('puts %s in slot %i, hashing its hash tag only', (key, slot) => {
    expect(slotOf(key)).toBe(slot);
  });

  it('co-locates the keys every script of the layout touches together', () => {
    const keys = new StoreKeys('syncline:prod:1');
    const bucket = keys.bucket('by_owner["alice"]');
    expect(new Set([bucket.ops, bucket.body, bucket.meta].map(slotOf)).size).toBe(1);
    const shard = keys.rowShard('public.items', 7);
    expect(slotOf(keys.rowShardMarker('public.items', 7))).toBe(slotOf(shard));
    const lookup = keys.lookup('["lists",["alice"]]');
    expect(slotOf(lookup.values)).toBe(slotOf(lookup.index));
    const coordinator = [
      keys.lease,
      keys.checkpoint,
      keys.progress,
      keys.streaming,
      keys.counts,
      keys.seen(42n),
    ];
    expect(new Set(coordinator.map(slotOf)).size).toBe(1);
    expect(slotOf(keys.topicIndex.map)).toBe(slotOf(keys.topicIndex.next));
  });
});

describe('groupBySlot', () => {
  it.each([
    [[], []],
    [['a'], [[0]]],
    [
      ['{x}1', 'foo', '{x}2', 'foo'],
      [
        [0, 2],
        [1, 3],
      ],
    ],
    [
      ['foo', '{x}1', '{x}2'],
      [[0], [1, 2]],
    ],
  ])('groups %j as %j', (keys, groups) => {
    expect(groupBySlot(keys)).toEqual(groups);
  });

  it('partitions the indexes into one group per slot, each in order, groups by first appearance', () => {
    const key = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ maxLength: 3 }).map((t) => `{${t}}k`),
    );
    fc.assert(
      fc.property(fc.array(key, { maxLength: 60 }), (keys) => {
        const groups = groupBySlot(keys);
        expect(groups.flat().sort((a, b) => a - b)).toEqual(keys.map((_, i) => i));
        const slots = groups.map((g) => slotOf(keys[g[0]!]!));
        expect(new Set(slots).size).toBe(groups.length);
        for (const [i, group] of groups.entries()) {
          expect(group.every((index) => slotOf(keys[index]!) === slots[i])).toBe(true);
          expect([...group].sort((a, b) => a - b)).toEqual(group);
        }
        const firsts = groups.map((g) => g[0]!);
        expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
      }),
    );
  });
});
