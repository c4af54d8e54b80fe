import { hideRedisPassword, parseRedisTarget, RedisTargetError, redisUrlSchema } from '../src';

describe('parseRedisTarget', () => {
  it.each(['redis://127.0.0.1:6379', 'rediss://user:pw@cache.example:6380/2'])(
    'hands a one-server URL to ioredis as it is: %s',
    (url) => {
      expect(parseRedisTarget(url)).toEqual({ kind: 'single', url });
    },
  );

  it.each([
    [
      'redis+cluster://10.0.0.1:7000,10.0.0.2:7001',
      { seeds: ['10.0.0.1:7000', '10.0.0.2:7001'], username: null, password: null, tls: false },
    ],
    [
      'rediss+cluster://app:p%40ss@a.example:6379/',
      { seeds: ['a.example:6379'], username: 'app', password: 'p@ss', tls: true },
    ],
    [
      'redis+cluster://:secret@[::1]:7000, localhost:7001',
      { seeds: ['::1:7000', 'localhost:7001'], username: null, password: 'secret', tls: false },
    ],
  ])('reads the seed nodes, credentials and TLS of %s', (url, expected) => {
    const target = parseRedisTarget(url);
    if (target.kind !== 'cluster') throw new Error('not a cluster');
    expect({ ...target, seeds: target.seeds.map((s) => `${s.host}:${s.port}`) }).toEqual({
      kind: 'cluster',
      ...expected,
    });
  });

  it.each([
    ['localhost:6379', /redis:\/\/ or rediss:\/\/ URL, or redis\+cluster:\/\//],
    ['redis+cluster://', /"" is not host:port/],
    ['redis+cluster://a:1,,b:2', /"" is not host:port/],
    ['redis+cluster://a:1,b', /"b" is not host:port/],
    ['redis+cluster://a:70000', /"a:70000" is not host:port/],
    ['redis+cluster://a:1/0', /"a:1\/0" is not host:port/],
    ['http://a:1', /redis\+cluster:\/\//],
  ])('refuses %s, saying why', (url, message) => {
    expect(() => parseRedisTarget(url)).toThrow(RedisTargetError);
    expect(() => parseRedisTarget(url)).toThrow(message);
  });

  it('never repeats a password in its message', () => {
    expect(() => parseRedisTarget('redis+cluster://u:hunter2@a:1,nope')).toThrow(/"nope"/);
    expect(() => parseRedisTarget('redis+cluster://u:hunter2@a:1,nope')).not.toThrow(/hunter2/);
  });

  it('is the REDIS_URL schema of both services', () => {
    expect(redisUrlSchema.safeParse('redis+cluster://a:1').success).toBe(true);
    const bad = redisUrlSchema.safeParse('redis+cluster://a');
    expect(bad.success ? '' : bad.error.issues[0]!.message).toMatch(/"a" is not host:port/);
  });
});

describe('hideRedisPassword', () => {
  it.each([
    ['redis://:pw@h:1', 'redis://:<hidden>@h:1'],
    ['rediss+cluster://user:pw@a:1,b:2', 'rediss+cluster://user:<hidden>@a:1,b:2'],
    ['redis://h:1', 'redis://h:1'],
  ])('%s -> %s', (url, shown) => {
    expect(hideRedisPassword(url)).toBe(shown);
  });
});
