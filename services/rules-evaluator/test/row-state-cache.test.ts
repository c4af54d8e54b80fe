import { RowStateCache } from '../src/row-state-cache';
import { DELETED_ROW } from '../src/op-planner';

describe('RowStateCache', () => {
  it('evicts the least recently used entries beyond its capacity', () => {
    const cache = new RowStateCache(4);
    cache.set('a', { opId: 1n, state: DELETED_ROW });
    cache.set('b', { opId: 2n, state: DELETED_ROW });
    expect(cache.get('a')?.opId).toBe(1n);
    cache.set('c', { opId: 3n, state: DELETED_ROW });
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.opId).toBe(1n);
  });

  it('forgets everything and moves to a new generation on clear (a rebalance)', () => {
    const cache = new RowStateCache();
    cache.set('a', null);
    const before = cache.generation;
    cache.clear();
    expect(cache.get('a')).toBeUndefined();
    expect(cache.generation).toBe(before + 1);
  });
});
