// Evaluator configuration: environment variables validated once at start-up (zod). Every
// variable is listed in docs/evaluator.md; a bad value fails with a message naming it.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { keyPrefixFor } from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import {
  configErrorMessage,
  configIssueLine,
  hideRedisPassword,
  redisUrlSchema,
} from '@syncline/service-runtime';

export class ConfigError extends SynclineError {
  override readonly name = 'ConfigError';
  readonly code = 'SYNC_E101';
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

/** Env var name -> schema. The keys are the documented names. */
export const CONFIG_SCHEMA = z.object({
  SYNCLINE_RULES_FILE: z.string().min(1),
  KAFKA_BROKERS: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1)),
  REDIS_URL: redisUrlSchema,
  SCHEMA_REGISTRY_URL: z
    .string()
    .regex(/^https?:\/\//, 'http(s) URL of the Confluent-compatible API')
    .optional(),
  SYNCLINE_TOPIC_PREFIX: name,
  SYNCLINE_DEPLOYMENT: name.default('default'),
  SYNCLINE_RULES_VERSION: name.default('1'),
  SYNCLINE_GROUP_ID: name.optional(),
  SYNCLINE_DEFAULT_SCHEMA: name.default('public'),
  SYNCLINE_BUCKET_TOPIC: z.enum(['on', 'off']).default('on'),
  SYNCLINE_BUCKET_TOPIC_PARTITIONS: int(1, 10000).default(6),
  SYNCLINE_HTTP_PORT: int(0, 65535).default(9464),
  SYNCLINE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SYNCLINE_SESSION_TIMEOUT_MS: int(6000, 300000).default(30000),
  SYNCLINE_LEASE_TTL_MS: int(1000, 60000).default(5000),
  SYNCLINE_TOPIC_REFRESH_MS: int(200, 600000).default(5000),
  SYNCLINE_INSTANCE_ID: name.optional(),
  SYNCLINE_SIGNAL_TABLE: z
    .string()
    .regex(/^[A-Za-z0-9_$]+\.[A-Za-z0-9_$]+$/, "schema.table, as in the connector's signal.data.collection")
    .optional(),
  SYNCLINE_INCREMENTAL_SNAPSHOTS: z.enum(['whole', 'windows']).default('whole'),
  SYNCLINE_MEMORY_REPORT_MS: z.coerce
    .number()
    .int()
    .refine((v) => v === 0 || (v >= 1000 && v <= 86_400_000), '0 (off) or 1000 to 86400000')
    .default(60_000),
  SYNCLINE_NOTIFICATION_TOPIC: name.optional(),
  SYNCLINE_COMPACTION: z.enum(['on', 'off']).default('on'),
  SYNCLINE_COMPACTION_INTERVAL_MS: int(100, 86_400_000).default(5000),
  SYNCLINE_COMPACTION_STEP_OPS: int(2, 1_000_000).default(500),
  SYNCLINE_LOOKUP_RETENTION_MS: int(0, 7 * 24 * 3_600_000).default(300_000),
  SYNCLINE_ROW_STATE_CACHE_ROWS: int(1000, 10_000_000).default(200_000),
  SYNCLINE_CHANGE_FORMAT: z.enum(['json', 'avro']).default('json'),
  SYNCLINE_AVRO_REGISTRY_URL: z
    .string()
    .regex(
      /^https?:\/\/.*\/apis\/registry\/v2\/?$/,
      "http(s) URL of Apicurio Registry's v2 API, ending /apis/registry/v2",
    )
    .optional(),
});

export interface EvaluatorConfig {
  readonly rulesFile: string;
  readonly brokers: string[];
  readonly redisUrl: string;
  readonly schemaRegistryUrl: string | null;
  readonly topicPrefix: string;
  readonly deployment: string;
  readonly rulesVersion: string;
  readonly groupId: string;
  readonly defaultSchema: string;
  readonly bucketTopic: boolean;
  readonly bucketTopicPartitions: number;
  readonly httpPort: number;
  readonly logLevel: string;
  readonly sessionTimeoutMs: number;
  readonly leaseTtlMs: number;
  readonly topicRefreshMs: number;
  readonly instanceId: string;
  /** The connector's signal table (`schema.table`), or null: incremental snapshots then halt (SYNC_E408). */
  readonly signalTable: string | null;
  /** `whole`: no checkpoint covers part of an incremental snapshot; `windows`: whole windows only. */
  readonly incrementalSnapshots: 'whole' | 'windows';
  /** The connector's `notification.sink.topic.name` (read in `whole` mode). */
  readonly notificationTopic: string;
  /** How often the leader reads the deployment's Redis memory for its gauges (0: never). */
  readonly memoryReportMs: number;
  /** The leader compacts buckets continuously (docs/consistency.md 2.6). */
  readonly compaction: boolean;
  /** Pause between compaction passes. */
  readonly compactionIntervalMs: number;
  /** Ops one compaction step examines (at least 2): the bound of one step's Redis read. */
  readonly compactionStepOps: number;
  /** How long a checkpoint stays resolvable by a gateway: lookup versions below it are trimmed. */
  readonly lookupRetentionMs: number;
  /** Rows whose stored state the processor keeps in memory (a benchmark and tuning knob). */
  readonly rowStateCacheRows: number;
  /** Redis key prefix: one per deployment and rules version. */
  readonly keyPrefix: string;
  /** How the connector writes change events: JsonConverter (inline schemas) or Apicurio Avro. */
  readonly changeFormat: 'json' | 'avro';
  /** Apicurio's v2 API, where Avro writer schemas are fetched by global id (null for json). */
  readonly avroRegistryUrl: string | null;
}

