-- One order status of a user, atomically with the member's points (all keys share the user's hash
-- tag). The order record `m:{<userId>}:ord:<orderId>`: `paid` (its event id), per item `q:`, `pr:`,
-- `pt:` points earned, `rq:` returned, `rp:` points reversed, `e:<eventId>` per return applied,
-- `cancelled`, `a:<eventId>` the money each status moved (answered again to a repeat). The points
-- part mirrors logic/points.ts `nextBalance` (as apply-member-points does) and the reversal
-- `reversedPoints`. KEYS: 1 member record, 2 ledger, 3 order record. ARGV: 1 status, 2 eventId,
-- 3 ts, 4 orderId, 5 vip threshold, 6 enterprise threshold, then itemId, quantity, price, points
-- per line. Returns {0, amount then} (applied before), {-2} (no paid status yet), {1, amount} (no
-- member) or {1, amount, delta, previous tier, record}.
--@include tier-after
local rec, ord = KEYS[1], KEYS[3]
local status, eventId = ARGV[1], ARGV[2]
local isMember = redis.call('EXISTS', rec) == 1
local amount, delta = 0, 0
local function seen() return {0, redis.call('HGET', ord, 'a:' .. eventId) or '0'} end
if status == 'paid' then
  if redis.call('HEXISTS', ord, 'paid') == 1 then return seen() end
  local fields = {'paid', eventId}
  for i = 7, #ARGV, 4 do
    local earned = 0
    if isMember then earned = tonumber(ARGV[i + 3]) end
    fields[#fields + 1] = 'q:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
    fields[#fields + 1] = 'pr:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 2]
    fields[#fields + 1] = 'pt:' .. ARGV[i]; fields[#fields + 1] = string.format('%d', earned)
    amount = amount + tonumber(ARGV[i + 1]) * tonumber(ARGV[i + 2])
    delta = delta + earned
  end
  redis.call('HSET', ord, unpack(fields))
else
  if redis.call('HEXISTS', ord, 'paid') == 0 then return {-2} end
  if redis.call('HEXISTS', ord, 'e:' .. eventId) == 1 then return seen() end
  if status == 'cancelled' and redis.call('HEXISTS', ord, 'cancelled') == 1 then return seen() end
  local items = {}
  if status == 'cancelled' then
    local all = redis.call('HGETALL', ord)
    for i = 1, #all, 2 do
      if string.sub(all[i], 1, 2) == 'q:' then items[#items + 1] = {string.sub(all[i], 3), tonumber(all[i + 1])} end
    end
  else
    for i = 7, #ARGV, 4 do items[#items + 1] = {ARGV[i], tonumber(ARGV[i + 1])} end
  end
  for _, item in ipairs(items) do
    local id = item[1]
    local q = tonumber(redis.call('HGET', ord, 'q:' .. id) or '0')
    if q > 0 then
      local rq = tonumber(redis.call('HGET', ord, 'rq:' .. id) or '0')
      local back = math.min(item[2], q - rq)
      local nrq = rq + back
      local pt = tonumber(redis.call('HGET', ord, 'pt:' .. id) or '0')
      local rp = tonumber(redis.call('HGET', ord, 'rp:' .. id) or '0')
      local cum = pt
      if nrq < q then cum = math.floor(pt / q) * nrq + math.floor((2 * (pt % q) * nrq + q) / (2 * q)) end
      delta = delta - (cum - rp)
      amount = amount - back * tonumber(redis.call('HGET', ord, 'pr:' .. id))
      redis.call('HSET', ord, 'rq:' .. id, string.format('%d', nrq), 'rp:' .. id, string.format('%d', cum))
    end
  end
  redis.call('HSET', ord, 'e:' .. eventId, '1')
  if status == 'cancelled' then redis.call('HSET', ord, 'cancelled', '1') end
end
redis.call('HSET', ord, 'a:' .. eventId, string.format('%.17g', amount))
if not isMember then return {1, string.format('%.17g', amount)} end
local cause = 'order'
if status ~= 'paid' then cause = 'cancellation' end
local points = math.max(0, tonumber(redis.call('HGET', rec, 'points') or '0') + delta)
local lifetime = math.max(0, tonumber(redis.call('HGET', rec, 'lifetimePoints') or '0') + delta)
local from, tier = tierAfter(rec, lifetime, ARGV[5], ARGV[6])
local entryId = redis.call('LLEN', KEYS[2]) + 1
local entry = '{"entryId":' .. string.format('%d', entryId) .. ',"ts":' .. ARGV[3] .. ',"delta":' .. string.format('%d', delta)
  .. ',"balance":' .. string.format('%.17g', points) .. ',"cause":"' .. cause .. '","orderId":' .. cjson.encode(ARGV[4])
  .. ',"eventId":' .. cjson.encode(eventId) .. '}'
redis.call('RPUSH', KEYS[2], entry)
redis.call('HSET', rec, 'points', string.format('%.17g', points), 'lifetimePoints', string.format('%.17g', lifetime), 'tier', tier)
return {1, string.format('%.17g', amount), string.format('%d', delta), from, redis.call('HGETALL', rec)}
