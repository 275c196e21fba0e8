-- Heartbeat of one socket: pushes its expiry out (adding it back if an outage let it lapse).
-- KEYS: 1 user set, 2 token set (one hash tag: the user). ARGV: 1 member, 2 leaseMs.
-- Server clock in epoch ms, as `now` (TIME is allowed in scripts since Redis 5: effects are replicated).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = string.format('%.0f', now + tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
