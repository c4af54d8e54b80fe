// Lua scripts. Each touches the keys of one hash tag only (one Redis Cluster slot), and each is
// idempotent: running it twice with the same arguments leaves the same state as running it once.

/**
 * Adds ops to one bucket. KEYS: ops, body, meta, latest, buckets-set is NOT passed (other slot).
 * ARGV: bucket name, then quadruples (member, rowKey, checksum, body).
 * An op whose member is present is skipped, so its checksum and count are added exactly once.
 * Returns the number of ops added.
 */
export const ADD_OPS = `
local added = 0
local sum = tonumber(redis.call('HGET', KEYS[3], 'checksum') or '0')
local count = tonumber(redis.call('HGET', KEYS[3], 'count') or '0')
for i = 2, #ARGV, 4 do
  local member = ARGV[i]
  if not redis.call('ZSCORE', KEYS[1], member) then
    redis.call('ZADD', KEYS[1], 0, member)
    redis.call('HSET', KEYS[2], member, ARGV[i + 3])
    sum = (sum + tonumber(ARGV[i + 2])) % 4294967296
    count = count + 1
    added = added + 1
    local rowKey = ARGV[i + 1]
    local current = redis.call('HGET', KEYS[4], rowKey)
    if (not current) or current < member then redis.call('HSET', KEYS[4], rowKey, member) end
  end
end
if added > 0 then
  redis.call('HSET', KEYS[3], 'checksum', string.format('%d', sum), 'count', count, 'name', ARGV[1])
end
return added
`;

/**
 * Checksum and count of one bucket at a checkpoint: the running totals minus the ops above it
 * (only in-flight ops are above the latest checkpoint). KEYS: ops, body, meta. ARGV: lex min of the
 * members above the checkpoint. Returns {checksum, count}.
 */
export const CHECKSUM_AT = `
local sum = tonumber(redis.call('HGET', KEYS[3], 'checksum') or '0')
local count = tonumber(redis.call('HGET', KEYS[3], 'count') or '0')
local above = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+')
for _, member in ipairs(above) do
  local body = redis.call('HGET', KEYS[2], member)
  if body then
    local op = cjson.decode(body)
    sum = (sum - op.checksum) % 4294967296
    count = count - 1
  end
end
return {string.format('%d', sum), count}
`;

/**
 * Writes a row state unless the stored one was written by a later (or the same) op.
 * KEYS: row key. ARGV: op member (16 hex), state JSON. Returns 1 when written.
 */
export const PUT_ROW = `
local current = redis.call('HGET', KEYS[1], 'op')
if current and current >= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'op', ARGV[1], 'state', ARGV[2])
return 1
`;

/**
 * Replaces a row state by a tombstone written by `op` when the stored one is older (truncate).
 * KEYS: row key. ARGV: op member, tombstone JSON. Returns the previous state when replaced, else false.
 */
export const TRUNCATE_ROW = `
local current = redis.call('HGET', KEYS[1], 'op')
if current and current >= ARGV[1] then return false end
local state = redis.call('HGET', KEYS[1], 'state')
redis.call('HSET', KEYS[1], 'op', ARGV[1], 'state', ARGV[2])
return state
`;

/** Sets a hash field to max(current, value) for integer values. KEYS: hash. ARGV: field, value. */
export const HASH_MAX = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and tonumber(current) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
`;

/**
 * Assigns a dense index to a topic once. KEYS: map, next. ARGV: topic. Returns the index.
 */
export const TOPIC_INDEX = `
local index = redis.call('HGET', KEYS[1], ARGV[1])
if index then return tonumber(index) end
index = redis.call('INCR', KEYS[2]) - 1
redis.call('HSET', KEYS[1], ARGV[1], index)
return index
`;

/**
 * Lease: acquire when free, renew when held by us. KEYS: lease. ARGV: owner, ttl ms.
 * Returns 1 when we hold it afterwards.
 */
export const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** Releases the lease when we hold it. KEYS: lease. ARGV: owner. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Fenced checkpoint write: only the lease holder, only forward. KEYS: lease, checkpoint.
 * ARGV: owner, op member (16 hex) of last_op_id, checkpoint JSON, channel.
 * Returns 1 when stored and published.
 */
export const PUBLISH_CHECKPOINT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local current = redis.call('HGET', KEYS[2], 'op')
if current and current >= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'op', ARGV[2], 'json', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1
`;

/** Processed marks: SADD members and (re)set the TTL in one call. KEYS: set. ARGV: ttl s, members. */
export const MARK = `
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
return redis.call('EXPIRE', KEYS[1], ARGV[1])
`;
