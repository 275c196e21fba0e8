-- A new campaign, once. KEYS: 1 definition, 2 stop time. ARGV: 1 definition JSON (no stoppedAt),
-- 2 stoppedAt ('' = none). Returns 1 (stored) or 0 (the id exists; nothing changed).
if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'NX') end
return 1
