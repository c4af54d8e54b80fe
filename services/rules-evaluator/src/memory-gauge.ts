// The leader's gauges of what the deployment costs in Redis (docs/evaluator.md, "Metrics"): every
// SYNCLINE_MEMORY_REPORT_MS it reads the deployment's keys (bucket-store's readMemoryUsage: a
// SCAN of the prefix and MEMORY USAGE per key) and sets bytes and keys per category and the ops
// stored. Only the leader reports, so a sum over instances counts the deployment once.
import type { Logger } from 'pino';
import { MEMORY_CATEGORIES, readMemoryUsage, type StoreConnection } from '@syncline/bucket-store';
import { sleep } from '@syncline/service-runtime';
import type { EvaluatorMetrics } from './metrics';

export interface MemoryGaugeDeps {
  readonly redis: StoreConnection;
  readonly prefix: string;
  /** 0: off. */
  readonly intervalMs: number;
  readonly isLeader: () => boolean;
  readonly metrics: EvaluatorMetrics;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

export async function memoryGaugeLoop(deps: MemoryGaugeDeps): Promise<void> {
  const { redis, prefix, intervalMs, isLeader, metrics, logger, signal } = deps;
  if (intervalMs === 0) return;
  while (!signal.aborted) {
    if (!isLeader()) {
      metrics.redisBytes.reset();
      metrics.redisKeys.reset();
      metrics.redisOpsStored.reset();
    } else {
      try {
        const report = await readMemoryUsage(redis, prefix);
        for (const category of MEMORY_CATEGORIES) {
          metrics.redisBytes.set({ category }, report.categories[category].bytes);
          metrics.redisKeys.set({ category }, report.categories[category].keys);
        }
        metrics.redisOpsStored.set(report.ops);
      } catch (error) {
        logger.warn(
          { err: error },
          'reading the Redis memory usage failed; the gauges keep their last values',
        );
      }
    }
    await sleep(intervalMs, signal);
  }
}
