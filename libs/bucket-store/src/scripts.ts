// Lua scripts. Each touches the keys of one hash tag only (one Redis Cluster slot), and each is
// idempotent: running it twice with the same arguments leaves the same state as running it once.

/**
 * Adds ops to one bucket. KEYS: ops, body, meta (the buckets set is NOT passed: other slot).
 * ARGV: bucket name, then triples (member, checksum, body). An op whose member is present is
 * skipped (ZADD NX says so), so its checksum and count are added exactly once. So is an op at or
 * below the op id of the bucket's CLEAR (meta `cleared`, written by COMPACT_STEP) or of its
 * highest pack (meta `sealed`, written by PACK_MOVES): its member may be gone, but the CLEAR or
 * the pack already holds its checksum and count (a late writer replaying a batch the checkpoint
 * covers; docs/consistency.md 2.6). Returns ops added.
 */
export const ADD_OPS = `
local added = 0
local totals = redis.call('HMGET', KEYS[3], 'checksum', 'count', 'cleared', 'sealed')
local sum = tonumber(totals[1] or '0')
local count = tonumber(totals[2] or '0')
local cleared = totals[3] or ''
if totals[4] and totals[4] > cleared then cleared = totals[4] end
for i = 2, #ARGV, 3 do
  if string.sub(ARGV[i], 1, 16) > cleared and redis.call('ZADD', KEYS[1], 'NX', 0, ARGV[i]) == 1 then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
    sum = (sum + tonumber(ARGV[i + 1])) % 4294967296
    count = count + 1
    added = added + 1
  end
end
if added > 0 then
  redis.call('HSET', KEYS[3], 'checksum', string.format('%d', sum), 'count', count, 'name', ARGV[1])
end
return added
`;

/**
 * A range of a bucket's members with their bodies, read at one instant (members and bodies read by
 * two commands could straddle a compaction step that removes members: bucket-range.ts). KEYS:
 * ops, body. ARGV: ZRANGEBYLEX or ZREVRANGEBYLEX, its two lex bounds, count (-1: all). Returns
 * member, body pairs in the order read; a pack's body is '' (it has none), a missing body too.
 */
export const READ_OPS = `
if ARGV[1] ~= 'ZRANGEBYLEX' and ARGV[1] ~= 'ZREVRANGEBYLEX' then
  return redis.error_reply('READ_OPS: unknown range command ' .. ARGV[1])
end
local members = redis.call(ARGV[1], KEYS[1], ARGV[2], ARGV[3], 'LIMIT', 0, ARGV[4])
local out = {}
for i, member in ipairs(members) do
  out[2 * i - 1] = member
  if string.sub(member, 17, 17) == '#' then
    out[2 * i] = ''
  else
    out[2 * i] = redis.call('HGET', KEYS[2], member) or ''
  end
end
return out
`;

/**
 * Checksum and count of one bucket at a checkpoint: the running totals minus the ops above it
 * (only in-flight ops are above the latest checkpoint; a CLEAR above an older one weighs the ops it
 * stands for, a pack its MOVEs above the checkpoint: the one holding the checkpoint's op id may
 * hold MOVEs at or below it too). KEYS: ops, body, meta. ARGV: lex min of the members above the
 * checkpoint (`[` and 16 hex). Returns {checksum, count}.
 */
export const CHECKSUM_AT = `
local sum = tonumber(redis.call('HGET', KEYS[3], 'checksum') or '0')
local count = tonumber(redis.call('HGET', KEYS[3], 'count') or '0')
local above = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+')
local min = string.sub(ARGV[1], 2, 17)
for _, member in ipairs(above) do
  local body = false
  if string.sub(member, 17, 17) == '#' then
    for at = 34, #member, 24 do
      if string.sub(member, at, at + 15) >= min then
        sum = (sum - tonumber(string.sub(member, at + 16, at + 23), 16)) % 4294967296
        count = count - 1
      end
    end
  else
    body = redis.call('HGET', KEYS[2], member)
  end
  if body then
    local op = cjson.decode(body)
    sum = (sum - op.checksum) % 4294967296
    count = count - (op.count or 1)
  end
end
return {string.format('%d', sum), count}
`;

/**
 * Writes row states of one shard, each unless the stored one was written by a later (or the same)
 * op. A value is `<op member, 16 hex><state JSON>`. A state older than the shard's truncate
 * marker (a TRUNCATE later in commit order has already scanned the table) is not written: its pk
 * is returned, and the caller removes the row as of the truncate and writes its tombstone then.
 * KEYS: shard hash, shard truncate marker. ARGV: pairs (pk, value).
 * Returns {written, marker or '', pks refused by the marker...}.
 */
