-- `earliest` lowers a shopper's first-seen time to `ts` (0: none); `join` adds a member to the
-- analytics index once (first-seen, tier, members per tier).
local function earliest(key, user, ts)
  if ts <= 0 then return end
  local old = redis.call('ZSCORE', key, user)
  if (not old) or tonumber(old) > ts then redis.call('ZADD', key, ts, user) end
end
local function join(members, first, tier, tiers, user, created, givenTier)
  earliest(first, user, tonumber(created))
  if redis.call('ZADD', members, 'NX', created, user) == 1 then
    local t = redis.call('HGET', tier, user)
    if not t then t = givenTier; redis.call('HSET', tier, user, t) end
    redis.call('HINCRBY', tiers, t, 1)
  end
end
