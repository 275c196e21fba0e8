-- Several events of one user applied in order, each all or nothing as apply-user-state (one
-- EVALSHA for a user's events in a batch instead of one each).
-- KEYS: 1 vec, 2 st, 3 recent, 4 bought, 5 affinity, 6 cart, 6 + i the dedupe marker of change i.
-- ARGV: 1 number of changes N, then per change: its argument count L, then its L arguments (as
-- apply-user-state's ARGV). Returns one outcome per change; after the first that is not
-- 'applied', the rest are 'conflict' (they were computed on top of it) and nothing of them is written.
--@include apply-one
local out = {}
local at = 2
local stopped = false
for i = 1, tonumber(ARGV[1]) do
  local len = tonumber(ARGV[at])
  if stopped then
    out[i] = 'conflict'
  else
    local a = {}
    for j = 1, len do a[j] = ARGV[at + j] end
    out[i] = apply(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6 + i], KEYS[5], KEYS[6], a)
    if out[i] ~= 'applied' then stopped = true end
  end
  at = at + len + 1
end
return out
