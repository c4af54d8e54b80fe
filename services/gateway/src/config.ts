// Gateway configuration: environment variables validated once at start-up (zod). Every variable is
// listed in docs/gateway.md; a bad value fails with a message naming it.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { keyPrefixFor } from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import {
  configErrorMessage,
  configIssueLine,
  hideRedisPassword,
  redisUrlSchema,
} from '@syncline/service-runtime';

export class GatewayConfigError extends SynclineError {
  override readonly name = 'GatewayConfigError';
  readonly code = 'SYNC_E101';
}

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');
const list = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

/** Env var name -> schema. The keys are the documented names. */
export const GATEWAY_CONFIG_SCHEMA = z.object({
  SYNCLINE_RULES_FILE: z.string().min(1),
  REDIS_URL: redisUrlSchema,
  PG_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'postgres:// URL')
    .optional(),
  SYNCLINE_DEPLOYMENT: name.default('default'),
  SYNCLINE_RULES_VERSION: name.default('1'),
  SYNCLINE_DEFAULT_SCHEMA: name.default('public'),
  SYNCLINE_GATEWAY_PORT: int(0, 65535).default(8080),
  SYNCLINE_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  SYNCLINE_JWT_SECRET: z.string().min(32, 'at least 32 characters (HS256)').optional(),
  SYNCLINE_JWT_KEYS: z.string().optional(),
  SYNCLINE_JWT_SECRET_FILE: z.string().min(1).optional(),
  SYNCLINE_JWT_KEYS_FILE: z.string().min(1).optional(),
  SYNCLINE_JWKS_URLS: list.pipe(z.array(z.string().url())).optional(),
  SYNCLINE_JWKS_MIN_REFETCH_MS: int(0, 3_600_000).default(30_000),
  SYNCLINE_JWT_AUDIENCE: list.pipe(z.array(z.string().min(1)).min(1)).default('syncline'),
  SYNCLINE_JWT_MAX_LIFETIME_S: int(60, 30 * 86400).default(86400),
  SYNCLINE_JWT_CLOCK_TOLERANCE_S: int(0, 600).default(30),
  SYNCLINE_MAX_BUCKETS: int(1, 100_000).default(1000),
  SYNCLINE_MAX_REQUEST_BYTES: int(1024, 16 * 1024 * 1024).default(256 * 1024),
  SYNCLINE_MAX_PARAMETER_BYTES: int(2, 16 * 1024 * 1024).default(16 * 1024),
  SYNCLINE_WRITE_CHECKPOINTS_PER_S: int(1, 100_000).default(10),
  SYNCLINE_MAX_CONNECTIONS: int(1, 1_000_000).default(20_000),
  SYNCLINE_PAGE_OPS: int(1, 100_000).default(1000),
  SYNCLINE_PAGE_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  SYNCLINE_PAGE_CACHE_MB: int(0, 65_536).default(64),
  SYNCLINE_SLOW_CLIENT_MS: int(1000, 600_000).default(30_000),
  SYNCLINE_KEEPALIVE_MS: int(1000, 120_000).default(20_000),
  SYNCLINE_CORS_ORIGINS: list.default('*'),
});

export interface GatewayConfig {
  readonly rulesFile: string;
  readonly redisUrl: string;
  /** Postgres, for the logical messages of write checkpoints; null: those endpoints answer 503. */
  readonly pgUrl: string | null;
  readonly deployment: string;
  readonly rulesVersion: string;
  readonly defaultSchema: string;
  readonly port: number;
  readonly logLevel: string;
  readonly auth: AuthConfig;
  readonly limits: {
    readonly maxBuckets: number;
    readonly maxRequestBytes: number;
    /** Bytes of the client parameters' JSON. */
    readonly maxParameterBytes: number;
    /** Write checkpoints a user may ask for per second (bursts of twice that), per process. */
    readonly writeCheckpointsPerS: number;
    readonly maxConnections: number;
    readonly pageOps: number;
    readonly pageBytes: number;
    /** Bytes of serialized data lines kept for other connections (0: none kept). */
    readonly pageCacheBytes: number;
    readonly slowClientMs: number;
    readonly keepaliveMs: number;
  };
  readonly corsOrigins: readonly string[];
  /** Redis key prefix of the deployment and rules version (the evaluator's). */
  readonly keyPrefix: string;
}

export interface AuthConfig {
  /** HS256 shared secret. */
  readonly secret: string | null;
  /** Static public keys: a JWKS (`{"keys": [...]}`) or one JWK, as JSON, or a PEM (SPKI). */
  readonly staticKeys: string | null;
  readonly jwksUrls: readonly string[];
  /** Least time between two fetches of one JWKS URL (an unknown kid refetches after it). */
  readonly jwksMinRefetchMs: number;
  readonly audiences: readonly string[];
  readonly maxLifetimeS: number;
  readonly clockToleranceS: number;
}

