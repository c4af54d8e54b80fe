// Batches of commands that work on one Redis server and on a Redis Cluster. On one server a batch
// is one pipeline, as it always was. A cluster pipeline may only address the keys of one node, and
// which node holds a slot can change at any time, so there a batch becomes one pipeline per slot,
// sent side by side; results come back in the order the commands were added.
import { Cluster } from 'ioredis';
import type { StorePipeline, StoreRedis } from './redis';

// cluster-key-slot (the CRC16 ioredis itself routes by) ships no types: its one export is typed here.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an untyped CommonJS module
const keySlot = require('cluster-key-slot') as (key: string) => number;

/** The cluster slot of a key (its hash tag's, when it has one). */
export function slotOf(key: string): number {
  return keySlot(key);
}

/** Indexes of `keys` grouped by slot: groups in first-seen order, indexes ascending in each. */
export function groupBySlot(keys: readonly string[]): number[][] {
  const groups = new Map<number, number[]>();
  keys.forEach((key, index) => {
    const slot = slotOf(key);
    const group = groups.get(slot);
    if (group === undefined) groups.set(slot, [index]);
    else group.push(index);
  });
  return [...groups.values()];
}

interface Entry {
  readonly key: string;
  readonly enqueue: (pipeline: StorePipeline) => unknown;
}

/**
 * Commands run together. Each is added with one key it touches; every key of one command must
 * share that key's slot (the layout's hash tags make it so). `exec` runs them all and returns
 * their results in order, or throws the error of the first command that failed, once every
 * command has run (on a cluster some pipelines may have succeeded: callers' writes are idempotent).
 */
export class CommandBatch {
  private readonly entries: Entry[] = [];

  constructor(private readonly redis: StoreRedis) {}

  add(key: string, enqueue: (pipeline: StorePipeline) => unknown): this {
    this.entries.push({ key, enqueue });
    return this;
  }

  get size(): number {
    return this.entries.length;
  }

  async exec(): Promise<unknown[]> {
    if (this.entries.length === 0) return [];
    if (!(this.redis instanceof Cluster)) return this.execPipeline(this.entries);
    const groups = groupBySlot(this.entries.map((e) => e.key));
    const settled = await Promise.allSettled(
      groups.map((group) => this.execPipeline(group.map((i) => this.entries[i]!))),
    );
    const results = new Array<unknown>(this.entries.length);
    const errors = new Array<unknown>(this.entries.length);
    settled.forEach((outcome, g) =>
      groups[g]!.forEach((index, j) => {
        if (outcome.status === 'rejected') errors[index] = outcome.reason;
        else results[index] = outcome.value[j];
      }),
    );
    const failed = errors.findIndex((e) => e !== undefined);
    if (failed >= 0) throw errors[failed];
    return results;
  }

  /** One pipeline; throws the first failed command's error. */
  private async execPipeline(entries: readonly Entry[]): Promise<unknown[]> {
    const pipeline = this.redis.pipeline() as StorePipeline;
    for (const entry of entries) entry.enqueue(pipeline);
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, value]) => {
      if (error) throw error;
      return value;
    });
  }
}
