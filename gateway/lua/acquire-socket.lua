-- One socket joins the user's and the token's sets (sorted by expiry, Redis clock), unless either
-- already holds its cap of live members. Expired members (a crashed gateway's) are dropped first.
-- KEYS: 1 user set, 2 token set (one hash tag: the user). ARGV: 1 member, 2 leaseMs, 3 userCap,
-- 4 tokenCap. Returns {1, count} or {0, 'user'|'token', count}.
-- Server clock in epoch ms, as `now` (TIME is allowed in scripts since Redis 5: effects are replicated).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local users = redis.call('ZCARD', KEYS[1])
if users >= tonumber(ARGV[3]) then return {0, 'user', users} end
local tokens = redis.call('ZCARD', KEYS[2])
if tokens >= tonumber(ARGV[4]) then return {0, 'token', tokens} end
local expires = string.format('%.0f', now + tonumber(ARGV[2]))
redis.call('ZADD', KEYS[1], expires, ARGV[1])
redis.call('ZADD', KEYS[2], expires, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return {1, users + 1}
