-- Writes the record and its index entry only if no record exists under this id: 1 written, 0
-- taken. KEYS: 1 record, 2 index bucket (same slot, see redis-slots.ts). ARGV: 1 memberId, then fields.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1
