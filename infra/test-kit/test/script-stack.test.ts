import { useShellStack } from '../src/script-stack';
import { ENDPOINTS_ENV, getTestStack } from '../src/test-stack';

const SHELL = {
  PG_URL: 'postgres://postgres@127.0.0.1:1/db',
  KAFKA_BROKERS: '127.0.0.1:2,127.0.0.1:3',
  REDIS_URL: 'redis://127.0.0.1:4',
  CONNECT_URL: 'http://127.0.0.1:5',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:6/apis/ccompat/v7',
};

describe('useShellStack', () => {
  const saved = process.env[ENDPOINTS_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[ENDPOINTS_ENV];
    else process.env[ENDPOINTS_ENV] = saved;
  });

  it('makes the stack the shell names the one getTestStack returns', () => {
    const env: NodeJS.ProcessEnv = { ...SHELL };
    const stack = useShellStack(env);
    expect(stack?.endpoints.kafkaBrokers).toEqual(['127.0.0.1:2', '127.0.0.1:3']);
    expect(stack?.connectorPgUrl).toBe(SHELL.PG_URL);
    process.env[ENDPOINTS_ENV] = env[ENDPOINTS_ENV];
    expect(getTestStack()).toEqual(stack);
  });

  it('keeps a stack a run already set', () => {
    const running = JSON.stringify({ kind: 'local', endpoints: { redisUrl: 'redis://x:1' } });
    const env: NodeJS.ProcessEnv = { ...SHELL, [ENDPOINTS_ENV]: running };
    expect(useShellStack(env)?.kind).toBe('local');
    expect(env[ENDPOINTS_ENV]).toBe(running);
  });

  it('sets nothing when the shell names only part of a stack', () => {
    const env: NodeJS.ProcessEnv = { ...SHELL, CONNECT_URL: undefined };
    expect(useShellStack(env)).toBeUndefined();
    expect(env[ENDPOINTS_ENV]).toBeUndefined();
  });
});
