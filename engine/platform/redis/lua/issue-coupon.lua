-- Stores a campaign coupon. KEYS: 1 member record, 2 coupon hash, 3 index zset. ARGV: 1 code,
-- 2 createdAt, then fields. Returns -1 (no member), -2 (another coupon has this code), 0 (this very
-- coupon is stored: a retry; every given field matches) or 1 (stored).
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('EXISTS', KEYS[2]) == 1 then
  for i = 3, #ARGV, 2 do
    if redis.call('HGET', KEYS[2], ARGV[i]) ~= ARGV[i + 1] then return -2 end
  end
  return 0
end
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
return 1
