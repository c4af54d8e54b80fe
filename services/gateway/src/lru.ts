// A bounded map that forgets its least recently used entries first: the gateway's shared caches.
// Bounded by entry count, and optionally by a total weight (bytes) the caller gives per entry.
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;

  constructor(
    private readonly capacity: number,
    private readonly maxWeight = Infinity,
  ) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V, weight = 0): void {
    this.delete(key);
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.map.size > this.capacity || (this.total > this.maxWeight && this.map.size > 1)) {
      const oldest = this.map.keys().next().value as K;
      this.delete(oldest);
    }
  }

  delete(key: K): void {
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.total -= entry.weight;
    this.map.delete(key);
  }

  get weight(): number {
    return this.total;
  }

  get size(): number {
    return this.map.size;
  }
}
