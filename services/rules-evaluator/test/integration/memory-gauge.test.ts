// The leader's Redis memory gauges, against the run's real Redis: a deployment's ops are written
// through the bucket store's writer; the gauges must show them by category, and an instance that
// is not the leader must report nothing (a sum over instances counts the deployment once).
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { keyPrefixFor } from '@syncline/bucket-store';
import { openDeploymentState, waitFor, type DeploymentState } from '@syncline/test-kit';
import { memoryGaugeLoop } from '../../src/memory-gauge';
import { createMetrics } from '../../src/metrics';

describe('the Redis memory gauges', () => {
  let state: DeploymentState;
  const controller = new AbortController();

  beforeAll(async () => {
    state = openDeploymentState(keyPrefixFor(`gauge_${randomBytes(4).toString('hex')}`, '1'));
    await state.writer.addOps(
      Array.from({ length: 20 }, (_, i) => ({
        bucket: `b${i % 2}`,
        op: 'PUT' as const,
        opId: BigInt(i + 1),
        objectType: 't',
        objectId: String(i),
        subkey: 's',
        data: `{"i":${i}}`,
        checksum: i,
      })),
    );
  });

  afterAll(async () => {
    controller.abort();
    await state?.close();
  });

  it('reports bytes, keys and ops stored on the leader, and nothing elsewhere', async () => {
    const metrics = createMetrics();
    let leader = true;
    const loop = memoryGaugeLoop({
      redis: state.redis,
      prefix: state.keyPrefix,
      intervalMs: 1000,
      isLeader: () => leader,
      metrics,
      logger: pino({ level: 'silent' }),
      signal: controller.signal,
    });
    const value = async (name: string, category?: string) => {
      const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
      return metric?.values.find((v) => category === undefined || v.labels['category'] === category)?.value;
    };
    await waitFor(
      'the ops stored gauge',
      async () => (await value('syncline_evaluator_redis_ops_stored')) === 20,
      10_000,
    );
    expect(await value('syncline_evaluator_redis_keys', 'buckets')).toBe(7); // 2 x (ops, body, meta) + registry
    expect(await value('syncline_evaluator_redis_bytes', 'buckets')).toBeGreaterThan(0);
    expect(await value('syncline_evaluator_redis_keys', 'lookups')).toBe(0);
    leader = false;
    await waitFor(
      'the gauges reset',
      async () => (await value('syncline_evaluator_redis_bytes', 'buckets')) === undefined,
      10_000,
    );
    expect(await value('syncline_evaluator_redis_ops_stored')).toBe(0);
    controller.abort();
    await loop;
  });
});
