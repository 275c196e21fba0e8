-- One delivery against the campaign's rules, all in one step. KEYS: 1 definition, 2 stop time,
-- 3 granted set (promotionIds), 4 last-grant hash (memberId -> epoch ms), 5 live set.
-- ARGV: 1 promotionId, 2 memberId, 3 now, 4 startsAt, 5 endsAt ('' = none), 6 stopped by the
-- caller's copy ('1'/'0'), 7 budget ('' = none), 8 frequency cap ms ('' = once ever), 9 live ('1'/'0').
-- Returns again, closed, exhausted, capped or ok.
if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 'again' end
local now = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 or ARGV[6] == '1' then return 'closed' end
if now < tonumber(ARGV[4]) or (ARGV[5] ~= '' and now >= tonumber(ARGV[5])) then return 'closed' end
if ARGV[7] ~= '' and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 'exhausted' end
local last = redis.call('HGET', KEYS[4], ARGV[2])
if last and (ARGV[8] == '' or now - tonumber(last) < tonumber(ARGV[8])) then return 'capped' end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
if ARGV[9] == '1' then redis.call('SADD', KEYS[5], ARGV[1]) end
return 'ok'
