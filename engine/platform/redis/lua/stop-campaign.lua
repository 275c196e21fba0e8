-- Stops a campaign once. KEYS: 1 definition, 2 stop time. ARGV: 1 at. Returns 0 (no such campaign) or 1.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'NX')
return 1
