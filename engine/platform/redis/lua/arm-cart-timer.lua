-- Arms or re-arms timers. KEYS: 1 due zset (`<campaignId> <memberId>` -> dueAt), 2 event hash
-- (same member -> eventId). ARGV: 1 member, 2 dueAt, 3 eventId.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
