// The Redis side of the shared call state, as Lua scripts: each runs atomically on the server, so
// a record, the lists it is in and the owner's set of live calls never disagree, and two surviving
// instances cannot both reap a dead one. Keys (prefix `state.keyPrefix`, default `didml:`):
//   call:<sid>               the record, JSON (an ended one expires after calls.keepEndedSeconds)
//   calls:live               sorted set of live sids, score = date created
//   calls:ended              sorted set of ended sids, score = end time (trimmed: keepEnded, keepEndedSeconds)
//   instances                set of instance ids that have written
//   instance:<id>            that instance's heartbeat (expires after state.instanceTtlSeconds)
//   instance:<id>:calls      set of the live sids it runs
//   epoch                    a random value: when it is gone, Redis lost its data (each owner writes its records again)
// and the queues' and conferences' keys (redis-queue-scripts.ts, redis-conference-scripts.ts), whose
// callers and participants of a dead instance the reap removes too.
// Keys are built in the scripts from the prefix: one Redis server, not a Redis Cluster.

import { REAP_CONFERENCES } from './redis-conference-scripts.js';
import { REAP_QUEUED } from './redis-queue-scripts.js';

/** Drops ended calls beyond the retention: older than keepMs, then the oldest beyond keepEnded. */
const TRIM = `
local function trim(p, now, keep, keepMs)
  local z = p .. 'calls:ended'
  local cutoff = '(' .. string.format('%d', now - keepMs)
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)) do redis.call('DEL', p .. 'call:' .. s) end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
  local n = redis.call('ZCARD', z)
  if n > keep then
    for _, s in ipairs(redis.call('ZRANGE', z, 0, n - keep - 1)) do redis.call('DEL', p .. 'call:' .. s) end
    redis.call('ZREMRANGEBYRANK', z, 0, n - keep - 1)
  end
end
`;

/**
 * Writes one record as its owner has it; answers 1 when the owner had been forgotten (reaped).
 * ARGV: prefix, sid, json, ended (1/0), dateCreated, endTime, owner, now, keepEnded, keepMs, heartbeatTtlMs
 */
export const PUT = `${TRIM}
local p, sid, json, owner = ARGV[1], ARGV[2], ARGV[3], ARGV[7]
local now, keep, keepMs = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local key = p .. 'call:' .. sid
-- Only a live instance writes: its heartbeat goes with the write, so it is never reaped mid-write.
redis.call('SET', p .. 'instance:' .. owner, now, 'PX', ARGV[11])
-- 1 when the owner was not in the set: taken for dead and reaped, it must write its live calls again.
local rejoined = redis.call('SADD', p .. 'instances', owner)
if ARGV[4] == '1' then
  redis.call('SET', key, json, 'PX', math.max(keepMs, 1))
  redis.call('ZREM', p .. 'calls:live', sid)
  redis.call('SREM', p .. 'instance:' .. owner .. ':calls', sid)
  redis.call('ZADD', p .. 'calls:ended', ARGV[6], sid)
  trim(p, now, keep, keepMs)
else
  redis.call('SET', key, json)
  redis.call('ZADD', p .. 'calls:live', ARGV[5], sid)
  redis.call('SADD', p .. 'instance:' .. owner .. ':calls', sid)
  redis.call('ZREM', p .. 'calls:ended', sid)
end
return rejoined
`;

/**
 * Ends the live calls of every instance whose heartbeat expired (other than the caller), takes its
 * queued callers out of their lines and its participants out of their rooms, and forgets that instance; then trims the ended calls.
 * Atomic: a second reaper finds nothing left.
 * ARGV: prefix, me, now, keepEnded, keepMs. Returns {id, calls ended, callers taken out of queues,
 * participants taken out of rooms, ...}.
 */
export const REAP = `${TRIM}${REAP_QUEUED}${REAP_CONFERENCES}
local p, me = ARGV[1], ARGV[2]
local now, keep, keepMs = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local ended = { completed = true, busy = true, failed = true, ['no-answer'] = true, canceled = true }
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'instances')) do
  if id ~= me and redis.call('EXISTS', p .. 'instance:' .. id) == 0 then
    local set = p .. 'instance:' .. id .. ':calls'
    local n = 0
    for _, sid in ipairs(redis.call('SMEMBERS', set)) do
      local key = p .. 'call:' .. sid
      local raw = redis.call('GET', key)
      redis.call('ZREM', p .. 'calls:live', sid)
      if raw then
        local r = cjson.decode(raw)
        if not ended[r.status] then
          -- Answered: it was talking when its instance went, so it completed; otherwise it never got through.
          local answered = r.status == 'in-progress'
          r.status = answered and 'completed' or 'failed'
          r.endTime = now
          r.dateUpdated = now
          if r.startTime == nil then r.startTime = now end
          r.duration = answered and math.floor((now - r.startTime) / 1000 + 0.5) or 0
          r.endReason = 'instance ' .. id .. ' stopped responding'
          redis.call('SET', key, cjson.encode(r), 'PX', math.max(keepMs, 1))
          redis.call('ZADD', p .. 'calls:ended', now, sid)
          n = n + 1
        end
      end
    end
    redis.call('DEL', set)
    local queued = reap_queued(p, id, now)
    local conferenced = reap_conferences(p, id, now, keep, keepMs)
    redis.call('SREM', p .. 'instances', id)
    table.insert(out, id)
    table.insert(out, n)
    table.insert(out, queued)
    table.insert(out, conferenced)
  end
end
trim(p, now, keep, keepMs)
return out
`;

/**
 * Removes an ended call's record. ARGV: prefix, sid. Returns 'deleted', 'live' or 'unknown', and the owner.
 */
export const DELETE = `
local p, sid = ARGV[1], ARGV[2]
local key = p .. 'call:' .. sid
local raw = redis.call('GET', key)
if not raw then return { 'unknown', '' } end
local r = cjson.decode(raw)
local ended = { completed = true, busy = true, failed = true, ['no-answer'] = true, canceled = true }
if not ended[r.status] then return { 'live', r.instance or '' } end
redis.call('DEL', key)
redis.call('ZREM', p .. 'calls:ended', sid)
return { 'deleted', r.instance or '' }
`;
