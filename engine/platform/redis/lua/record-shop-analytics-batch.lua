-- A batch of events, atomically, once per batch key: the counters folded per bucket, and each
-- shopper's latest snapshot. KEYS: 1 batch marker, 2..12 as record-shop-analytics, 13.. bucket hashes.
-- ARGV: 1 marker TTL (s), 2 number of shoppers S, then S x 10 shopper values (SHOPPER_FIELDS in
-- redis-shop-analytics.ts), then C, then C triples (index into KEYS, field, increment). Returns 1,
-- or 0 for a known batch key.
--@include first-seen
--@include shopper-snapshot
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], 1, 'EX', tonumber(ARGV[1]))
local s = tonumber(ARGV[2])
for i = 0, s - 1 do
  local a = 3 + i * 10
  snapshot(K, ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8])
  if ARGV[a + 9] ~= '' then join(KEYS[9], KEYS[4], KEYS[10], KEYS[11], ARGV[a], ARGV[a + 9], ARGV[a + 8]) end
end
local at = 3 + s * 10
local c = tonumber(ARGV[at])
for i = 0, c - 1 do
  redis.call('HINCRBYFLOAT', KEYS[tonumber(ARGV[at + 1 + 3 * i])], ARGV[at + 2 + 3 * i], ARGV[at + 3 + 3 * i])
end
return 1
