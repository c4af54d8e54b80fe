// Gathers the single-key reads that many connections start in the same turn of the event loop
// (every stream wakes on the same checkpoint) into one batched read per group, so 1,000 private
// buckets at a new checkpoint cost one Redis pipeline instead of 1,000 round trips.
export type BatchRead<G, K, V> = (group: G, keys: readonly K[]) => Promise<V[]>;

interface Waiter<V> {
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

export class ReadBatcher<G, K, V> {
  private queued = new Map<G, Map<K, Waiter<V>[]>>();
  private scheduled = false;

  /** `read` returns one value per key, in order; at most `maxBatch` keys go to one call. */
  constructor(
    private readonly read: BatchRead<G, K, V>,
    private readonly maxBatch: number,
  ) {}

  /** The value of `key` in `group`, read with every other key asked for in this turn. */
  get(group: G, key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      let keys = this.queued.get(group);
      if (keys === undefined) this.queued.set(group, (keys = new Map()));
      const waiters = keys.get(key);
      if (waiters === undefined) keys.set(key, [{ resolve, reject }]);
      else waiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const queued = this.queued;
    this.queued = new Map();
    this.scheduled = false;
    for (const [group, keys] of queued) {
      const all = [...keys.keys()];
      for (let i = 0; i < all.length; i += this.maxBatch) {
        const slice = all.slice(i, i + this.maxBatch);
        this.read(group, slice)
          .then((values) => {
            if (values.length !== slice.length)
              throw new Error(`a batched read returned ${values.length} values for ${slice.length} keys`);
            slice.forEach((key, j) => {
              for (const w of keys.get(key)!) w.resolve(values[j]!);
            });
          })
          .catch((error: unknown) => {
            for (const key of slice) for (const w of keys.get(key)!) w.reject(error);
          });
      }
    }
  }
}
