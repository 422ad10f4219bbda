// Conferences in Redis, as Lua scripts: each runs atomically, so a room's participants, its status
// and the index of each instance's participants never disagree, and two instances joining, leaving
// or ending one room at once get one outcome (one start, one end, one room per name). Keys (prefix
// `state.keyPrefix`):
//   conf-names               hash: <account sid>:<friendly name> -> the sid of its live room
//   conf:<csid>              the room, JSON (a completed one expires after calls.keepEndedSeconds)
//   conf:<csid>:parts        hash: call sid -> participant JSON (emptied when the room ends)
//   conf:<csid>:seq          the room's status callback counter (SequenceNumber)
//   confs:live               sorted set of live room sids, score = date created
//   confs:ended              sorted set of completed room sids, score = end time (trimmed like calls)
//   instance:<id>:conf       hash: call sid -> room sid, of the participants that instance runs (the reap empties it)
// A start or an end is published on <prefix>conf-events as {"sid", "type"}: every instance's
// participants of that room hear of it.

/** Ends a room: completed, its participants out, its name free for a new room, announced. */
const FINISH = `
local function conf_finish(p, room, now, reason, callSid, keep, keepMs)
  local sid = room.sid
  room.status = 'completed'
  room.dateUpdated = now
  room.reasonEnded = reason
  if callSid ~= '' then room.callSidEndingConference = callSid end
  local parts = p .. 'conf:' .. sid .. ':parts'
  local flat = redis.call('HGETALL', parts)
  for i = 1, #flat, 2 do
    local e = cjson.decode(flat[i + 1])
    redis.call('HDEL', p .. 'instance:' .. e.instance .. ':conf', flat[i])
  end
  redis.call('DEL', parts)
  local nameKey = room.accountSid .. ':' .. room.friendlyName
  if redis.call('HGET', p .. 'conf-names', nameKey) == sid then redis.call('HDEL', p .. 'conf-names', nameKey) end
  redis.call('ZREM', p .. 'confs:live', sid)
  redis.call('ZADD', p .. 'confs:ended', now, sid)
  redis.call('SET', p .. 'conf:' .. sid, cjson.encode(room), 'PX', math.max(keepMs, 1))
  redis.call('PEXPIRE', p .. 'conf:' .. sid .. ':seq', math.max(keepMs, 1))
  local z = p .. 'confs:ended'
  local cutoff = '(' .. string.format('%d', now - keepMs)
  for _, s in ipairs(redis.call('ZRANGEBYSCORE', z, '-inf', cutoff)) do redis.call('DEL', p .. 'conf:' .. s, p .. 'conf:' .. s .. ':seq') end
  redis.call('ZREMRANGEBYSCORE', z, '-inf', cutoff)
  local n = redis.call('ZCARD', z)
  if n > keep then
    for _, s in ipairs(redis.call('ZRANGE', z, 0, n - keep - 1)) do redis.call('DEL', p .. 'conf:' .. s, p .. 'conf:' .. s .. ':seq') end
    redis.call('ZREMRANGEBYRANK', z, 0, n - keep - 1)
  end
  redis.call('PUBLISH', p .. 'conf-events', cjson.encode({ sid = sid, type = 'end' }))
end
`;

/** Takes one participant out, ending the room when Twilio's rules say so. Returns {participant JSON, room JSON, ended 1/0} or nil. */
const TAKE_OUT = `${FINISH}
local function conf_take_out(p, sid, callSid, now, kicked, keep, keepMs)
  local raw = redis.call('GET', p .. 'conf:' .. sid)
  local parts = p .. 'conf:' .. sid .. ':parts'
  local praw = redis.call('HGET', parts, callSid)
  if not raw or not praw then return nil end
  local room = cjson.decode(raw)
  local part = cjson.decode(praw)
  redis.call('HDEL', parts, callSid)
  redis.call('HDEL', p .. 'instance:' .. part.instance .. ':conf', callSid)
  local reason = nil
  if part.endConferenceOnExit then
    reason = kicked and 'participant-with-end-conference-on-exit-kicked' or 'participant-with-end-conference-on-exit-left'
  elseif redis.call('HLEN', parts) == 0 then
    reason = kicked and 'last-participant-kicked' or 'last-participant-left'
  end
  if reason then
    conf_finish(p, room, now, reason, callSid, keep, keepMs)
  else
    room.dateUpdated = now
    redis.call('SET', p .. 'conf:' .. sid, cjson.encode(room))
  end
  return { praw, cjson.encode(room), reason and 1 or 0 }
end
`;

