// Call queues in Redis, as Lua scripts: each runs atomically, so the line, the callers' entries,
// the owner's index of its queued callers and the statistics never disagree, and two agents on two
// instances taking the front at once get two different callers (or one gets none). Keys (prefix
// `state.keyPrefix`), by the queue's sid so that no queue name can collide with another's keys:
//   queue-names              hash: queue name -> its sid
//   queue:<qsid>             hash: name, created (ms), seq (join counter), waited (ms), served
//   queue:<qsid>:line        sorted set of call sids, score = join order (seq)
//   queue:<qsid>:callers     hash: call sid -> its entry, JSON (callSid, instance, enqueuedAt, from, to)
//   queue:<qsid>:claims      hash: call sid -> the claim on it, JSON (id, expires: Redis's own TIME, ms)
//   claim:<id>               'served' or 'released': a claim's outcome, for its taker (expires)
//   instance:<id>:queued     hash: call sid -> queue sid, of the callers that instance runs (the reap empties it)
// A join publishes the queue's name on <prefix>queue-joined: every instance's waiting takers look.

/** Leases are timed by Redis's clock, the one clock every instance shares. */
const REDIS_MS = `
local function redis_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Removes one caller from its line and the owner's index, counting its wait; a claim on it goes too. */
const TAKE_OUT = `
local function take_out(p, q, callSid, now)
  local raw = redis.call('HGET', q .. ':callers', callSid)
  if not raw then return nil end
  local e = cjson.decode(raw)
  redis.call('ZREM', q .. ':line', callSid)
  redis.call('HDEL', q .. ':callers', callSid)
  redis.call('HDEL', q .. ':claims', callSid)
  redis.call('HDEL', p .. 'instance:' .. e.instance .. ':queued', callSid)
  redis.call('HINCRBY', q, 'waited', math.max(0, math.floor(now - e.enqueuedAt)))
  redis.call('HINCRBY', q, 'served', 1)
  return raw
end
`;

/** The queue's sid, made with ARGV newSid when the name is new. */
const QUEUE = `
local function queue(p, name, newSid, now)
  local sid = redis.call('HGET', p .. 'queue-names', name)
  if sid then return sid end
  redis.call('HSET', p .. 'queue-names', name, newSid)
  redis.call('HSET', p .. 'queue:' .. newSid, 'name', name, 'created', now, 'seq', 0, 'waited', 0, 'served', 0)
  return newSid
end
`;

/** ARGV: prefix, name, newSid, entry JSON, callSid, instance, maxSize, now. Returns {'ok'|'full', sid}. */
export const JOIN = `${QUEUE}
local p, name, json, callSid, instance = ARGV[1], ARGV[2], ARGV[4], ARGV[5], ARGV[6]
local maxSize, now = tonumber(ARGV[7]), tonumber(ARGV[8])
local sid = queue(p, name, ARGV[3], now)
local q = p .. 'queue:' .. sid
if redis.call('ZCARD', q .. ':line') >= maxSize then return { 'full', sid } end
local seq = redis.call('HINCRBY', q, 'seq', 1)
redis.call('ZADD', q .. ':line', seq, callSid)
redis.call('HSET', q .. ':callers', callSid, json)
redis.call('HSET', p .. 'instance:' .. instance .. ':queued', callSid, sid)
redis.call('PUBLISH', p .. 'queue-joined', name)
return { 'ok', sid }
`;

/**
 * ARGV: prefix, name, callSid ('' for the first in line the taker can reach), now, the taker's
 * instance, which callers of other instances it can bridge ('any', 'media': those with a media
 * channel, 'none'), a claim id ('' to take the caller out at once), the lease (ms). A caller under
 * a claim that has not lapsed is passed by. Returns the entry (JSON), taken out or claimed, or false.
 */
export const REMOVE = `${REDIS_MS}${TAKE_OUT}
local p, name, callSid, now, mine, others = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
local claim, lease = ARGV[7], tonumber(ARGV[8])
local sid = redis.call('HGET', p .. 'queue-names', name)
if not sid then return false end
local q = p .. 'queue:' .. sid
if callSid ~= '' then return take_out(p, q, callSid, now) or false end
local t = redis_ms()
local claims = q .. ':claims'
for _, c in ipairs(redis.call('ZRANGE', q .. ':line', 0, -1)) do
  local held = redis.call('HGET', claims, c)
  if not held or cjson.decode(held).expires <= t then
    local raw = redis.call('HGET', q .. ':callers', c)
    local e = cjson.decode(raw)
    -- The first this taker can bridge: its own instance's, or one with a media channel, or any.
    if others == 'any' or e.instance == mine or (others == 'media' and e.media) then
      if claim == '' then return take_out(p, q, c, now) end
      redis.call('HSET', claims, c, cjson.encode({ id = claim, expires = t + lease }))
      return raw
    end
  end
end
return false
`;

/**
 * The caller's instance accepts a claim: out of line, counted, if the claim holds and has not
 * lapsed. ARGV: prefix, name, callSid, claim, now, how long to remember the outcome (ms). Returns 1 or 0.
 */
export const SERVE = `${REDIS_MS}${TAKE_OUT}
local p, name, callSid, claim, now, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local sid = redis.call('HGET', p .. 'queue-names', name)
if not sid then return 0 end
local q = p .. 'queue:' .. sid
local held = redis.call('HGET', q .. ':claims', callSid)
if not held then return 0 end
local c = cjson.decode(held)
if c.id ~= claim or c.expires <= redis_ms() then return 0 end
take_out(p, q, callSid, now)
redis.call('SET', p .. 'claim:' .. claim, 'served', 'PX', keep)
return 1
`;

/**
 * The taker gives up a claim: 'served' if the caller's instance served it already; else the claim
 * is void (a serve after this fails). ARGV: prefix, name, callSid, claim, how long to remember (ms).
 */
export const RELEASE = `
local p, name, callSid, claim, keep = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
if redis.call('GET', p .. 'claim:' .. claim) == 'served' then return 'served' end
local sid = redis.call('HGET', p .. 'queue-names', name)
if sid then
  local claims = p .. 'queue:' .. sid .. ':claims'
  local held = redis.call('HGET', claims, callSid)
  if held and cjson.decode(held).id == claim then redis.call('HDEL', claims, callSid) end
end
redis.call('SET', p .. 'claim:' .. claim, 'released', 'PX', keep)
return 'released'
`;

/** ARGV: prefix, name, callSid, newSid, now. Returns {sid, position (0: not in line), size, waited ms, served}. */
export const STATUS = `${QUEUE}
local p, name, callSid = ARGV[1], ARGV[2], ARGV[3]
local sid = queue(p, name, ARGV[4], tonumber(ARGV[5]))
local q = p .. 'queue:' .. sid
local rank = redis.call('ZRANK', q .. ':line', callSid)
local stats = redis.call('HMGET', q, 'waited', 'served')
return { sid, rank and (rank + 1) or 0, redis.call('ZCARD', q .. ':line'), tonumber(stats[1]) or 0, tonumber(stats[2]) or 0 }
`;

/**
 * The part of the reap (redis-scripts.ts REAP) that empties a dead instance's queued callers out of
 * their lines, as if they had hung up. Returns how many.
 */
export const REAP_QUEUED = `${TAKE_OUT}
local function reap_queued(p, id, now)
  local index = p .. 'instance:' .. id .. ':queued'
  local flat = redis.call('HGETALL', index)
  local n = 0
  for i = 1, #flat, 2 do
    if take_out(p, p .. 'queue:' .. flat[i + 1], flat[i], now) then n = n + 1 end
  end
  redis.call('DEL', index)
  return n
end
`;
