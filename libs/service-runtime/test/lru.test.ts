import { Lru } from '../src/lru';

describe('Lru', () => {
  it('keeps at most its capacity, and what was used lately', () => {
    const lru = new Lru<number, string>(100);
    for (let i = 0; i < 1000; i++) {
      lru.set(i, `v${i}`);
      expect(lru.get(0)).toBe('v0'); // used all the time: never forgotten
      expect(lru.size).toBeLessThanOrEqual(100);
    }
    expect(lru.get(999)).toBe('v999');
    expect(lru.get(500)).toBeUndefined();
  });

  it('keeps about its weight budget', () => {
    const lru = new Lru<number, string>(1_000_000, 1000);
    for (let i = 0; i < 100; i++) {
      lru.set(i, 'x', 100);
      expect(lru.weight).toBeLessThanOrEqual(1000);
    }
    expect(lru.get(99)).toBe('x');
    expect(lru.get(0)).toBeUndefined();
  });

  it('replaces and deletes in either generation', () => {
    const lru = new Lru<string, number>(4, 1000);
    lru.set('a', 1, 10);
    lru.set('b', 2, 10); // rotates: a and b are old
    lru.set('a', 3, 20);
    expect(lru.get('a')).toBe(3);
    expect(lru.weight).toBe(30);
    lru.delete('b');
    lru.delete('a');
    expect(lru.size).toBe(0);
    expect(lru.weight).toBe(0);
  });
});
