-- The intake side of an order, atomically (one key, `ord:{<orderId>}`: hash of userId, `pd` the
-- paid lines' digest, per item `q:` quantity, `pr:` unit price, `rq:` quantity returned, `ret:<digest>`
-- per accepted return, `cancelled`). Semantics in ports/member-store.ts `acceptOrder`.
-- KEYS: 1 the record. ARGV: 1 status, 2 userId, 3 digest, then itemId, quantity, price per line.
-- Returns {1, prices} (new), {0, prices} (seen before) or {-1, why} (conflict, nothing written);
-- prices: flat itemId, paid unit price of the lines named.
local k = KEYS[1]
local status, user, digest = ARGV[1], ARGV[2], ARGV[3]
local owner = redis.call('HGET', k, 'userId')
if owner and owner ~= user then return {-1, 'it belongs to another user'} end
local function prices()
  local out = {}
  for i = 4, #ARGV, 3 do
    local p = redis.call('HGET', k, 'pr:' .. ARGV[i])
    if p then out[#out + 1] = ARGV[i]; out[#out + 1] = p end
  end
  return out
end
if status == 'paid' then
  if owner then
    if redis.call('HGET', k, 'pd') ~= digest then return {-1, 'it was paid before with other lines'} end
    return {0, prices()}
  end
  local fields = {'userId', user, 'pd', digest}
  for i = 4, #ARGV, 3 do
    fields[#fields + 1] = 'q:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
    fields[#fields + 1] = 'pr:' .. ARGV[i]; fields[#fields + 1] = ARGV[i + 2]
  end
  redis.call('HSET', k, unpack(fields))
  return {1, prices()}
end
if not owner then return {-1, 'it was never paid (a ' .. status .. ' needs the paid order first)'} end
if status == 'cancelled' then
  if redis.call('HEXISTS', k, 'cancelled') == 1 then return {0, {}} end
  if #ARGV > 3 and redis.call('HGET', k, 'pd') ~= digest then return {-1, 'a cancellation names no lines or exactly the paid lines'} end
  redis.call('HSET', k, 'cancelled', '1')
  return {1, {}}
end
if redis.call('HEXISTS', k, 'ret:' .. digest) == 1 then return {0, prices()} end
if redis.call('HEXISTS', k, 'cancelled') == 1 then return {-1, 'it was cancelled'} end
for i = 4, #ARGV, 3 do
  local q = redis.call('HGET', k, 'q:' .. ARGV[i])
  if not q then return {-1, 'item ' .. ARGV[i] .. ' is not in it'} end
  local rq = tonumber(redis.call('HGET', k, 'rq:' .. ARGV[i]) or '0')
  if rq + tonumber(ARGV[i + 1]) > tonumber(q) then
    return {-1, 'item ' .. ARGV[i] .. ': ' .. ARGV[i + 1] .. ' returned, but only ' .. string.format('%d', tonumber(q) - rq) .. ' of ' .. q .. ' paid are not returned yet'}
  end
end
for i = 4, #ARGV, 3 do redis.call('HINCRBY', k, 'rq:' .. ARGV[i], ARGV[i + 1]) end
redis.call('HSET', k, 'ret:' .. digest, '1')
return {1, prices()}
