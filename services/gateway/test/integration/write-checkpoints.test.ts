// The gateway's write-checkpoint counters in the stack's Redis (docs/consistency.md 2.7): a
// counter expires after its retention, and one that expired (or was lost) restarts above the n
// the deployment stored for the client, so the evaluator never refuses the client's next write
// checkpoints as older than what it holds.
import pg from 'pg';
import { getTestStack, openDeploymentState, uniqueName, type DeploymentState } from '@syncline/test-kit';
import { RateLimiter } from '../../src/rate-limiter';
import { WriteCheckpoints } from '../../src/write-checkpoints';

jest.setTimeout(60_000);

describe('write-checkpoint counters', () => {
  let state: DeploymentState;
  let pool: pg.Pool;
  const deployment = uniqueName('wc_counters');

  beforeAll(() => {
    state = openDeploymentState(`${deployment}:v1`);
    pool = new pg.Pool({ connectionString: getTestStack().endpoints.pgUrl, max: 1 });
  });

  afterAll(async () => {
    await pool.end();
    await state.close();
  });

  function counters(counterRetentionMs?: number | null): WriteCheckpoints {
    return new WriteCheckpoints(
      state.redis,
      state.keyPrefix,
      deployment,
      pool,
      state.reader,
      new RateLimiter(1000, 1000),
      counterRetentionMs === undefined ? {} : { counterRetentionMs },
    );
  }

  const counterKey = (user: string, client: string) => `${state.keys.writeCheckpoints(user)}:n:${client}`;

  it('counts up per client and expires each counter after the retention', async () => {
    const wc = counters(60_000);
    expect([await wc.create('ann', 'phone'), await wc.create('ann', 'phone')]).toEqual([1n, 2n]);
    expect(await wc.create('ann', 'laptop')).toBe(1n);
    const ttl = await state.redis.pttl(counterKey('ann', 'phone'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // The default is the write-checkpoint records' retention (30 days), not "never".
    await counters().create('ann', 'tablet');
    expect(await state.redis.pttl(counterKey('ann', 'tablet'))).toBeGreaterThan(29 * 24 * 3600 * 1000);
    await counters(null).create('ann', 'watch');
    expect(await state.redis.pttl(counterKey('ann', 'watch'))).toBe(-1);
  });

  it('restarts an expired counter above the n the deployment stored for the client', async () => {
    const wc = counters(60_000);
    for (let i = 0; i < 5; i++) await wc.create('bo', 'phone');
    // The evaluator records n = 5 in a checkpoint; then the counter expires.
    await state.coordination.saveWriteCheckpoints([{ userId: 'bo', clientId: 'phone', n: '5' }], 100n);
    await state.redis.del(counterKey('bo', 'phone'));
    const n = await wc.create('bo', 'phone');
    expect(n).toBe(6n);
    // The evaluator takes it: the stored n moves on (a counter restarted at 1 would be refused).
    await state.coordination.saveWriteCheckpoints(
      [{ userId: 'bo', clientId: 'phone', n: n.toString() }],
      200n,
    );
    expect((await state.reader.writeCheckpointsOf('bo'))['phone']?.n).toBe('6');
    // Another client of the same user is not raised by it.
    expect(await wc.create('bo', 'laptop')).toBe(1n);
  });

  it('never returns a requested id below the stored n', async () => {
    const wc = counters(60_000);
    await state.coordination.saveWriteCheckpoints([{ userId: 'cy', clientId: 'phone', n: '40' }], 100n);
    expect(await wc.create('cy', 'phone', 7n)).toBe(40n);
    expect(await wc.create('cy', 'phone', 90n)).toBe(90n);
    expect(await wc.create('cy', 'phone')).toBe(91n);
  });
});
