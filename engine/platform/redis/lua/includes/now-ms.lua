-- Server clock in epoch ms, as `now` (TIME is allowed in scripts since Redis 5: effects are replicated).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
