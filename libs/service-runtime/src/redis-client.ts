// The Redis client every service uses: it connects and reconnects by itself with backoff, logs
// an outage at most every 5 s instead of once per attempt, and can be awaited until ready.
import { Redis } from 'ioredis';
import { abortable } from './abort';
import type { RetryLogger } from './retry';

const ERROR_LOG_INTERVAL_MS = 5000;

/**
 * A client that reconnects by itself with backoff. By default it queues commands while Redis is
 * away and re-sends those in flight when it is back. `fenced` instead fails them: a writer whose
 * Redis may have lost its last writes in a restart must look at what Redis holds before writing
 * again (the rules-evaluator retries the failed step, which checks first).
 */
export function createRedisClient(
  url: string,
  logger: RetryLogger,
  options: { fenced?: boolean } = {},
): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * 2 ** times, 10_000),
    ...(options.fenced ? { enableOfflineQueue: false, autoResendUnfulfilledCommands: false } : {}),
  });
  if (options.fenced) redis.on('close', () => failInFlight(redis));
  let lastLogged = 0;
  redis.on('error', (error: Error) => {
    if (Date.now() - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = Date.now();
    logger.warn({ err: error, code: 'SYNC_E501' }, 'redis unavailable; reconnecting');
  });
  return redis;
}

/**
 * Resolves once the client is connected; rejects with StoppedError when `signal` aborts first.
 * (events.once would reject on the first 'error', and connection errors are expected here.)
 */
export async function redisReady(redis: Redis, signal: AbortSignal): Promise<void> {
  if (redis.status === 'ready') return;
  await abortable(new Promise<void>((resolve) => redis.once('ready', () => resolve())), signal, 'redis');
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
