-- Reserves a code for a member. KEYS: 1 the code's index. ARGV: 1 memberId.
-- Returns 1 (reserved now), 0 (already this member's) or -1 (another member's).
local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
if owner == ARGV[1] then return 0 end
return -1
