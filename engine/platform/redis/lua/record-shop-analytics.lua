-- One event, atomically. KEYS: 1 marker, 2 ver, 3 seen, 4 first, 5 buy, 6 spend, 7 loyal,
-- 8 loyalty, 9 members, 10 tier, 11 tiers, 12 tot, 13 hour bucket, 14 day bucket.
-- ARGV: 1 marker TTL (s), 2..11 the shopper (10 fields: user, version, lastEventAt,
-- firstSeenAt, orders, spend, lastPurchaseAt, loyal brands JSON, tier, member createdAt or ''),
-- 12 number of counter fields n, then n (field, increment) pairs. Numbers arrive as the strings
-- JavaScript wrote and are stored as they are (Lua would keep 14 digits). Returns 1, or 0 for a
-- known marker (nothing written).
--@include first-seen
--@include shopper-snapshot
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], 1, 'EX', tonumber(ARGV[1]))
local n = tonumber(ARGV[12])
for i = 0, n - 1 do
  local field, by = ARGV[13 + 2 * i], ARGV[14 + 2 * i]
  for k = 12, 14 do redis.call('HINCRBYFLOAT', KEYS[k], field, by) end
end
snapshot(K, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
if ARGV[11] ~= '' then join(KEYS[9], KEYS[4], KEYS[10], KEYS[11], ARGV[2], ARGV[11], ARGV[10]) end
return 1
