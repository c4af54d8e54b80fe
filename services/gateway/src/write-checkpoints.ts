// Write checkpoints: a client that uploaded local writes asks for a number (n, increasing per user
// and client); the gateway emits a transactional logical message carrying `<user>/<client>:<n>`
// through Postgres, so Debezium orders it after the client's writes; the evaluator records which
// checkpoint first covers it, and the stream's next checkpoint line for that client carries n.
import type { Pool } from 'pg';
import {
  DEFAULT_WRITE_CHECKPOINT_RETENTION_MS,
  StoreKeys,
  type BucketReader,
  type StoreConnection,
} from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import { formatWriteCheckpoint, parseOpId, writeCheckpointPrefix } from '@syncline/protocol';
import type { RateLimiter } from './rate-limiter';

export class WriteCheckpointUnavailableError extends SynclineError {
  override readonly name = 'WriteCheckpointUnavailableError';
  readonly code = 'SYNC_E817';
}

export class WriteCheckpointRateError extends SynclineError {
  override readonly name = 'WriteCheckpointRateError';
  readonly code = 'SYNC_E818';
}

/**
 * Raises a client's counter and returns its value: to `wanted` (ARGV[1]), or by one when that is
 * '', never below `floor` (ARGV[2], the `n` the deployment stored for the client), and renews its
 * expiry (ARGV[3] ms, '' for none). KEYS: counter.
 */
const RAISE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[2])
if floor > current then current = floor end
local wanted = current + 1
if ARGV[1] ~= '' then wanted = tonumber(ARGV[1]) end
if wanted < current then wanted = current end
redis.call('SET', KEYS[1], string.format('%d', wanted))
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return string.format('%d', wanted)
`;

export interface WriteCheckpointOptions {
  /**
   * A client's counter expires this long after its last write checkpoint (null: never). Safe at
   * any value: a counter that expired restarts above the `n` the deployment stored for the client.
   */
  readonly counterRetentionMs?: number | null;
}

export class WriteCheckpoints {
  private readonly keys: StoreKeys;
  private readonly counterRetention: string;

  constructor(
    private readonly redis: StoreConnection,
    keyPrefix: string,
    private readonly deployment: string,
    private readonly pg: Pool | null,
    private readonly reader: BucketReader,
    /** Per user, across both endpoints of this process. */
    private readonly limiter: RateLimiter,
    options: WriteCheckpointOptions = {},
  ) {
    this.keys = new StoreKeys(keyPrefix);
    const retention = options.counterRetentionMs;
    if (retention != null && (!Number.isSafeInteger(retention) || retention < 1))
      throw new RangeError(`counterRetentionMs must be a positive integer, got ${retention}`);
    this.counterRetention =
      retention === null ? '' : String(retention ?? DEFAULT_WRITE_CHECKPOINT_RETENTION_MS);
  }

  /**
   * A new write checkpoint for the client (or at least `requested`), emitted through Postgres.
   * Returns its number.
   */
  async create(userId: string, clientId: string, requested: bigint | null = null): Promise<bigint> {
    if (this.pg === null)
      throw new WriteCheckpointUnavailableError(
        'write checkpoints need PG_URL: the gateway emits them as logical messages through Postgres',
      );
    if (!this.limiter.take(userId))
      throw new WriteCheckpointRateError(
        `more than ${this.limiter.perSecond} write checkpoints a second for user ${userId} (SYNCLINE_WRITE_CHECKPOINTS_PER_S); retry later`,
      );
    // The stored n first: a counter that expired (or was never kept) restarts above it, so the
    // deployment does not refuse the client's next write checkpoints as older. The two keys are
    // in different Cluster slots, hence two reads; an n stored between them came from this
    // counter, which is above it unless it expired with that n still in flight for its whole
    // retention (docs/consistency.md 2.7).
    const stored = (await this.reader.writeCheckpointsOf(userId))[clientId]?.n ?? '0';
    const counter = `${this.keys.writeCheckpoints(userId)}:n:${clientId}`;
    const n = BigInt(
      (await this.redis.eval(
        RAISE,
        1,
        counter,
        requested === null ? '' : requested.toString(),
        stored,
        this.counterRetention,
      )) as string,
    );
    const content = formatWriteCheckpoint({ userId, clientId, n: n.toString() });
    await this.pg.query('SELECT pg_logical_emit_message(true, $1, $2)', [
      writeCheckpointPrefix(this.deployment),
      content,
    ]);
    return n;
  }

  /** The client's write checkpoint that `checkpoint` covers, or null. */
  async at(userId: string, clientId: string, checkpoint: bigint): Promise<bigint | null> {
    const all = await this.reader.writeCheckpointsOf(userId);
    const wc = all[clientId];
    if (wc === undefined || parseOpId(wc.opId) > checkpoint) return null;
    return BigInt(wc.n);
  }
}
