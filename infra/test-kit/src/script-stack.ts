// Scripts run from a shell (benchmarks), not under jest: the test kit's helpers find the stack
// through getTestStack(), which reads what jest's global setup recorded. Here the stack the shell
// names (`eval "$(npx syncline stack env)"`) becomes the run's stack instead.
import { externalEndpoints, EXTERNAL_VARS } from './providers';
import { ENDPOINTS_ENV, type TestStack } from './test-stack';

/**
 * Makes the stack of `env`'s PG_URL, KAFKA_BROKERS, REDIS_URL, CONNECT_URL and SCHEMA_REGISTRY_URL
 * the one getTestStack() returns, unless a run's stack is already set in `env`. Returns it, or
 * undefined when `env` does not name a whole stack (getTestStack() then falls back to the file a
 * jest run left).
 */
export function useShellStack(env: NodeJS.ProcessEnv = process.env): TestStack | undefined {
  const set = env[ENDPOINTS_ENV];
  if (set !== undefined) return JSON.parse(set) as TestStack;
  if (EXTERNAL_VARS.some((name) => !env[name])) return undefined;
  const endpoints = externalEndpoints(env);
  const stack: TestStack = {
    kind: 'external',
    endpoints,
    connectorPgUrl: env.CONNECT_PG_URL ?? endpoints.pgUrl,
  };
  env[ENDPOINTS_ENV] = JSON.stringify(stack);
  return stack;
}
