// Row states this instance wrote for the partitions it owns, so most changes need no Redis read.
import { Lru } from '@syncline/service-runtime';
import type { RowState } from './op-planner';

export interface StoredRow {
  readonly opId: bigint;
  readonly state: RowState;
}

/**
 * A bounded cache (least recently used first out) of row states keyed `<table>\u0000<pk>`. Valid only while this instance owns the rows'
 * partitions: the evaluator calls clear() on every rebalance, which also bumps `generation` so a
 * batch that straddles a rebalance does not put what it read before it back into the cache. A
 * truncate by another instance can leave an entry stale; the only effect is a redundant REMOVE.
 */
export class RowStateCache {
  private readonly entries: Lru<string, StoredRow | null>;
  generation = 0;

  constructor(capacity = 200_000) {
    this.entries = new Lru(capacity);
  }

  get(key: string): StoredRow | null | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: StoredRow | null): void {
    this.entries.set(key, value);
  }

  clear(): void {
    this.entries.clear();
    this.generation++;
  }
}

/** The key of a row in caches and plans. */
export function rowKey(table: string, pk: string): string {
  return `${table}\u0000${pk}`;
}