export const PUT_ROWS = `
local written = 0
local marker = redis.call('GET', KEYS[2])
local refused = {}
for i = 1, #ARGV, 2 do
  local op = string.sub(ARGV[i + 1], 1, 16)
  if marker and op < marker then
    refused[#refused + 1] = ARGV[i]
  else
    local current = redis.call('HGET', KEYS[1], ARGV[i])
    if (not current) or string.sub(current, 1, 16) < op then
      redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
      written = written + 1
    end
  end
end
local result = {written, marker or ''}
for _, pk in ipairs(refused) do result[#result + 1] = pk end
return result
`;

/** Raises a shard's truncate marker to an op member (16 hex). KEYS: marker. ARGV: member. */
export const RAISE_MARKER = `
local current = redis.call('GET', KEYS[1])
if current and current >= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
`;

/**
 * Truncate: replaces row states of one shard by `<op><tombstone>` where the stored op is older.
 * KEYS: shard hash. ARGV: op member (16 hex), tombstone JSON, then pks. Returns the pks replaced.
 */
export const TRUNCATE_ROWS = `
local replaced = {}
local value = ARGV[1] .. ARGV[2]
for i = 3, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current and string.sub(current, 1, 16) < ARGV[1] then
    redis.call('HSET', KEYS[1], ARGV[i], value)
    replaced[#replaced + 1] = ARGV[i]
  end
end
return replaced
`;

/**
 * Counts processed events, each **distinct** (transaction, total_order) once, whatever offset,
 * partition or delivery it came from: a bitmap per transaction (`seen`) says which total_orders
 * were counted, so a re-delivered or duplicated record never stands in for a missing one. Events of
 * a transaction the checkpoint already covers are not counted (its counts were forgotten). Moves
 * the partition's progress (next offset processed) forward only.
 * KEYS: progress, counts, streaming, checkpoint, then one `seen` key per transaction.
 * ARGV: partition field, next progress, the END offset of the latest transaction an event of
 * which the partition has now processed with everything before it ('' when none: `streaming` keeps
 * the highest), the progress the
 * caller wrote last ('' when none), then per transaction (in KEYS order): END offset, its
 * checkpoint op member (16 hex), n, then n total_orders. Returns {events newly counted, the
 * partition's progress before ('' when absent)}, or {-1, progress} without writing anything when
 * the stored progress is below what the caller wrote last (Redis lost writes).
 */
export const COUNT_EVENTS = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[4] ~= '' and ((not current) or tonumber(current) < tonumber(ARGV[4])) then return {-1, current or ''} end
local covered = redis.call('HGET', KEYS[4], 'op') or ''
local added = 0
local i = 5
for t = 5, #KEYS do
  local endOffset, member, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  if member > covered then
    local fresh = 0
    for j = i + 3, i + 2 + n do
      if redis.call('SETBIT', KEYS[t], ARGV[j], 1) == 0 then fresh = fresh + 1 end
    end
    if fresh > 0 then redis.call('HINCRBY', KEYS[2], endOffset, fresh) end
    added = added + fresh
  end
  i = i + 3 + n
end
if (not current) or tonumber(current) < tonumber(ARGV[2]) then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
if ARGV[3] ~= '' then
  local reached = redis.call('HGET', KEYS[3], ARGV[1])
  if (not reached) or tonumber(reached) < tonumber(ARGV[3]) then redis.call('HSET', KEYS[3], ARGV[1], ARGV[3]) end
end
return {added, current or ''}
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
 * Returns 2 when it was free (acquired), 1 when it was ours (renewed), 0 when another holds it.
 */
export const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
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
 * ARGV: owner, op member (16 hex) of last_op_id, checkpoint JSON, channel, op member of the
 * checkpoint the caller last saw stored ('' when none). Returns 1 when stored and published, 0
 * when the stored one is not older, -1 when the caller does not hold the lease, -2 when the stored
 * checkpoint is older than the one the caller saw (Redis lost writes: restored or wiped).
 */
export const PUBLISH_CHECKPOINT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local current = redis.call('HGET', KEYS[2], 'op')
if ARGV[5] ~= '' and ((not current) or current < ARGV[5]) then return -2 end
if current and current >= ARGV[2] then return 0 end
redis.call('HSET', KEYS[2], 'op', ARGV[2], 'json', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[3])
return 1
`;

/**
 * Records a client's write checkpoint only forward: a smaller `n` than the stored one (an older
 * write checkpoint covered again, e.g. a re-delivered transaction) changes nothing. `n` is a
 * decimal of any length, compared by length then digits. A write sets the user's hash to expire
 * `retention` ms later (docs/consistency.md §2.6: a user none of whose clients wrote for that long
 * loses the records). KEYS: the user's hash. ARGV: client id, n, JSON {n, opId}, retention ms
 * ('' or absent: never expires). Returns 1 when written.
 */
export const SAVE_WRITE_CHECKPOINT = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local n = cjson.decode(stored).n
  if #n > #ARGV[2] or (#n == #ARGV[2] and n >= ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
if ARGV[4] and ARGV[4] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`;

