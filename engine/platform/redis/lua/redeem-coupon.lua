-- Uses one coupon. KEYS: 1 coupon hash. ARGV: 1 now (epoch ms), 2 orderId.
-- Returns {-1} (no such coupon of this member), {-2} (expired), {-3} (used) or {1, fields}.
-- The used check comes first: a used coupon says so even after it expired.
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
if redis.call('HEXISTS', KEYS[1], 'redeemedAt') == 1 then return {-3} end
if tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) <= tonumber(ARGV[1]) then return {-2} end
redis.call('HSET', KEYS[1], 'redeemedAt', ARGV[1], 'orderId', ARGV[2])
return {1, redis.call('HGETALL', KEYS[1])}
