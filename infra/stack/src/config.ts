// Stack configuration: every knob is an environment variable with a default, validated once
// at start-up so a typo fails immediately with the variable's name.
import * as path from 'node:path';
import { z } from 'zod';
import { StackConfigError } from './errors';

const port = z.coerce.number().int().min(1).max(65535);
const heap = z.string().regex(/^\d+[mMgG]$/, 'a JVM size such as 512m or 1g');

/** Environment variables understood by the local stack, with their defaults. */
export const stackEnvSchema = z.object({
  SYNCLINE_STACK_DIR: z.string().min(1).optional(),
  SYNCLINE_PG_PORT: port.default(54329),
  SYNCLINE_REDIS_PORT: port.default(63799),
  SYNCLINE_KAFKA_PORT: port.default(19092),
  SYNCLINE_KAFKA_CONTROLLER_PORT: port.default(19093),
  SYNCLINE_CONNECT_PORT: port.default(18083),
  SYNCLINE_REGISTRY_PORT: port.default(18081),
  SYNCLINE_REGISTRY_MANAGEMENT_PORT: port.default(19001),
  SYNCLINE_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and - only')
    .default('syncline'),
  SYNCLINE_PG_DATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'a lower-case SQL identifier')
    .default('syncline'),
  SYNCLINE_CDC_SCHEMAS: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*$/, 'comma-separated schema names')
    .default('public'),
  SYNCLINE_TABLE_PARTITIONS: z.coerce.number().int().min(1).max(256).default(4),
  SYNCLINE_KAFKA_HEAP: heap.default('512m'),
  SYNCLINE_CONNECT_HEAP: heap.default('1g'),
  SYNCLINE_REGISTRY_HEAP: heap.default('384m'),
  SYNCLINE_REGISTRY_JAVA_HOME: z.string().min(1).optional(),
  SYNCLINE_READY_TIMEOUT_S: z.coerce.number().int().min(5).max(600).default(120),
});

export interface StackConfig {
  /** Repository root: where infra/ lives. */
  readonly rootDir: string;
  /** Where the stack keeps data, logs, pid files and its state file. */
  readonly stateDir: string;
  /** Maven output: kafka-libs/, connect-plugins/, apicurio/. */
  readonly downloadDir: string;
  readonly ports: {
    readonly postgres: number;
    readonly redis: number;
    readonly kafka: number;
    readonly kafkaController: number;
    readonly connect: number;
    readonly registry: number;
    readonly registryManagement: number;
  };
  readonly topicPrefix: string;
  readonly pgDatabase: string;
  readonly cdcSchemas: readonly string[];
  readonly tablePartitions: number;
  readonly heaps: { readonly kafka: string; readonly connect: string; readonly registry: string };
  readonly registryJavaHome: string | undefined;
  readonly readyTimeoutMs: number;
}

export function loadStackConfig(env: NodeJS.ProcessEnv, rootDir: string): StackConfig {
  const parsed = stackEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new StackConfigError(
      `invalid stack configuration: ${problems}`,
      'fix or unset the variables named above',
    );
  }
  const e = parsed.data;
  const ports = {
    postgres: e.SYNCLINE_PG_PORT,
    redis: e.SYNCLINE_REDIS_PORT,
    kafka: e.SYNCLINE_KAFKA_PORT,
    kafkaController: e.SYNCLINE_KAFKA_CONTROLLER_PORT,
    connect: e.SYNCLINE_CONNECT_PORT,
    registry: e.SYNCLINE_REGISTRY_PORT,
    registryManagement: e.SYNCLINE_REGISTRY_MANAGEMENT_PORT,
  };
  const seen = new Map<number, string>();
  for (const [name, p] of Object.entries(ports)) {
    const other = seen.get(p);
    if (other) {
      throw new StackConfigError(
        `ports of ${other} and ${name} are both ${p}`,
        'give every component its own port',
      );
    }
    seen.set(p, name);
  }
  return {
    rootDir,
    stateDir: path.resolve(rootDir, e.SYNCLINE_STACK_DIR ?? '.syncline/stack'),
    downloadDir: path.join(rootDir, 'infra', 'kafka-stack', 'target'),
    ports,
    topicPrefix: e.SYNCLINE_TOPIC_PREFIX,
    pgDatabase: e.SYNCLINE_PG_DATABASE,
    cdcSchemas: e.SYNCLINE_CDC_SCHEMAS.split(','),
    tablePartitions: e.SYNCLINE_TABLE_PARTITIONS,
    heaps: {
      kafka: e.SYNCLINE_KAFKA_HEAP,
      connect: e.SYNCLINE_CONNECT_HEAP,
      registry: e.SYNCLINE_REGISTRY_HEAP,
    },
    registryJavaHome: e.SYNCLINE_REGISTRY_JAVA_HOME,
    readyTimeoutMs: e.SYNCLINE_READY_TIMEOUT_S * 1000,
  };
}

/** The endpoints a running stack offers, as the rest of Syncline consumes them. */
export interface StackEndpoints {
  readonly pgUrl: string;
  readonly kafkaBrokers: readonly string[];
  readonly redisUrl: string;
  readonly connectUrl: string;
  readonly schemaRegistryUrl: string;
  readonly topicPrefix: string;
}

export function endpointsOf(config: StackConfig): StackEndpoints {
  const p = config.ports;
  return {
    pgUrl: `postgres://postgres@127.0.0.1:${p.postgres}/${config.pgDatabase}`,
    kafkaBrokers: [`127.0.0.1:${p.kafka}`],
    redisUrl: `redis://127.0.0.1:${p.redis}`,
    connectUrl: `http://127.0.0.1:${p.connect}`,
    schemaRegistryUrl: `http://127.0.0.1:${p.registry}/apis/ccompat/v7`,
    topicPrefix: config.topicPrefix,
  };
}

/** Shell `export` lines for the endpoints, in a stable order users can script against. */
export function endpointsAsShellExports(e: StackEndpoints): string[] {
  const vars: Array<[string, string]> = [
    ['PG_URL', e.pgUrl],
    ['KAFKA_BROKERS', e.kafkaBrokers.join(',')],
    ['REDIS_URL', e.redisUrl],
    ['CONNECT_URL', e.connectUrl],
    ['SCHEMA_REGISTRY_URL', e.schemaRegistryUrl],
    ['TOPIC_PREFIX', e.topicPrefix],
  ];
  return vars.map(([k, v]) => `export ${k}=${shellQuote(v)}`);
}

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}
