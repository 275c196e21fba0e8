import type { Redis } from 'ioredis';
import { TIERS, type Tier } from '../contracts/schemas.js';
import { dayOf, hourOf } from '../logic/shop-analytics.js';
import type { AnalyticsRecord, CounterTotals, Population, SegmentCounts, SegmentRanges, ShopAnalytics, ShopMember } from '../ports/shop-analytics.js';
import { callRedis, checkKeyPrefix, LuaScript } from './redis-scripts.js';
import { addFields, bucketRange, checkAnalyticsRecord, checkBrandLimit, checkRanges, checkRecordedKey, checkShopMember, counterFields, emptyTotals } from './shop-analytics-checks.js';
import { checkDedupeTtl } from './state-validation.js';

export interface RedisShopAnalyticsOptions {
  /** How long a recorded event key is remembered (s). */
  dedupeTtlSeconds: number;
  keyPrefix?: string;
}

/** Lowers a shopper's first-seen time to `ts` (0: none); shared by both scripts. */
const EARLIEST = `local function earliest(key, user, ts)
  if ts <= 0 then return end
  local old = redis.call('ZSCORE', key, user)
  if (not old) or tonumber(old) > ts then redis.call('ZADD', key, ts, user) end
end
local function join(members, first, tier, tiers, user, created, givenTier)
  earliest(first, user, tonumber(created))
  if redis.call('ZADD', members, 'NX', created, user) == 1 then
    local t = redis.call('HGET', tier, user)
    if not t then t = givenTier; redis.call('HSET', tier, user, t) end
    redis.call('HINCRBY', tiers, t, 1)
  end
end
`;

/**
 * One event, atomically. KEYS: 1 marker, 2 ver, 3 seen, 4 first, 5 buy, 6 spend, 7 loyal,
 * 8 loyalty, 9 members, 10 tier, 11 tiers, 12 tot, 13 hour bucket, 14 day bucket.
 * ARGV: 1 user, 2 marker TTL (s), 3 version, 4 lastEventAt, 5 firstSeenAt, 6 orders, 7 spend,
 * 8 lastPurchaseAt, 9 loyal brands (JSON array), 10 tier, 11 member createdAt ('' = none),
 * 12 number of counter fields n, then n (field, increment) pairs. Numbers arrive as the strings
 * JavaScript wrote and are stored as they are (Lua would keep 14 digits). Returns 1, or 0 for a
 * known marker (nothing written).
 */
const RECORD_ANALYTICS = new LuaScript(
  'record-shop-analytics',
  `${EARLIEST}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], 1, 'EX', tonumber(ARGV[2]))
local n = tonumber(ARGV[12])
for i = 0, n - 1 do
  local field, by = ARGV[13 + 2 * i], ARGV[14 + 2 * i]
  for k = 12, 14 do redis.call('HINCRBYFLOAT', KEYS[k], field, by) end
end
local user = ARGV[1]
local stored = tonumber(redis.call('HGET', KEYS[2], user) or '-1')
if tonumber(ARGV[3]) > stored then
  redis.call('HSET', KEYS[2], user, ARGV[3])
  if tonumber(ARGV[4]) > 0 then redis.call('ZADD', KEYS[3], ARGV[4], user) else redis.call('ZREM', KEYS[3], user) end
  earliest(KEYS[4], user, tonumber(ARGV[5]))
  if tonumber(ARGV[6]) > 0 and tonumber(ARGV[8]) > 0 then
    redis.call('ZADD', KEYS[5], ARGV[8], user)
    redis.call('ZADD', KEYS[6], ARGV[7], user)
  else
    redis.call('ZREM', KEYS[5], user)
    redis.call('ZREM', KEYS[6], user)
  end
  -- Loyalty sizes are kept as negative scores: ZRANGE lists the biggest first, ties by brand A-Z.
  local before = {}
  for _, b in ipairs(cjson.decode(redis.call('HGET', KEYS[7], user) or '[]')) do before[b] = true end
  local after = {}
  for _, b in ipairs(cjson.decode(ARGV[9])) do after[b] = true end
  for b in pairs(before) do
    if not after[b] and tonumber(redis.call('ZINCRBY', KEYS[8], 1, b)) >= 0 then redis.call('ZREM', KEYS[8], b) end
  end
  for b in pairs(after) do if not before[b] then redis.call('ZINCRBY', KEYS[8], -1, b) end end
  if next(after) == nil then redis.call('HDEL', KEYS[7], user) else redis.call('HSET', KEYS[7], user, ARGV[9]) end
  local old = redis.call('HGET', KEYS[10], user)
  if old ~= ARGV[10] then
    redis.call('HSET', KEYS[10], user, ARGV[10])
    if redis.call('ZSCORE', KEYS[9], user) then
      if old then redis.call('HINCRBY', KEYS[11], old, -1) end
      redis.call('HINCRBY', KEYS[11], ARGV[10], 1)
    end
  end
end
if ARGV[11] ~= '' then join(KEYS[9], KEYS[4], KEYS[10], KEYS[11], user, ARGV[11], ARGV[10]) end
return 1`,
);

