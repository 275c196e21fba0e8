-- Removes a fired timer unless re-armed since. KEYS: 1 due zset, 2 event hash. ARGV: 1 member,
-- 2 dueAt it fired with, 3 eventId it fired with. Returns 1 (removed) or 0 (re-armed or gone).
local dueAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not dueAt or tonumber(dueAt) ~= tonumber(ARGV[2]) or redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
