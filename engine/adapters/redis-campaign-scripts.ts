import { LuaScript } from './redis-scripts.js';

/**
 * The Lua steps of RedisCampaignStore (key layout in its TSDoc). Each script's keys share one
 * hash tag: a campaign's `{<campaignId>}`, a member's `{<memberId>}` or a partition's `{p<n>}`.
 */

/**
 * A new campaign, once. KEYS: 1 definition, 2 stop time. ARGV: 1 definition JSON (no stoppedAt),
 * 2 stoppedAt ('' = none). Returns 1 (stored) or 0 (the id exists; nothing changed).
 */
export const CREATE_CAMPAIGN = new LuaScript(
  'create-campaign',
  `if not redis.call('SET', KEYS[1], ARGV[1], 'NX') then return 0 end
if ARGV[2] ~= '' then redis.call('SET', KEYS[2], ARGV[2], 'NX') end
return 1`,
);

/** Stops a campaign once. KEYS: 1 definition, 2 stop time. ARGV: 1 at. Returns 0 (no such campaign) or 1. */
export const STOP_CAMPAIGN = new LuaScript(
  'stop-campaign',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'NX')
return 1`,
);

/**
 * A promotion into a member's inbox, once per promotionId. KEYS: 1 inbox hash, 2 pending zset.
 * ARGV: 1 promotionId, 2 JSON, 3 offeredAt. Returns 1 (new) or 0 (there already, in any state).
 */
export const OFFER_PROMOTION = new LuaScript(
  'offer-promotion',
  `if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1`,
);

/**
 * Leases up to `limit` pending promotions, oldest first (offeredAt, then promotionId), skipping
 * those under an unexpired lease. KEYS: 1 inbox hash, 2 pending zset, 3 lease hash
 * (promotionId -> lease end, epoch ms). ARGV: 1 now, 2 lease ms, 3 limit. Returns the JSONs.
 * Walks the pending set in pages of 100: a member's pending promotions are few.
 */
export const CLAIM_PROMOTIONS = new LuaScript(
  'claim-promotions',
  `local now = tonumber(ARGV[1])
local untilMs = string.format('%d', now + tonumber(ARGV[2]))
local limit = tonumber(ARGV[3])
local out = {}
local start = 0
while #out < limit do
  local ids = redis.call('ZRANGE', KEYS[2], start, start + 99)
  if #ids == 0 then break end
  for _, id in ipairs(ids) do
    local leased = tonumber(redis.call('HGET', KEYS[3], id) or '0')
    if leased <= now then
      local json = redis.call('HGET', KEYS[1], id)
      if json then
        redis.call('HSET', KEYS[3], id, untilMs)
        out[#out + 1] = json
        if #out >= limit then break end
      end
    end
  end
  start = start + 100
end
return out`,
);

/**
 * One delivery against the campaign's rules, all in one step. KEYS: 1 definition, 2 stop time,
 * 3 granted set (promotionIds), 4 last-grant hash (memberId -> epoch ms), 5 live set.
 * ARGV: 1 promotionId, 2 memberId, 3 now, 4 startsAt, 5 endsAt ('' = none), 6 stopped by the
 * caller's copy ('1'/'0'), 7 budget ('' = none), 8 frequency cap ms ('' = once ever), 9 live ('1'/'0').
 * Returns again, closed, exhausted, capped or ok.
 */
export const RESERVE_DELIVERY = new LuaScript(
  'reserve-delivery',
  `if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return 'again' end
local now = tonumber(ARGV[3])
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('EXISTS', KEYS[2]) == 1 or ARGV[6] == '1' then return 'closed' end
if now < tonumber(ARGV[4]) or (ARGV[5] ~= '' and now >= tonumber(ARGV[5])) then return 'closed' end
if ARGV[7] ~= '' and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[7]) then return 'exhausted' end
local last = redis.call('HGET', KEYS[4], ARGV[2])
if last and (ARGV[8] == '' or now - tonumber(last) < tonumber(ARGV[8])) then return 'capped' end
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
if ARGV[9] == '1' then redis.call('SADD', KEYS[5], ARGV[1]) end
return 'ok'`,
);

/**
 * Ends a promotion once; the first outcome stays. KEYS: 1 inbox hash, 2 pending zset, 3 lease
 * hash, 4 outcome hash (promotionId -> delivered|dropped), 5 delivered zset (promotionId ->
 * deliveredAt). ARGV: 1 promotionId, 2 outcome, 3 now. Returns {} (unknown promotionId) or
 * {outcome as stored, JSON}.
 */
export const SETTLE_PROMOTION = new LuaScript(
  'settle-promotion',
  `local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return {} end
local outcome = redis.call('HGET', KEYS[4], ARGV[1])
if not outcome then
  outcome = ARGV[2]
  redis.call('HSET', KEYS[4], ARGV[1], outcome)
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
  if outcome == 'delivered' then redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1]) end
end
return {outcome, json}`,
);

/**
 * Arms or re-arms timers. KEYS: 1 due zset (`<campaignId> <memberId>` -> dueAt), 2 event hash
 * (same member -> eventId). ARGV: 1 member, 2 dueAt, 3 eventId.
 */
export const ARM_TIMER = new LuaScript(
  'arm-cart-timer',
  `redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1`,
);

/** Due timers. KEYS: 1 due zset, 2 event hash. ARGV: 1 now, 2 limit. Returns flat {member, dueAt, eventId, ...}. */
export const DUE_TIMERS = new LuaScript(
  'due-cart-timers',
  `local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #due, 2 do
  out[#out + 1] = due[i]
  out[#out + 1] = due[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], due[i]) or ''
end
return out`,
);

/**
 * Removes a fired timer unless re-armed since. KEYS: 1 due zset, 2 event hash. ARGV: 1 member,
 * 2 dueAt it fired with, 3 eventId it fired with. Returns 1 (removed) or 0 (re-armed or gone).
 */
export const REMOVE_TIMER = new LuaScript(
  'remove-cart-timer',
  `local dueAt = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not dueAt or tonumber(dueAt) ~= tonumber(ARGV[2]) or redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`,
);
