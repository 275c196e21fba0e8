-- The tier before (the record's) and after a points change, given the lifetime points after it
-- and the vip/enterprise thresholds: tiers only rise. Shared by apply-member-points and
-- apply-order, so both apply the rule of logic/tiers.ts alike.
local function tierAfter(record, lifetime, vip, enterprise)
  local from = redis.call('HGET', record, 'tier') or 'regular'
  local rank = {regular = 0, vip = 1, enterprise = 2}
  local earned = 'regular'
  if lifetime >= tonumber(enterprise) then earned = 'enterprise' elseif lifetime >= tonumber(vip) then earned = 'vip' end
  local tier = from
  if rank[earned] > (rank[from] or 0) then tier = earned end
  return from, tier
end
