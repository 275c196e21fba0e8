-- A member joins the index. KEYS: 1 members, 2 first, 3 tier, 4 tiers. ARGV: 1 memberId, 2 createdAt, 3 tier.
--@include first-seen

join(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
return 1
