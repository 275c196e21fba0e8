-- KEYS: 1 lease. ARGV: 1 owner, 2 ttl ms. Extends the lease only if ours. Returns 1 when extended.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
