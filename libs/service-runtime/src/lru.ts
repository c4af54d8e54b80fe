// A bounded cache that forgets what was not used lately: the gateway's shared reads, the
// evaluator's row states. Two generations: entries go to the young map; when it holds half the
// capacity (by count, or by the weight in bytes the caller gives per entry) the young map becomes
// the old one and the old one is dropped; a hit in the old map moves the entry to the young one.
// Every operation is O(1), and no key is ever deleted and set again in the same map: V8 makes
// that slow for a key touched thousands of times in a row (14 µs a time on a 10,000-entry map, the
// largest single cost of a 10,000-stream fan-out), which a textbook LRU does on every hit.
interface Entry<V> {
  readonly value: V;
  readonly weight: number;
}

export class Lru<K, V> {
  private young = new Map<K, Entry<V>>();
  private old = new Map<K, Entry<V>>();
  private youngWeight = 0;
  private oldWeight = 0;

  /**
   * At most `capacity` entries and about `maxWeight` in weight (plus the newest entry's); the
   * `capacity / 2` most recently used entries are always kept.
   */
  constructor(
    private readonly capacity: number,
    private readonly maxWeight = Infinity,
  ) {}

  get(key: K): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young.value;
    const old = this.old.get(key);
    if (old === undefined) return undefined;
    this.old.delete(key);
    this.oldWeight -= old.weight;
    this.addYoung(key, old);
    return old.value;
  }

  set(key: K, value: V, weight = 0): void {
    const young = this.young.get(key);
    if (young !== undefined) {
      // Replaced in place: a hot key (a row updated again and again) is not deleted and re-added.
      this.young.set(key, { value, weight });
      this.youngWeight += weight - young.weight;
      return;
    }
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.oldWeight -= old.weight;
    }
    this.addYoung(key, { value, weight });
  }

  delete(key: K): void {
    const young = this.young.get(key);
    if (young !== undefined) {
      this.young.delete(key);
      this.youngWeight -= young.weight;
    }
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.oldWeight -= old.weight;
    }
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngWeight = 0;
    this.oldWeight = 0;
  }

  get weight(): number {
    return this.youngWeight + this.oldWeight;
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private addYoung(key: K, entry: Entry<V>): void {
    this.young.set(key, entry);
    this.youngWeight += entry.weight;
    if (this.young.size * 2 >= this.capacity || this.youngWeight * 2 >= this.maxWeight) {
      this.old = this.young;
      this.oldWeight = this.youngWeight;
      this.young = new Map();
      this.youngWeight = 0;
    }
  }
}
