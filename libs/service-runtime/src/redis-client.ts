// The Redis client every service uses, for one server or a Redis Cluster (redis-target.ts): it
// connects and reconnects by itself with backoff, logs an outage at most every 5 s instead of
// once per attempt, and can be awaited until ready.
import { Cluster, Redis } from 'ioredis';
import { abortable } from './abort';
import { parseRedisTarget, type RedisTarget } from './redis-target';
import type { RetryLogger } from './retry';

const ERROR_LOG_INTERVAL_MS = 5000;

/** A connection to one server or to a cluster; both take the same commands, scripts and pipelines. */
export type RedisConnection = Redis | Cluster;

const backoff = (times: number): number => Math.min(200 * 2 ** times, 10_000);

/**
 * A client that reconnects by itself with backoff. By default it queues commands while Redis is
 * away and re-sends those in flight when it is back. `fenced` instead fails them: a writer whose
 * Redis may have lost its last writes in a restart must look at what Redis holds before writing
 * again (the rules-evaluator retries the failed step, which checks first). `url` is a REDIS_URL
 * value (validated by the caller's config).
 */
export function createRedisClient(
  url: string,
  logger: RetryLogger,
  options: { fenced?: boolean } = {},
): RedisConnection {
  const target = parseRedisTarget(url);
  const fenced = options.fenced === true;
  const redis = target.kind === 'single' ? singleClient(target.url, fenced) : clusterClient(target, fenced);
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.warn({ err: error, code: 'SYNC_E501' }, 'redis unavailable; reconnecting');
  });
  return redis;
}

function singleClient(url: string, fenced: boolean): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: backoff,
    ...(fenced ? { enableOfflineQueue: false, autoResendUnfulfilledCommands: false } : {}),
  });
  if (fenced) redis.on('close', () => failInFlight(redis));
  return redis;
}

/**
 * A cluster client. ioredis gives each node a connection that never reconnects (a lost node is
 * found again through the slot map) and fails its commands in flight with "Connection is closed."
 * when it drops. Fenced: `retryDelayOnFailover: 0` makes the cluster pass that failure to the
 * caller instead of re-sending the command after a slot refresh, and no offline queue makes a
 * command fail while the cluster is not ready. MOVED, ASK, TRYAGAIN and CLUSTERDOWN replies are
 * still followed: a node sends them instead of executing the command, so following is no re-send.
 * A node's connection is opened as soon as the node is known, because a fenced command sent to a
 * node still connecting fails (docs/deploy.md, "Redis Cluster").
 */
function clusterClient(target: Extract<RedisTarget, { kind: 'cluster' }>, fenced: boolean): Cluster {
  const cluster = new Cluster(
    target.seeds.map((s) => ({ host: s.host, port: s.port })),
    {
      clusterRetryStrategy: backoff,
      redisOptions: {
        ...(target.username === null ? {} : { username: target.username }),
        ...(target.password === null ? {} : { password: target.password }),
        ...(target.tls ? { tls: {} } : {}),
      },
      ...(fenced ? { enableOfflineQueue: false, retryDelayOnFailover: 0 } : {}),
    },
  );
  if (fenced) cluster.on('+node', (node: Redis) => void node.connect().catch(() => undefined));
  return cluster;
}

/**
 * Resolves once the client is connected (a cluster: its slot map read and every master's
 * connection open); rejects with StoppedError when `signal` aborts first. (events.once would
 * reject on the first 'error', and connection errors are expected here.)
 */
export async function redisReady(redis: RedisConnection, signal: AbortSignal): Promise<void> {
  if (redis.status !== 'ready')
    await abortable(new Promise<void>((resolve) => redis.once('ready', () => resolve())), signal, 'redis');
  if (redis instanceof Cluster)
    // A master that does not answer fails the first command sent to it, which its caller retries.
    await abortable(
      Promise.all(redis.nodes('master').map((node) => node.ping().catch(() => undefined))),
      signal,
      'redis',
    );
}

interface InFlight {
  readonly command: { reject(error: Error): void };
}

/**
 * Rejects the commands in flight when the connection closes. Without re-sending, ioredis (5.x)
 * drops them on reconnect and never settles their promises, so whoever awaits one would hang for
 * ever. Reads ioredis' command queue, which it still holds when it emits 'close'.
 */
function failInFlight(redis: Redis): void {
  const queue = (redis as unknown as { commandQueue?: { toArray(): InFlight[] } }).commandQueue;
  const error = new Error(
    'Redis connection closed with the command in flight (fenced client: not sent again)',
  );
  for (const item of queue?.toArray() ?? []) item.command.reject(error);
}
