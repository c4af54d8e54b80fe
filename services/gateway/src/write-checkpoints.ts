// Write checkpoints: a client that uploaded local writes asks for a number (n, increasing per user
// and client); the gateway emits a transactional logical message carrying `<user>/<client>:<n>`
// through Postgres, so Debezium orders it after the client's writes; the evaluator records which
// checkpoint first covers it, and the stream's next checkpoint line for that client carries n.
import type { Pool } from 'pg';
import { StoreKeys, type StoreConnection } from '@syncline/bucket-store';
import { SynclineError } from '@syncline/errors';
import { formatWriteCheckpoint, parseOpId, writeCheckpointPrefix } from '@syncline/protocol';
import type { RateLimiter } from './rate-limiter';
import type { SharedReads } from './shared-reads';

export class WriteCheckpointUnavailableError extends SynclineError {
  override readonly name = 'WriteCheckpointUnavailableError';
  readonly code = 'SYNC_E817';
}

export class WriteCheckpointRateError extends SynclineError {
  override readonly name = 'WriteCheckpointRateError';
  readonly code = 'SYNC_E818';
}

/** Raises a counter to `wanted`, or by one when `wanted` is ''; returns its value. KEYS: counter. */
const RAISE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local wanted = current + 1
if ARGV[1] ~= '' then wanted = tonumber(ARGV[1]) end
if wanted > current then
  redis.call('SET', KEYS[1], string.format('%d', wanted))
  return string.format('%d', wanted)
end
return string.format('%d', current)
`;

export class WriteCheckpoints {
  private readonly keys: StoreKeys;

  constructor(
    private readonly redis: StoreConnection,
    keyPrefix: string,
    private readonly deployment: string,
    private readonly pg: Pool | null,
    private readonly reads: SharedReads,
    /** Per user, across both endpoints of this process. */
    private readonly limiter: RateLimiter,
  ) {
    this.keys = new StoreKeys(keyPrefix);
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
    const counter = `${this.keys.writeCheckpoints(userId)}:n:${clientId}`;
    const n = BigInt(
      (await this.redis.eval(RAISE, 1, counter, requested === null ? '' : requested.toString())) as string,
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
    const all = await this.reads.reader.writeCheckpointsOf(userId);
    const wc = all[clientId];
    if (wc === undefined || parseOpId(wc.opId) > checkpoint) return null;
    return BigInt(wc.n);
  }
}
