-- One event's contribution to the shop-wide aggregates, once per event key.
-- KEYS: 1 dedupe marker, 2 popularity zset, 3 landmark (epoch ms of forward decay), 4.. neighbour
--       zsets (co-visitation, co-purchase and bought-after lists of single items).
-- ARGV: 1 dedupeTtlSeconds, 2 event ts (ms), 3 half-life (ms), 4 maxNeighbours, 5 initial landmark,
--       6 rescale exponent, 7 max future skew (ms), 8 number N of neighbour keys,
--       9..8+N the item id each neighbour key belongs to (KEYS[3+i]), then M, M pairs of (itemId, weight),
--       then P, P triples (key index a, key index b, weight) with indices into KEYS, added both ways
--       (a's list gains b's item, b's list a's item: co-visitation and co-purchase), then D, D
--       triples (key index a, itemId, weight) added one way (bought-after).
-- Returns 1 when recorded, 0 when the key was seen before.
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
--@include now-ms
local halfLife = tonumber(ARGV[3])
local maxNeighbours = tonumber(ARGV[4])
-- a clock far in the future would push the landmark ahead and wipe every score: clamp it
local ts = math.min(tonumber(ARGV[2]), now + tonumber(ARGV[7]))
local landmark = tonumber(redis.call('GET', KEYS[3]) or ARGV[5])
local exponent = (ts - landmark) / halfLife
if exponent > tonumber(ARGV[6]) then
  -- move the landmark forward by whole half-lives and scale every score down to match
  local shift = math.floor(exponent)
  local scale = 2 ^ (-shift)
  if scale > 0 then
    redis.call('ZUNIONSTORE', KEYS[2], 1, KEYS[2], 'WEIGHTS', string.format('%.17g', scale))
    redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, 0)
  else
    redis.call('DEL', KEYS[2])
  end
  landmark = landmark + shift * halfLife
  redis.call('SET', KEYS[3], string.format('%.17g', landmark))
  -- recomputed, not exponent - shift: that would keep the rounding error of the large exponent
  exponent = (ts - landmark) / halfLife
end
local factor = 2 ^ exponent
local n = tonumber(ARGV[8])
local covItems = {}
for i = 1, n do covItems[3 + i] = ARGV[8 + i] end
local at = 9 + n
local m = tonumber(ARGV[at])
for i = 1, m do
  local increment = tonumber(ARGV[at + 2 * i]) * factor
  if increment ~= 0 then redis.call('ZINCRBY', KEYS[2], string.format('%.17g', increment), ARGV[at + 2 * i - 1]) end
end
at = at + 2 * m + 1
local p = tonumber(ARGV[at])
for i = 1, p do
  local a = tonumber(ARGV[at + 3 * i - 2])
  local b = tonumber(ARGV[at + 3 * i - 1])
  local w = ARGV[at + 3 * i]
  redis.call('ZINCRBY', KEYS[a], w, covItems[b])
  redis.call('ZINCRBY', KEYS[b], w, covItems[a])
end
at = at + 3 * p + 1
local d = tonumber(ARGV[at])
for i = 1, d do
  redis.call('ZINCRBY', KEYS[tonumber(ARGV[at + 3 * i - 2])], ARGV[at + 3 * i], ARGV[at + 3 * i - 1])
end
-- bound each touched neighbour list: trim to the best maxNeighbours once it holds 1.5 times that
local limit = math.floor(maxNeighbours * 1.5)
for i = 4, #KEYS do
  local card = redis.call('ZCARD', KEYS[i])
  if card > limit then redis.call('ZREMRANGEBYRANK', KEYS[i], 0, card - maxNeighbours - 1) end
end
return 1