/**
 * ARGV: prefix, account sid, name, newSid, participant JSON, callSid, instance, maxParticipants,
 * now, callback JSON ('' for none). Returns {'joined'|'full', room JSON, started 1/0}.
 */
export const JOIN = `
local p, account, name, newSid, pjson, callSid, instance = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local max, now = tonumber(ARGV[8]), tonumber(ARGV[9])
local nameKey = account .. ':' .. name
local sid = redis.call('HGET', p .. 'conf-names', nameKey)
local room
if sid then
  room = cjson.decode(redis.call('GET', p .. 'conf:' .. sid))
else
  sid = newSid
  room = { sid = sid, accountSid = account, friendlyName = name, status = 'init', dateCreated = now, dateUpdated = now }
  if ARGV[10] ~= '' then room.callback = cjson.decode(ARGV[10]) end
  redis.call('HSET', p .. 'conf-names', nameKey, sid)
  redis.call('ZADD', p .. 'confs:live', now, sid)
end
local parts = p .. 'conf:' .. sid .. ':parts'
if redis.call('HLEN', parts) >= max then
  redis.call('SET', p .. 'conf:' .. sid, cjson.encode(room))
  return { 'full', cjson.encode(room), 0 }
end
redis.call('HSET', parts, callSid, pjson)
redis.call('HSET', p .. 'instance:' .. instance .. ':conf', callSid, sid)
local started = 0
if room.status == 'init' and redis.call('HLEN', parts) >= 2 then
  for _, v in ipairs(redis.call('HVALS', parts)) do
    if cjson.decode(v).startConferenceOnEnter then started = 1 break end
  end
  if started == 1 then
    room.status = 'in-progress'
    room.dateUpdated = now
    redis.call('PUBLISH', p .. 'conf-events', cjson.encode({ sid = sid, type = 'start' }))
  end
end
redis.call('SET', p .. 'conf:' .. sid, cjson.encode(room))
return { 'joined', cjson.encode(room), started }
`;

/** ARGV: prefix, sid, callSid, now, kicked (1/0), keepEnded, keepMs. Returns {participant, room, ended} or false. */
export const LEAVE = `${TAKE_OUT}
return conf_take_out(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5] == '1', tonumber(ARGV[6]), tonumber(ARGV[7])) or false
`;

/** ARGV: prefix, sid, now, keepEnded, keepMs. Ends a live room through the API; returns the room JSON or false. */
export const END = `${FINISH}
local p, sid = ARGV[1], ARGV[2]
local raw = redis.call('GET', p .. 'conf:' .. sid)
if not raw then return false end
local room = cjson.decode(raw)
if room.status ~= 'completed' then conf_finish(p, room, tonumber(ARGV[3]), 'conference-ended-via-api', '', tonumber(ARGV[4]), tonumber(ARGV[5])) end
return cjson.encode(room)
`;

/** ARGV: prefix, sid, callSid, muted ('', '1', '0'), hold (likewise), now. Returns the participant JSON or false. */
export const UPDATE = `
local parts = ARGV[1] .. 'conf:' .. ARGV[2] .. ':parts'
local raw = redis.call('HGET', parts, ARGV[3])
if not raw then return false end
local part = cjson.decode(raw)
if ARGV[4] ~= '' then part.muted = ARGV[4] == '1' end
if ARGV[5] ~= '' then part.hold = ARGV[5] == '1' end
part.dateUpdated = tonumber(ARGV[6])
raw = cjson.encode(part)
redis.call('HSET', parts, ARGV[3], raw)
return raw
`;

/**
 * The part of the reap (redis-scripts.ts REAP) that takes a dead instance's participants out of
 * their rooms, as if they had hung up (which may end a room: its other participants hear of it).
 * Returns how many.
 */
export const REAP_CONFERENCES = `${TAKE_OUT}
local function reap_conferences(p, id, now, keep, keepMs)
  local index = p .. 'instance:' .. id .. ':conf'
  local flat = redis.call('HGETALL', index)
  local n = 0
  for i = 1, #flat, 2 do
    if conf_take_out(p, flat[i + 1], flat[i], now, false, keep, keepMs) then n = n + 1 end
  end
  redis.call('DEL', index)
  return n
end
`;
