import { ReadBatcher } from '../src/read-batcher';

describe('ReadBatcher', () => {
  it('reads the keys asked for in one turn in one call per group, each key once', async () => {
    const calls: [string, string[]][] = [];
    const batcher = new ReadBatcher<string, string, string>(async (group, keys) => {
      calls.push([group, [...keys]]);
      return keys.map((k) => `${group}:${k}`);
    }, 100);
    const values = await Promise.all([
      batcher.get('cp1', 'a'),
      batcher.get('cp1', 'b'),
      batcher.get('cp1', 'a'),
      batcher.get('cp2', 'a'),
    ]);
    expect(values).toEqual(['cp1:a', 'cp1:b', 'cp1:a', 'cp2:a']);
    expect(calls).toEqual([
      ['cp1', ['a', 'b']],
      ['cp2', ['a']],
    ]);
    // A later turn is a new batch.
    expect(await batcher.get('cp1', 'c')).toBe('cp1:c');
    expect(calls).toHaveLength(3);
  });

  it('splits a large turn into calls of at most maxBatch keys', async () => {
    const sizes: number[] = [];
    const batcher = new ReadBatcher<number, number, number>(async (_, keys) => {
      sizes.push(keys.length);
      return keys.map((k) => k * 2);
    }, 4);
    const values = await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.get(0, i)));
    expect(values).toEqual(Array.from({ length: 10 }, (_, i) => i * 2));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('rejects every waiter of a failed read, and a read that returns the wrong number of values', async () => {
    const failing = new ReadBatcher<number, string, string>(async () => {
      throw new Error('redis down');
    }, 10);
    await expect(Promise.all([failing.get(1, 'a'), failing.get(1, 'b')])).rejects.toThrow('redis down');
    const short = new ReadBatcher<number, string, string>(async () => ['only one'], 10);
    const both = [short.get(1, 'a'), short.get(1, 'b')];
    await expect(both[0]).rejects.toThrow('returned 1 values for 2 keys');
    await expect(both[1]).rejects.toThrow('returned 1 values for 2 keys');
  });
});
