-- Ends a promotion once; the first outcome stays. KEYS: 1 inbox hash, 2 pending zset, 3 lease
-- hash, 4 outcome hash (promotionId -> delivered|dropped), 5 delivered zset (promotionId ->
-- deliveredAt). ARGV: 1 promotionId, 2 outcome, 3 now. Returns {} (unknown promotionId) or
-- {outcome as stored, JSON}.
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return {} end
local outcome = redis.call('HGET', KEYS[4], ARGV[1])
if not outcome then
  outcome = ARGV[2]
  redis.call('HSET', KEYS[4], ARGV[1], outcome)
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  if outcome == 'delivered' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1]) end
end
return {outcome, json}
