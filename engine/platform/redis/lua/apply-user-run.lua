-- A user's consecutive changes of one batch (a run), written as their combined result: the
-- caller folds the run into the values it leaves behind (the last vector, affinity, cart and
-- st fields given, the count increments per type, every recent entry and bought id in order),
-- so the script writes each key once instead of once per change, and stores the same state as
-- the changes applied one by one (apply-user-state): the last HSET of a field wins, HINCRBY by k
-- is k HINCRBYs by 1, one LPUSH of every entry oldest first then one LTRIM keeps the same newest
-- entries as an LPUSH + LTRIM per change (a trim only ever drops the oldest), SADD is a union.
-- Checked first, as apply-user-events checks: the first change's marker and version; then that no
-- later change's marker exists.
-- KEYS: 1 vec, 2 st, 3 recent, 4 bought, 5 affinity, 6 cart, 6 + i the dedupe marker of change i.
-- ARGV: 1 number of changes N, 2 the first change's expectedVersion (change i expects it + i - 1),
--       3 dedupeTtlSeconds, 4 recentLimit, 5 the markers' value (batch tag), 6 vector bytes
--       ('' = keep), 7 with a vector: its version ('' = none: deleted), 8 affinity ('' = keep),
--       9 cart ('' = keep, '[]' = empty), 10 F, then F st field/value pairs (the last given of
--       each; `version` is written here), then C, C pairs (count field, increment), then R, R
--       recent entries in LPUSH order (oldest first), then the bought item ids.
-- Returns one outcome per change: all 'applied', or when the first change cannot apply, its
-- outcome and 'conflict' for the rest (nothing written); or the string 'partial' when a later
-- change's marker exists (nothing written: the caller sends the run again in full to
-- apply-user-events, which applies the changes before it).
local n = tonumber(ARGV[1])
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
local first = nil
if redis.call('EXISTS', KEYS[7]) == 1 then
  first = 'duplicate'
elseif tonumber(ARGV[2]) ~= version then
  first = 'conflict'
end
if first then
  local out = {first}
  for j = 2, n do out[j] = 'conflict' end
  return out
end
-- variadic commands in chunks (Lua's unpack has a stack limit)
local function chunked(command, key, from, to)
  local total = 0
  for s = from, to, 1000 do
    total = total + redis.call(command, key, unpack(ARGV, s, math.min(to, s + 999)))
  end
  return total
end
for s = 8, 6 + n, 1000 do
  if redis.call('EXISTS', unpack(KEYS, s, math.min(6 + n, s + 999))) > 0 then return 'partial' end
end
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[1], ARGV[6])
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[2], 'vectorVersion', ARGV[7]) else redis.call('HDEL', KEYS[2], 'vectorVersion') end
end
local at = 10
local f = tonumber(ARGV[at])
local fields = {'version', string.format('%d', version + n)}
for i = 1, 2 * f do fields[2 + i] = ARGV[at + i] end
redis.call('HSET', KEYS[2], unpack(fields))
at = at + 2 * f + 1
local c = tonumber(ARGV[at])
for i = 1, c do redis.call('HINCRBY', KEYS[2], ARGV[at + 2 * i - 1], ARGV[at + 2 * i]) end
at = at + 2 * c + 1
if ARGV[8] ~= '' then redis.call('SET', KEYS[5], ARGV[8]) end
if ARGV[9] == '[]' then redis.call('DEL', KEYS[6]) elseif ARGV[9] ~= '' then redis.call('SET', KEYS[6], ARGV[9]) end
local r = tonumber(ARGV[at])
if r > 0 then
  chunked('LPUSH', KEYS[3], at + 1, at + r)
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[4]) - 1)
end
at = at + r + 1
if at <= #ARGV then chunked('SADD', KEYS[4], at, #ARGV) end
local ttl = tonumber(ARGV[3])
local out = {}
for i = 1, n do
  redis.call('SET', KEYS[6 + i], ARGV[5], 'EX', ttl)
  out[i] = 'applied'
end
return out
