-- A promotion into a member's inbox, once per promotionId. KEYS: 1 inbox hash, 2 pending zset.
-- ARGV: 1 promotionId, 2 JSON, 3 offeredAt. Returns 1 (new) or 0 (there already, in any state).
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
