import { judgeRedisDurability, type RedisDurability } from '../src/redis-durability';

const durable: RedisDurability = {
  maxmemoryPolicy: 'noeviction',
  appendonly: 'yes',
  appendfsync: 'everysec',
  save: '',
};

describe('judgeRedisDurability', () => {
  it('accepts noeviction with an append-only file', () => {
    expect(judgeRedisDurability(durable)).toEqual({ refuse: null, warnings: [] });
  });

  it.each(['allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-ttl'])('refuses %s', (policy) => {
    const verdict = judgeRedisDurability({ ...durable, maxmemoryPolicy: policy });
    expect(verdict.refuse).toMatch(new RegExp(`maxmemory-policy is ${policy}.*noeviction`));
  });

  it('warns when Redis persists nothing, or only by snapshots', () => {
    expect(judgeRedisDurability({ ...durable, appendonly: 'no', save: '' }).warnings[0]).toMatch(
      /persists nothing/,
    );
    expect(judgeRedisDurability({ ...durable, appendonly: 'no', save: '3600 1' }).warnings[0]).toMatch(
      /RDB snapshots only/,
    );
  });

  it('warns, without refusing, when CONFIG is not allowed', () => {
    const verdict = judgeRedisDurability({
      maxmemoryPolicy: null,
      appendonly: null,
      appendfsync: null,
      save: null,
    });
    expect(verdict.refuse).toBeNull();
    expect(verdict.warnings[0]).toMatch(/cannot read the Redis configuration/);
  });
});
