-- KEYS: 1 engines zset. Drops expired engines and returns the live ones.
--@include now-ms
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.17g', now))
return redis.call('ZRANGE', KEYS[1], 0, -1)
