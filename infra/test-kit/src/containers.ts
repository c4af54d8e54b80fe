// The same topology as docker-compose.yml, started with testcontainers for machines that run a
// Docker engine. Images and settings mirror docker-compose.yml; keep the two in step.
import {
  GenericContainer,
  Network,
  Wait,
  getContainerRuntimeClient,
  type StartedTestContainer,
} from 'testcontainers';
import type { StackEndpoints } from '@syncline/stack';
import type { ProvidedStack } from './provided-stack';

export const CONTAINER_IMAGES = {
  postgres: 'postgres:15',
  redis: 'redis:7-alpine',
  kafka: 'apache/kafka:4.3.1',
  connect: 'quay.io/debezium/connect:3.6.1.Final',
  registry: 'apicurio/apicurio-registry:3.3.3',
} as const;

async function assertDockerEngine(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      `SYNCLINE_TEST_STACK=containers needs a running Docker engine, and none was found (${(err as Error).message}). ` +
        'Use SYNCLINE_TEST_STACK=local (the default) to run the stack as local processes.',
    );
  }
}

/** Postgres with logical decoding on, and room for a replication slot per test. */
function postgresContainer(): GenericContainer {
  return new GenericContainer(CONTAINER_IMAGES.postgres)
    .withEnvironment({ POSTGRES_PASSWORD: 'syncline', POSTGRES_DB: 'syncline' })
    .withCommand([
      'postgres',
      '-c',
      'wal_level=logical',
      '-c',
      'max_replication_slots=40',
      '-c',
      'max_wal_senders=40',
    ])
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2));
}

/** A one-node KRaft broker: `kafka:19092` inside the network, localhost:9092 for the tests. */
function kafkaContainer(): GenericContainer {
  return new GenericContainer(CONTAINER_IMAGES.kafka)
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:19092,CONTROLLER://:29093,PLAINTEXT_HOST://:9092',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://kafka:19092,PLAINTEXT_HOST://localhost:9092',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP:
        'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,PLAINTEXT_HOST:PLAINTEXT',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@kafka:29093',
      KAFKA_INTER_BROKER_LISTENER_NAME: 'PLAINTEXT',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withExposedPorts({ container: 9092, host: 9092 })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/));
}

/** Kafka Connect with the Debezium connectors, storing its state in the broker above. */
function connectContainer(): GenericContainer {
  return new GenericContainer(CONTAINER_IMAGES.connect)
    .withEnvironment({
      BOOTSTRAP_SERVERS: 'kafka:19092',
      GROUP_ID: 'syncline-connect',
      CONFIG_STORAGE_TOPIC: 'syncline-connect-configs',
      OFFSET_STORAGE_TOPIC: 'syncline-connect-offsets',
      STATUS_STORAGE_TOPIC: 'syncline-connect-status',
      CONNECT_KEY_CONVERTER_SCHEMAS_ENABLE: 'false',
      CONNECT_VALUE_CONVERTER_SCHEMAS_ENABLE: 'false',
      CONNECT_OFFSET_FLUSH_INTERVAL_MS: '1000',
      CONNECT_SCHEDULED_REBALANCE_MAX_DELAY_MS: '0',
    })
    .withExposedPorts(8083)
    .withWaitStrategy(Wait.forHttp('/health', 8083));
}

export async function startContainerStack(log: (line: string) => void): Promise<ProvidedStack> {
  await assertDockerEngine();
  const network = await new Network().start();
  const started: StartedTestContainer[] = [];
  const track = async (c: GenericContainer, name: string) => {
    const s = await c.withNetwork(network).withNetworkAliases(name).start();
    started.push(s);
    log(`containers: ${name} started`);
    return s;
  };
  const pg = await track(postgresContainer(), 'postgres');
  const redis = await track(new GenericContainer(CONTAINER_IMAGES.redis).withExposedPorts(6379), 'redis');
  const kafka = await track(kafkaContainer(), 'kafka');
  const registry = await track(
    new GenericContainer(CONTAINER_IMAGES.registry)
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/health/ready', 9000)),
    'registry',
  );
  const connect = await track(connectContainer(), 'connect');
  const endpoints: StackEndpoints = {
    // Debezium (inside the network) reaches Postgres as postgres:5432; tests use the mapped port.
    pgUrl: `postgres://postgres:syncline@${pg.getHost()}:${pg.getMappedPort(5432)}/syncline`,
    kafkaBrokers: [`${kafka.getHost()}:9092`],
    redisUrl: `redis://${redis.getHost()}:${redis.getMappedPort(6379)}`,
    connectUrl: `http://${connect.getHost()}:${connect.getMappedPort(8083)}`,
    schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    topicPrefix: 'syncline',
  };
  return {
    kind: 'containers',
    endpoints,
    connectorPgUrl: 'postgres://postgres:syncline@postgres:5432/syncline',
    async release() {
      for (const c of started.reverse()) await c.stop().catch(() => undefined);
      await network.stop().catch(() => undefined);
    },
  };
}