export function loadConfig(env: NodeJS.ProcessEnv): EvaluatorConfig {
  const parsed = CONFIG_SCHEMA.safeParse(env);
  if (!parsed.success) {
    // A password in REDIS_URL is never echoed back in an error message.
    const shown = {
      ...env,
      ...(env.REDIS_URL === undefined ? {} : { REDIS_URL: hideRedisPassword(env.REDIS_URL) }),
    };
    throw new ConfigError(configErrorMessage('evaluator', parsed.error, shown, 'docs/evaluator.md'));
  }
  const e = parsed.data;
  if (e.SYNCLINE_BUCKET_TOPIC === 'on' && e.SCHEMA_REGISTRY_URL === undefined)
    throw new ConfigError(
      `invalid evaluator configuration:\n${configIssueLine('SCHEMA_REGISTRY_URL', 'required while SYNCLINE_BUCKET_TOPIC=on', env)}`,
    );
  if (e.SYNCLINE_CHANGE_FORMAT === 'avro' && e.SYNCLINE_AVRO_REGISTRY_URL === undefined)
    throw new ConfigError(
      `invalid evaluator configuration:\n${configIssueLine('SYNCLINE_AVRO_REGISTRY_URL', "required while SYNCLINE_CHANGE_FORMAT=avro: the Avro records' writer schemas are fetched from it", env)}`,
    );
  const leaseMin = 1000;
  if (e.SYNCLINE_LEASE_TTL_MS < leaseMin)
    throw new ConfigError('SYNCLINE_LEASE_TTL_MS must be at least 1000');
  return {
    rulesFile: e.SYNCLINE_RULES_FILE,
    brokers: e.KAFKA_BROKERS,
    redisUrl: e.REDIS_URL,
    schemaRegistryUrl: e.SCHEMA_REGISTRY_URL ?? null,
    topicPrefix: e.SYNCLINE_TOPIC_PREFIX,
    deployment: e.SYNCLINE_DEPLOYMENT,
    rulesVersion: e.SYNCLINE_RULES_VERSION,
    groupId: e.SYNCLINE_GROUP_ID ?? `syncline-evaluator.${e.SYNCLINE_DEPLOYMENT}.${e.SYNCLINE_RULES_VERSION}`,
    defaultSchema: e.SYNCLINE_DEFAULT_SCHEMA,
    bucketTopic: e.SYNCLINE_BUCKET_TOPIC === 'on',
    bucketTopicPartitions: e.SYNCLINE_BUCKET_TOPIC_PARTITIONS,
    httpPort: e.SYNCLINE_HTTP_PORT,
    logLevel: e.SYNCLINE_LOG_LEVEL,
    sessionTimeoutMs: e.SYNCLINE_SESSION_TIMEOUT_MS,
    leaseTtlMs: e.SYNCLINE_LEASE_TTL_MS,
    topicRefreshMs: e.SYNCLINE_TOPIC_REFRESH_MS,
    instanceId: e.SYNCLINE_INSTANCE_ID ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
    signalTable: e.SYNCLINE_SIGNAL_TABLE ?? null,
    incrementalSnapshots: e.SYNCLINE_INCREMENTAL_SNAPSHOTS,
    memoryReportMs: e.SYNCLINE_MEMORY_REPORT_MS,
    compaction: e.SYNCLINE_COMPACTION === 'on',
    compactionIntervalMs: e.SYNCLINE_COMPACTION_INTERVAL_MS,
    compactionStepOps: e.SYNCLINE_COMPACTION_STEP_OPS,
    lookupRetentionMs: e.SYNCLINE_LOOKUP_RETENTION_MS,
    rowStateCacheRows: e.SYNCLINE_ROW_STATE_CACHE_ROWS,
    notificationTopic: e.SYNCLINE_NOTIFICATION_TOPIC ?? `${e.SYNCLINE_TOPIC_PREFIX}.notifications`,
    keyPrefix: keyPrefixFor(e.SYNCLINE_DEPLOYMENT, e.SYNCLINE_RULES_VERSION),
    changeFormat: e.SYNCLINE_CHANGE_FORMAT,
    avroRegistryUrl: e.SYNCLINE_CHANGE_FORMAT === 'avro' ? (e.SYNCLINE_AVRO_REGISTRY_URL ?? null) : null,
  };
}