/**
 * `<NAME>_FILE` (a mounted secret, as Docker and Kubernetes provide them) read into `<NAME>`, for
 * SYNCLINE_JWT_SECRET and SYNCLINE_JWT_KEYS; setting both forms, or an unreadable file, is an error.
 */
function withKeyFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const name of ['SYNCLINE_JWT_SECRET', 'SYNCLINE_JWT_KEYS'] as const) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    const problem = (detail: string) =>
      new GatewayConfigError(`invalid gateway configuration:\n  ${name}_FILE: ${detail} (docs/gateway.md)`);
    if (env[name] !== undefined) throw problem(`set ${name} or ${name}_FILE, not both`);
    try {
      out[name] = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw problem(`cannot read ${file}: ${(error as Error).message}`);
    }
  }
  return out;
}

export function loadGatewayConfig(given: NodeJS.ProcessEnv): GatewayConfig {
  const env = withKeyFiles(given);
  const parsed = GATEWAY_CONFIG_SCHEMA.safeParse(env);
  // A secret is never echoed back in an error message.
  const shown = {
    ...env,
    ...(env.SYNCLINE_JWT_SECRET === undefined ? {} : { SYNCLINE_JWT_SECRET: '<hidden>' }),
    ...(env.REDIS_URL === undefined ? {} : { REDIS_URL: hideRedisPassword(env.REDIS_URL) }),
  };
  if (!parsed.success)
    throw new GatewayConfigError(configErrorMessage('gateway', parsed.error, shown, 'docs/gateway.md'));
  const e = parsed.data;
  if (
    e.SYNCLINE_JWT_SECRET === undefined &&
    e.SYNCLINE_JWT_KEYS === undefined &&
    !e.SYNCLINE_JWKS_URLS?.length
  )
    throw new GatewayConfigError(
      `invalid gateway configuration:\n${configIssueLine(
        'SYNCLINE_JWT_SECRET',
        'set a key source: SYNCLINE_JWT_SECRET, SYNCLINE_JWT_KEYS or SYNCLINE_JWKS_URLS',
        shown,
      )}`,
    );
  return {
    rulesFile: e.SYNCLINE_RULES_FILE,
    redisUrl: e.REDIS_URL,
    pgUrl: e.PG_URL ?? null,
    deployment: e.SYNCLINE_DEPLOYMENT,
    rulesVersion: e.SYNCLINE_RULES_VERSION,
    defaultSchema: e.SYNCLINE_DEFAULT_SCHEMA,
    port: e.SYNCLINE_GATEWAY_PORT,
    logLevel: e.SYNCLINE_LOG_LEVEL,
    auth: {
      secret: e.SYNCLINE_JWT_SECRET ?? null,
      staticKeys: e.SYNCLINE_JWT_KEYS ?? null,
      jwksUrls: e.SYNCLINE_JWKS_URLS ?? [],
      jwksMinRefetchMs: e.SYNCLINE_JWKS_MIN_REFETCH_MS,
      audiences: e.SYNCLINE_JWT_AUDIENCE,
      maxLifetimeS: e.SYNCLINE_JWT_MAX_LIFETIME_S,
      clockToleranceS: e.SYNCLINE_JWT_CLOCK_TOLERANCE_S,
    },
    limits: {
      maxBuckets: e.SYNCLINE_MAX_BUCKETS,
      maxRequestBytes: e.SYNCLINE_MAX_REQUEST_BYTES,
      maxParameterBytes: e.SYNCLINE_MAX_PARAMETER_BYTES,
      writeCheckpointsPerS: e.SYNCLINE_WRITE_CHECKPOINTS_PER_S,
      maxConnections: e.SYNCLINE_MAX_CONNECTIONS,
      pageOps: e.SYNCLINE_PAGE_OPS,
      pageBytes: e.SYNCLINE_PAGE_BYTES,
      pageCacheBytes: e.SYNCLINE_PAGE_CACHE_MB * 1024 * 1024,
      slowClientMs: e.SYNCLINE_SLOW_CLIENT_MS,
      keepaliveMs: e.SYNCLINE_KEEPALIVE_MS,
    },
    corsOrigins: e.SYNCLINE_CORS_ORIGINS,
    keyPrefix: keyPrefixFor(e.SYNCLINE_DEPLOYMENT, e.SYNCLINE_RULES_VERSION),
  };
}
