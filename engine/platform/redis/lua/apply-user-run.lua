-- apply-user-events for the common case, sending each replaced value once: every marker and the
-- version are checked first, and the run is written only when every change applies (none applied
-- before, each expecting the version the one before leaves). Each change is then written as
-- apply-user-state writes it, except that a value a later change of the run replaces was not
-- sent: its vector is '=' (its vector version is still written), its affinity and cart '' (keep),
-- so the run stores the same state as its changes applied one by one.
-- KEYS and ARGV as apply-user-events (changes with replaced values left out as above). Returns
-- one outcome per change, as apply-user-events would: all 'applied', or when the first change
-- cannot apply, its outcome and 'conflict' for the rest (nothing written); or the string
-- 'partial' when a later change cannot (nothing written: the caller sends the run again in full
-- to apply-user-events, which applies the changes before it).
--@include apply-one
local n = tonumber(ARGV[1])
local calls = {}
local at = 2
for i = 1, n do
  local len = tonumber(ARGV[at])
  local a = {}
  for j = 1, len do a[j] = ARGV[at + j] end
  calls[i] = a
  at = at + len + 1
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
for i = 1, n do
  local outcome = nil
  if redis.call('EXISTS', KEYS[6 + i]) == 1 then
    outcome = 'duplicate'
  elseif tonumber(calls[i][1]) ~= version + i - 1 then
    outcome = 'conflict'
  end
  if outcome then
    if i > 1 then return 'partial' end
    local out = {outcome}
    for j = 2, n do out[j] = 'conflict' end
    return out
  end
end
local out = {}
for i = 1, n do
  out[i] = write(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6 + i], KEYS[5], KEYS[6], calls[i], version + i - 1)
end
return out
