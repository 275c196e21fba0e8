-- One points change, atomically (all keys share the member's hash tag). Mirrors logic/points.ts
-- `nextBalance`: points clamp at 0, lifetimePoints move except on redemption (clamp at 0), the
-- tier only rises. KEYS: 1 record, 2 ledger list, 3 dedupe marker. ARGV: 1 delta, 2 cause, 3 ts,
-- 4 orderId ('' = none), 5 eventId, 6 vip threshold, 7 enterprise threshold, 8 marker TTL (s, 0 = none).
-- Returns {-1} (no member), {0, tier, record} (already applied) or {1, previous tier, record}.
--@include tier-after
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('EXISTS', KEYS[3]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'tier') or 'regular', redis.call('HGETALL', KEYS[1])}
end
local delta = tonumber(ARGV[1])
local points = math.max(0, tonumber(redis.call('HGET', KEYS[1], 'points') or '0') + delta)
local lifetime = tonumber(redis.call('HGET', KEYS[1], 'lifetimePoints') or '0')
if ARGV[2] ~= 'redemption' then lifetime = math.max(0, lifetime + delta) end
local from, tier = tierAfter(KEYS[1], lifetime, ARGV[6], ARGV[7])
local entryId = redis.call('LLEN', KEYS[2]) + 1
local entry = '{"entryId":' .. string.format('%d', entryId) .. ',"ts":' .. ARGV[3] .. ',"delta":' .. ARGV[1]
  .. ',"balance":' .. string.format('%.17g', points) .. ',"cause":"' .. ARGV[2] .. '"'
if ARGV[4] ~= '' then entry = entry .. ',"orderId":' .. cjson.encode(ARGV[4]) end
entry = entry .. ',"eventId":' .. cjson.encode(ARGV[5]) .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('HSET', KEYS[1], 'points', string.format('%.17g', points), 'lifetimePoints', string.format('%.17g', lifetime), 'tier', tier)
if tonumber(ARGV[8]) > 0 then
  redis.call('SET', KEYS[3], entryId, 'EX', tonumber(ARGV[8]))
else
  redis.call('SET', KEYS[3], entryId)
end
return {1, from, redis.call('HGETALL', KEYS[1])}
