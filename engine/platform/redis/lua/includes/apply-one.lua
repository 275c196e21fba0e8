-- The body of one event's apply (see apply-user-state.lua for its keys and arguments), as Lua
-- functions: `write` does the writes of a change whose marker and version were checked (`version`
-- is the stored one); `apply` checks, then writes. A vector argument of '=' (never a vector: those
-- are 4n bytes) writes the vector version but not the bytes (no caller sends it since
-- apply-user-run writes a run's combined result; kept for a client of the older version).
local function write(vec, st, recent, bought, marker, aff, cart, a, version)
  if a[8] ~= '' then
    if a[8] ~= '=' then redis.call('SET', vec, a[8]) end
    if a[9] ~= '' then redis.call('HSET', st, 'vectorVersion', a[9]) else redis.call('HDEL', st, 'vectorVersion') end
  end
  -- every field of st this event sets, in one HSET
  local fields = {'strength', a[5], 'updatedAt', a[6], 'version', string.format('%d', version + 1)}
  local function field(name, value) fields[#fields + 1] = name; fields[#fields + 1] = value end
  if a[7] ~= '' then field('tier', a[7]) end
  if a[13] ~= '' then
    field('orders', a[13]); field('spend', a[14]); field('firstPurchaseAt', a[15]); field('lastPurchaseAt', a[16])
  end
  if a[17] ~= '' then field('firstSeenAt', a[17]) end
  redis.call('HSET', st, unpack(fields))
  redis.call('HINCRBY', st, 'c:' .. a[4], 1)
  redis.call('HINCRBY', st, 'c:total', 1)
  if a[11] ~= '' then redis.call('SET', aff, a[11]) end
  if a[12] == '[]' then redis.call('DEL', cart) elseif a[12] ~= '' then redis.call('SET', cart, a[12]) end
  local recentCount = tonumber(a[10])
  if recentCount > 0 then
    -- LPUSH the oldest first so the newest ends up at the head
    for i = 18 + recentCount, 19, -1 do redis.call('LPUSH', recent, a[i]) end
    redis.call('LTRIM', recent, 0, tonumber(a[3]) - 1)
  end
  for i = 19 + recentCount, #a do redis.call('SADD', bought, a[i]) end
  redis.call('SET', marker, a[18], 'EX', tonumber(a[2]))
  return 'applied'
end
local function apply(vec, st, recent, bought, marker, aff, cart, a)
  if redis.call('EXISTS', marker) == 1 then return 'duplicate' end
  local version = tonumber(redis.call('HGET', st, 'version') or '0')
  if version ~= tonumber(a[1]) then return 'conflict' end
  return write(vec, st, recent, bought, marker, aff, cart, a, version)
end

