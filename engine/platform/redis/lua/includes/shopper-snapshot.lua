-- A shopper's segment inputs as of one state version (a snapshot not newer than the stored one
-- changes nothing). K: the fixed keys (K.ver .. K.tiers, KEYS[2..11]); then: user, version,
-- lastEventAt, firstSeenAt, orders, spend, lastPurchaseAt, loyal brands (JSON array), tier.
-- Needs first-seen.
local function snapshot(K, user, version, lastEventAt, firstSeenAt, orders, spend, lastPurchaseAt, loyal, tier)
  local stored = tonumber(redis.call('HGET', K.ver, user) or '-1')
  if tonumber(version) <= stored then return end
  redis.call('HSET', K.ver, user, version)
  if tonumber(lastEventAt) > 0 then redis.call('ZADD', K.seen, lastEventAt, user) else redis.call('ZREM', K.seen, user) end
  earliest(K.first, user, tonumber(firstSeenAt))
  if tonumber(orders) > 0 and tonumber(lastPurchaseAt) > 0 then
    redis.call('ZADD', K.buy, lastPurchaseAt, user)
    redis.call('ZADD', K.spend, spend, user)
  else
    redis.call('ZREM', K.buy, user)
    redis.call('ZREM', K.spend, user)
  end
  -- Loyalty sizes are kept as negative scores: ZRANGE lists the biggest first, ties by brand A-Z.
  local before = {}
  for _, b in ipairs(cjson.decode(redis.call('HGET', K.loyal, user) or '[]')) do before[b] = true end
  local after = {}
  for _, b in ipairs(cjson.decode(loyal)) do after[b] = true end
  for b in pairs(before) do
    if not after[b] and tonumber(redis.call('ZINCRBY', K.loyalty, 1, b)) >= 0 then redis.call('ZREM', K.loyalty, b) end
  end
  for b in pairs(after) do if not before[b] then redis.call('ZINCRBY', K.loyalty, -1, b) end end
  if next(after) == nil then redis.call('HDEL', K.loyal, user) else redis.call('HSET', K.loyal, user, loyal) end
  local old = redis.call('HGET', K.tier, user)
  if old ~= tier then
    redis.call('HSET', K.tier, user, tier)
    if redis.call('ZSCORE', K.members, user) then
      if old then redis.call('HINCRBY', K.tiers, old, -1) end
      redis.call('HINCRBY', K.tiers, tier, 1)
    end
  end
end
local K = {ver = KEYS[2], seen = KEYS[3], first = KEYS[4], buy = KEYS[5], spend = KEYS[6], loyal = KEYS[7], loyalty = KEYS[8], members = KEYS[9], tier = KEYS[10], tiers = KEYS[11]}