/**
 * One compaction step of one bucket (docs/consistency.md 2.6), atomic so that a crash leaves it
 * applied or not. KEYS: ops, body, meta. ARGV: the number of MOVEs n, then n pairs (member, MOVE
 * body), then the CLEAR's member ('' for none), its body, and the members it replaces. A MOVE
 * rewrites the body of a member that still holds a PUT or REMOVE (or this very MOVE: a step
 * applied again), unless the CLEAR replaces that member anyway; the CLEAR deletes the replaced
 * members, which must be the bucket's first ones, writes itself at the last one's member and
 * records its op id (16 hex) as meta `cleared`, below which ADD_OPS adds nothing any more. A plan
 * that no longer fits (made from another state of the bucket, e.g. by a second compactor) changes
 * nothing and returns 'stale'. A MOVE whose member is gone at or below meta `sealed` was packed
 * since (the step applied again after its packs): it is skipped. The running totals (meta
 * checksum and count) do not change.
 * Returns {moves written, members deleted} or 'stale'.
 */
export const COMPACT_STEP = `
local n = tonumber(ARGV[1])
local at = 2 + 2 * n
local replaced = {}
if ARGV[at] ~= '' then
  for j = at + 2, #ARGV do replaced[ARGV[j]] = true end
end
local sealed = redis.call('HGET', KEYS[3], 'sealed') or ''
for i = 0, n - 1 do
  local member = ARGV[2 + 2 * i]
  if not replaced[member] then
    local body = redis.call('HGET', KEYS[2], member)
    if body then
      local op = string.match(body, '^{"op":"(%u+)"')
      if op ~= 'PUT' and op ~= 'REMOVE' and body ~= ARGV[3 + 2 * i] then return 'stale' end
    elseif string.sub(member, 1, 16) <= sealed then
      replaced[member] = true
    else
      return 'stale'
    end
  end
end
if ARGV[at] ~= '' then
  local count = #ARGV - at - 1
  local head = redis.call('ZRANGE', KEYS[1], 0, count - 1)
  local again = #head >= 1 and head[1] == ARGV[at] and redis.call('HGET', KEYS[2], ARGV[at]) == ARGV[at + 1]
  if not again then
    if #head ~= count then return 'stale' end
    for j = 1, count do
      if head[j] ~= ARGV[at + 1 + j] then return 'stale' end
    end
  end
end
local moved = 0
for i = 0, n - 1 do
  if not replaced[ARGV[2 + 2 * i]] then
    redis.call('HSET', KEYS[2], ARGV[2 + 2 * i], ARGV[3 + 2 * i])
    moved = moved + 1
  end
end
local deleted = 0
if ARGV[at] ~= '' then
  local extra = 0
  for j = at + 2, #ARGV do
    if ARGV[j] ~= ARGV[at] then
      local gone = redis.call('ZREM', KEYS[1], ARGV[j])
      deleted = deleted + gone
      redis.call('HDEL', KEYS[2], ARGV[j])
      if gone == 1 and string.sub(ARGV[j], 17, 17) == '#' then extra = extra + (#ARGV[j] - 33) / 24 - 1 end
    end
  end
  if extra > 0 then redis.call('HINCRBY', KEYS[3], 'pack_extra', -extra) end
  redis.call('ZADD', KEYS[1], 0, ARGV[at])
  redis.call('HSET', KEYS[2], ARGV[at], ARGV[at + 1])
  redis.call('HSET', KEYS[3], 'cleared', string.sub(ARGV[at], 1, 16))
end
return {moved, deleted}
`;

/**
 * Stores runs of MOVEs as packs (docs/consistency.md 2.6), all of one compaction step in one
 * atomic call. KEYS: ops, body, meta. ARGV: per pack, its member, the number k of members it
 * replaces, then those k members: each a MOVE (its body says so) or a smaller pack, all present.
 * Raises meta `sealed` to the highest pack's op id (16 hex): ADD_OPS adds nothing at or below it
 * any more, as the members of the MOVEs are gone. Keeps meta `pack_extra`, the MOVEs packs hold
 * beyond one per member (ops stored = ZCARD + pack_extra; COMPACT_STEP takes off what the packs a
 * CLEAR deletes held). The running totals do not change. A pack already present (the step ran
 * before) is skipped. Returns the packs written, or 'stale' (nothing changed) when a member to
 * replace is gone or no longer a MOVE.
 */
