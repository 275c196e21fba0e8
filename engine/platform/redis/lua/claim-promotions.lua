-- Leases up to `limit` pending promotions, oldest first (offeredAt, then promotionId), skipping
-- those under an unexpired lease. KEYS: 1 inbox hash, 2 pending zset, 3 lease hash
-- (promotionId -> lease end, epoch ms). ARGV: 1 now, 2 lease ms, 3 limit. Returns the JSONs.
-- Walks the pending set in pages of 100: a member's pending promotions are few.
local now = tonumber(ARGV[1])
local untilMs = string.format('%d', now + tonumber(ARGV[2]))
local limit = tonumber(ARGV[3])
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZRANGE', KEYS[2], start, start + 99)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local leased = tonumber(redis.call('HGET', KEYS[3], id) or '0')
    if leased <= now then
      local json = redis.call('HGET', KEYS[1], id)
      if json then
        redis.call('HSET', KEYS[3], id, untilMs)
        out[#out + 1] = json
        if #out >= limit then break end
      end
    end
  end
  start = start + 100
end
return out
