// Three ways to get a stack behind one interface: `local` (the processes `syncline stack up`
// runs; the default), `containers` (testcontainers, when a Docker engine runs) and `external`
// (endpoints from the environment, as a platform team's CI would provide them).
import type { StackEndpoints } from '@syncline/stack';
import { startContainerStack } from './containers';
import { localStackProvider } from './local-provider';
import type { StackKind, StackProvider } from './provided-stack';

/** Variables a platform team sets to run the suite against its own infrastructure. */
export const EXTERNAL_VARS = [
  'PG_URL',
  'KAFKA_BROKERS',
  'REDIS_URL',
  'CONNECT_URL',
  'SCHEMA_REGISTRY_URL',
] as const;

export function externalEndpoints(env: NodeJS.ProcessEnv): StackEndpoints {
  const missing = EXTERNAL_VARS.filter((v) => !env[v]);
  if (missing.length) {
    throw new Error(
      `SYNCLINE_TEST_STACK=external needs ${missing.join(', ')} (the names \`syncline stack env\` prints)`,
    );
  }
  return {
    pgUrl: env.PG_URL as string,
    kafkaBrokers: (env.KAFKA_BROKERS as string).split(',').map((b) => b.trim()),
    redisUrl: env.REDIS_URL as string,
    connectUrl: env.CONNECT_URL as string,
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL as string,
    topicPrefix: env.TOPIC_PREFIX ?? 'syncline',
  };
}

export const externalProvider: StackProvider = {
  kind: 'external',
  async acquire() {
    const endpoints = externalEndpoints(process.env);
    return {
      kind: 'external',
      endpoints,
      connectorPgUrl: process.env.CONNECT_PG_URL ?? endpoints.pgUrl,
      release: async () => undefined,
    };
  },
};

export const containersProvider: StackProvider = {
  kind: 'containers',
  acquire: (log) => startContainerStack(log),
};

export function providerFor(env: NodeJS.ProcessEnv): StackProvider {
  const kind = env.SYNCLINE_TEST_STACK ?? 'local';
  const providers: Record<StackKind, StackProvider> = {
    local: localStackProvider(env),
    containers: containersProvider,
    external: externalProvider,
  };
  const provider = providers[kind as StackKind];
  if (!provider) throw new Error(`SYNCLINE_TEST_STACK must be local, containers or external, not '${kind}'`);
  return provider;
}