export const PACK_MOVES = `
local packs = {}
local i = 1
while i <= #ARGV do
  local k = tonumber(ARGV[i + 1])
  if not redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    for j = i + 2, i + 1 + k do
      if not redis.call('ZSCORE', KEYS[1], ARGV[j]) then return 'stale' end
      if string.sub(ARGV[j], 17, 17) ~= '#' then
        local body = redis.call('HGET', KEYS[2], ARGV[j])
        if not body or string.sub(body, 1, 13) ~= '{"op":"MOVE",' then return 'stale' end
      end
    end
    packs[#packs + 1] = i
  end
  i = i + 2 + k
end
local extra = 0
local sealed = redis.call('HGET', KEYS[3], 'sealed') or ''
for _, at in ipairs(packs) do
  local k = tonumber(ARGV[at + 1])
  extra = extra + (#ARGV[at] - 33) / 24 - 1
  for j = at + 2, at + 1 + k do
    redis.call('ZREM', KEYS[1], ARGV[j])
    redis.call('HDEL', KEYS[2], ARGV[j])
    if string.sub(ARGV[j], 17, 17) == '#' then extra = extra - ((#ARGV[j] - 33) / 24 - 1) end
  end
  redis.call('ZADD', KEYS[1], 0, ARGV[at])
  local hi = string.sub(ARGV[at], 1, 16)
  if hi > sealed then sealed = hi end
end
if #packs > 0 then
  redis.call('HINCRBY', KEYS[3], 'pack_extra', extra)
  redis.call('HSET', KEYS[3], 'sealed', sealed)
end
return #packs
`;

/**
 * Trims one parameter lookup (docs/consistency.md §2.7): drops versions a newer version of the
 * same source row at or below the horizon hides, each only while that keeper (a greater member)
 * is still indexed,
 * then newest versions that say `null`, each only while it still does (the caller names them only
 * once every older version of their row is gone). Index and values share a slot; deleting twice
 * changes nothing. KEYS: index, values. ARGV: the number of pairs n, n pairs (member, keeper),
 * then the null members. Returns the versions deleted.
 */
export const TRIM_LOOKUP = `
local n = tonumber(ARGV[1])
local deleted = 0
for i = 0, n - 1 do
  local member, keeper = ARGV[2 + 2 * i], ARGV[3 + 2 * i]
  if keeper > member and redis.call('ZSCORE', KEYS[1], keeper) then
    deleted = deleted + redis.call('ZREM', KEYS[1], member)
    redis.call('HDEL', KEYS[2], member)
  end
end
for j = 2 + 2 * n, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[j]) == 'null' then
    deleted = deleted + redis.call('ZREM', KEYS[1], ARGV[j])
    redis.call('HDEL', KEYS[2], ARGV[j])
  end
end
return deleted
`;

/**
 * Deletes row-state tombstones of one shard, each only if its value is still the one the caller
 * read (a state written meanwhile, always newer, stays). KEYS: shard. ARGV: pairs (pk, value).
 * Returns the fields deleted.
 */
export const TRIM_TOMBSTONES = `
local deleted = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    deleted = deleted + redis.call('HDEL', KEYS[1], ARGV[i])
  end
end
return deleted
`;

/**
 * Rebuilds a bucket's sorted set and body hash from their contents, when compaction emptied most
 * of them (docs/consistency.md 2.6, "Rebuilding a shrunken bucket"): Redis does not give back a
 * hash table's slots after deletes while a fork (AOF rewrite, RDB save) is running, nor return a
 * sorted set to its compact listpack encoding once it became a skiplist. Written anew, a small
 * set is a listpack again and each table is sized to what it holds. Same contents, so running it
 * again changes nothing. KEYS: ops, body. ARGV: the most members to rebuild (a bound on the time
 * Redis is blocked), and the members the caller removed since the last rebuild; it rebuilds only
 * when those are at least what is left. Returns the members rebuilt, or 0.
 */
export const REBUILD_BUCKET = `
local left = redis.call('ZCARD', KEYS[1])
if left == 0 or left > tonumber(ARGV[1]) or tonumber(ARGV[2]) < left then return 0 end
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local bodies = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2])
for i = 1, #members, 1000 do
  local args = {}
  for j = i, math.min(i + 999, #members) do
    args[#args + 1] = 0
    args[#args + 1] = members[j]
  end
  redis.call('ZADD', KEYS[1], unpack(args))
end
for i = 1, #bodies, 1000 do
  redis.call('HSET', KEYS[2], unpack(bodies, i, math.min(i + 999, #bodies)))
end
return #members
`;
