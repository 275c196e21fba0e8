-- KEYS: 1 engines zset (score = expiry, epoch ms of the Redis clock). ARGV: 1 owner, 2 ttl ms.
-- Records the heartbeat and drops engines already expired.
--@include now-ms
redis.call('ZADD', KEYS[1], string.format('%.17g', now + tonumber(ARGV[2])), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.17g', now))
return 1
