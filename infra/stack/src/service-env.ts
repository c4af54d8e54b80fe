// The environment a `syncline evaluator` or `syncline gateway` of one deployment needs to run on
// the local stack: its endpoints, the deployment's name and the stack's development JWT secret.
// The demos start their services with it.
import { endpointsOf, type StackConfig } from './config';
import { devJwtSecret } from './dev-secret';

export function serviceEnvOf(config: StackConfig, deployment: string): Record<string, string> {
  const e = endpointsOf(config);
  return {
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    REDIS_URL: e.redisUrl,
    PG_URL: e.pgUrl,
    SCHEMA_REGISTRY_URL: e.schemaRegistryUrl,
    SYNCLINE_TOPIC_PREFIX: e.topicPrefix,
    SYNCLINE_DEPLOYMENT: deployment,
    SYNCLINE_JWT_SECRET: devJwtSecret(config),
  };
}
