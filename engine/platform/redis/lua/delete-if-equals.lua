-- Compare-and-delete: deletes the key only while it holds ARGV[1] (a partition lease of ours,
-- an email claim or a coupon code reservation naming this member; never someone else's later one).
-- KEYS: 1 the key. ARGV: 1 the value expected. Returns 1 when deleted, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
