-- Points for a coupon, once per request. KEYS: 1 member record, 2 ledger, 3 request marker,
-- 4 coupon hash, 5 coupon index zset. ARGV: 1 points (positive), 2 ts, 3 eventId, 4 code,
-- 5 createdAt, then the coupon's hash fields. Ledger entry format as in apply-member-points.
-- Returns {-1} (no member), {-2, points} (short), {-3} (code taken), {0, code, points} (repeat)
-- or {1, code, points}.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
local points = tonumber(redis.call('HGET', KEYS[1], 'points') or '0')
local prior = redis.call('GET', KEYS[3])
if prior then return {0, prior, string.format('%.17g', points)} end
local cost = tonumber(ARGV[1])
if points < cost then return {-2, string.format('%.17g', points)} end
if redis.call('EXISTS', KEYS[4]) == 1 then return {-3} end
points = points - cost
local entryId = redis.call('LLEN', KEYS[2]) + 1
local entry = '{"entryId":' .. string.format('%d', entryId) .. ',"ts":' .. ARGV[2] .. ',"delta":-' .. ARGV[1]
  .. ',"balance":' .. string.format('%.17g', points) .. ',"cause":"redemption","eventId":' .. cjson.encode(ARGV[3]) .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('HSET', KEYS[1], 'points', string.format('%.17g', points))
redis.call('HSET', KEYS[4], unpack(ARGV, 6))
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[4])
redis.call('SET', KEYS[3], ARGV[4])
return {1, ARGV[4], string.format('%.17g', points)}
