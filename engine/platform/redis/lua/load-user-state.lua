-- A user's state (all but the vector, which the caller reads as bytes with GET beside it) and the
-- values of some dedupe markers, for the batched load.
-- KEYS: 1 st (hash), 2 recent (list), 3 bought (set), 4 affinity, 5 cart, 6.. dedupe markers.
-- Returns {st as a flat field/value list, recent, bought, affinity or nil, cart or nil, one
-- marker value or nil per marker key}.
local out = {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('SMEMBERS', KEYS[3]), redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5])}
for i = 6, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) end
return out
