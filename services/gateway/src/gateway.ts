// The gateway service: wiring of its parts around one Redis client (reads), one Postgres pool
// (write checkpoints' logical messages) and one HTTP server. Stateless: any number of instances
// serve the same deployment behind a load balancer.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { Logger } from 'pino';
import { RedisBucketReader } from '@syncline/bucket-store';
import { createRedisClient, type RedisConnection } from '@syncline/service-runtime';
import type { SyncRules } from '@syncline/sync-rules';
import { createApp } from './app';
import { TokenVerifier } from './auth';
import type { GatewayConfig } from './config';
import { createGatewayMetrics, type GatewayMetrics } from './metrics';
import { RateLimiter } from './rate-limiter';
import { SharedReads } from './shared-reads';
import { WriteCheckpoints } from './write-checkpoints';

export class Gateway {
  readonly metrics: GatewayMetrics = createGatewayMetrics();
  private readonly stopping = new AbortController();
  private redis: RedisConnection | null = null;
  private reader: RedisBucketReader | null = null;
  private pool: pg.Pool | null = null;
  private server: Server | null = null;
  private listening = false;

  constructor(
    readonly config: GatewayConfig,
    private readonly rules: SyncRules,
    private readonly logger: Logger,
  ) {}

  /** Starts serving; resolves with the port once listening. */
  async start(): Promise<number> {
    const { config, logger } = this;
    const verifier = await TokenVerifier.create(config.auth);
    const redis = createRedisClient(config.redisUrl, logger);
    this.redis = redis;
    this.reader = new RedisBucketReader(redis, config.keyPrefix);
    this.pool = config.pgUrl === null ? null : new pg.Pool({ connectionString: config.pgUrl, max: 4 });
    this.pool?.on('error', (err) => logger.warn({ err }, 'postgres connection error'));
    const reads = new SharedReads(this.reader, config.limits);
    const app = createApp({
      config,
      rules: this.rules,
      verifier,
      reads,
      writeCheckpoints: new WriteCheckpoints(
        redis,
        config.keyPrefix,
        config.deployment,
        this.pool,
        this.reader,
        new RateLimiter(config.limits.writeCheckpointsPerS, config.limits.writeCheckpointsPerS * 2),
      ),
      metrics: this.metrics,
      logger,
      stopping: this.stopping.signal,
      ready: () => this.listening && this.redis?.status === 'ready',
    });
    const server = app.listen(config.port);
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', () => resolve());
      server.once('error', reject);
    });
    this.listening = true;
    const port = (server.address() as AddressInfo).port;
    logger.info({ port, keyPrefix: config.keyPrefix }, 'gateway listening');
    return port;
  }

  /** Ends every stream, stops accepting, and closes its connections. */
  async stop(): Promise<void> {
    this.listening = false;
    this.stopping.abort();
    const server = this.server;
    if (server !== null) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    await this.reader?.close();
    this.redis?.disconnect();
    await this.pool?.end();
  }
}