/** A member joins the index. KEYS: members, first, tier, tiers. ARGV: memberId, createdAt, tier. */
const RECORD_MEMBER = new LuaScript(
  'record-shop-member',
  `${EARLIEST}
join(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3])
return 1`,
);

/**
 * ShopAnalytics in Redis, every key under the hash tag `{sx}` (one slot: the scripts touch
 * shop-wide sets and the shopper's entries together): `sx:{sx}:done:<eventKey>` (marker, expires
 * after dedupeTtlSeconds); per shopper `ver` (hash: snapshot version), `seen` (zset: last event),
 * `first` (zset: earliest of first event and member creation), `buy` (zset: last order) and
 * `spend` (zset: net spend), both only for shoppers with orders, `loyal` (hash: loyal brands as
 * JSON), `tier` (hash); shop-wide `loyalty` (zset: brand -> minus its loyal shoppers), `members`
 * (zset: memberId -> createdAt), `tiers` (hash: members per tier), and the counters `tot`,
 * `h:<hour>`, `d:<day>` (hashes: `ev:<type>`, orders, revenue, cancellations, refunds).
 */
export class RedisShopAnalytics implements ShopAnalytics {
  private readonly prefix: string;
  private readonly dedupeTtlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: RedisShopAnalyticsOptions,
  ) {
    this.prefix = `${checkKeyPrefix(options.keyPrefix ?? '')}sx:{sx}:`;
    this.dedupeTtlSeconds = checkDedupeTtl(options.dedupeTtlSeconds);
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async record(record: AnalyticsRecord): Promise<boolean> {
    const { userId, eventKey, counters, shopper, memberCreatedAt } = checkAnalyticsRecord(record);
    const ts = counters?.ts ?? 0;
    const keys = [
      this.key(`done:${eventKey}`),
      ...['ver', 'seen', 'first', 'buy', 'spend', 'loyal', 'loyalty', 'members', 'tier', 'tiers', 'tot'].map((name) => this.key(name)),
      this.key(`h:${hourOf(ts)}`),
      this.key(`d:${dayOf(ts)}`),
    ];
    const fields = counters ? Object.entries(counterFields(counters)) : [];
    const args = [
      userId,
      this.dedupeTtlSeconds,
      shopper.version,
      shopper.lastEventAt,
      shopper.firstSeenAt,
      shopper.orders,
      String(shopper.spend),
      shopper.lastPurchaseAt,
      JSON.stringify([...shopper.loyalBrands].sort()),
      shopper.tier,
      memberCreatedAt ?? '',
      fields.length,
      ...fields.flatMap(([field, value]) => [field, String(value)]),
    ];
    return (await RECORD_ANALYTICS.run(this.redis, keys, args)) === 1;
  }

  async wasRecorded(eventKey: string): Promise<boolean> {
    const key = this.key(`done:${checkRecordedKey(eventKey)}`);
    return (await callRedis('wasRecorded', () => this.redis.exists(key))) === 1;
  }

  async recordMember(member: ShopMember): Promise<void> {
    const { memberId, createdAt, tier } = checkShopMember(member);
    await RECORD_MEMBER.run(this.redis, ['members', 'first', 'tier', 'tiers'].map((name) => this.key(name)), [memberId, createdAt, tier]);
  }

  async segmentCounts(ranges: SegmentRanges, brandLimit: number): Promise<SegmentCounts> {
    checkRanges(ranges);
    checkBrandLimit(brandLimit);
    const reply = await callRedis('segmentCounts', () =>
      this.redis
        .multi()
        .zcount(this.key('first'), `(${score(ranges.newAfter)}`, '+inf')
        .zcount(this.key('seen'), score(ranges.activeFrom), '+inf')
        .zcount(this.key('buy'), score(ranges.lapsingFrom), score(ranges.lapsingTo))
        .zcount(this.key('spend'), score(ranges.bigSpenderFrom), '+inf')
        .zrange(this.key('loyalty'), '0', String(Math.max(0, brandLimit - 1)), 'WITHSCORES')
        .zcard(this.key('loyalty'))
        .exec(),
    );
    const [fresh, active, lapsing, big, loyalty, brands] = results(reply, 'segmentCounts');
    const pairs = withScores(loyalty).slice(0, brandLimit);
    return {
      new: Number(fresh),
      active: Number(active),
      lapsing: Number(lapsing),
      big_spender: Number(big),
      brandLoyal: pairs.map(([brand, score]) => ({ brand, size: -score })),
      loyalBrands: Number(brands),
    };
  }

  async population(): Promise<Population> {
    const reply = await callRedis('population', () => this.redis.multi().zcard(this.key('seen')).zcard(this.key('members')).hgetall(this.key('tiers')).exec());
    const [shoppers, members, tiers] = results(reply, 'population');
    const counts = (tiers ?? {}) as Record<string, string>;
    const membersByTier = Object.fromEntries(TIERS.map((tier) => [tier, Number(counts[tier] ?? 0)])) as Record<Tier, number>;
    return { shoppers: Number(shoppers), members: Number(members), membersByTier };
  }

  async activeSince(since: number): Promise<number> {
    if (Number.isNaN(since)) throw new RangeError('since must be a number');
    return callRedis('activeSince', () => this.redis.zcount(this.key('seen'), score(since), '+inf'));
  }

  async totals(): Promise<CounterTotals> {
    return addFields(emptyTotals(), await callRedis('totals', () => this.redis.hgetall(this.key('tot'))));
  }

  async hours(from: number, to: number): Promise<CounterTotals> {
    return this.sumBuckets('h', bucketRange(from, to));
  }

  async days(from: number, to: number): Promise<CounterTotals> {
    return this.sumBuckets('d', bucketRange(from, to));
  }

  private async sumBuckets(kind: 'h' | 'd', buckets: number[]): Promise<CounterTotals> {
    const pipeline = this.redis.pipeline();
    for (const bucket of buckets) pipeline.hgetall(this.key(`${kind}:${bucket}`));
    const totals = emptyTotals();
    for (const fields of results(await callRedis('counters', () => pipeline.exec()), 'counters')) addFields(totals, (fields ?? {}) as Record<string, string>);
    return totals;
  }
}

/** A sorted-set bound as Redis reads it. */
function score(value: number): string {
  return value === Infinity ? '+inf' : value === -Infinity ? '-inf' : String(value);
}

/** The replies of a MULTI or pipeline; the first failed command's error is thrown. */
function results(reply: Array<[Error | null, unknown]> | null, operation: string): unknown[] {
  if (!reply) throw new Error(`${operation}: transaction aborted`);
  return reply.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** WITHSCORES replies: a flat [member, score, ...] array (RESP2) or [member, score] pairs (RESP3). */
function withScores(reply: unknown): Array<[string, number]> {
  if (!Array.isArray(reply)) throw new Error(`unexpected WITHSCORES reply: ${typeof reply}`);
  if (reply.length > 0 && Array.isArray(reply[0])) return (reply as Array<[unknown, unknown]>).map(([m, s]) => [String(m), Number(s)]);
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
  return out;
}
