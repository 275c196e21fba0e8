import type { Redis } from 'ioredis';
import { TIERS, type Tier } from '../contracts/schemas.js';
import { dayOf, hourOf } from '../logic/shop-analytics.js';
import type { AnalyticsRecord, CounterTotals, Population, SegmentCounts, SegmentRanges, ShopAnalytics, ShopMember } from '../ports/shop-analytics.js';
import { callRedis, checkKeyPrefix, LuaScript } from './redis-scripts.js';
import { addFields, bucketRange, checkAnalyticsRecord, checkAnalyticsRecords, checkBrandLimit, checkRanges, checkRecordedKey, checkShopMember, counterFields, emptyTotals } from './shop-analytics-checks.js';
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
 * A shopper's segment inputs as of one state version (a snapshot not newer than the stored one
 * changes nothing). K: the fixed keys (K.ver .. K.tiers); v: user, version, lastEventAt,
 * firstSeenAt, orders, spend, lastPurchaseAt, loyal brands (JSON array), tier.
 */
const SNAPSHOT = `local function snapshot(K, user, version, lastEventAt, firstSeenAt, orders, spend, lastPurchaseAt, loyal, tier)
  local stored = tonumber(redis.call('HGET', K.ver, user) or '-1')
  if tonumber(version) <= stored then return end
  redis.call('HSET', K.ver, user, version)
  if tonumber(lastEventAt) > 0 then redis.call('ZADD', K.seen, lastEventAt, user) else redis.call('ZREM', K.seen, user) end
  earliest(K.first, user, tonumber(firstSeenAt))
  if tonumber(orders) > 0 and tonumber(lastPurchaseAt) > 0 then
    redis.call('ZADD', K.buy, lastPurchaseAt, user)
    redis.call('ZADD', K.spend, spend, user)
  else
    redis.call('ZREM', K.buy, user)
    redis.call('ZREM', K.spend, user)
  end
  -- Loyalty sizes are kept as negative scores: ZRANGE lists the biggest first, ties by brand A-Z.
  local before = {}
  for _, b in ipairs(cjson.decode(redis.call('HGET', K.loyal, user) or '[]')) do before[b] = true end
  local after = {}
  for _, b in ipairs(cjson.decode(loyal)) do after[b] = true end
  for b in pairs(before) do
    if not after[b] and tonumber(redis.call('ZINCRBY', K.loyalty, 1, b)) >= 0 then redis.call('ZREM', K.loyalty, b) end
  end
  for b in pairs(after) do if not before[b] then redis.call('ZINCRBY', K.loyalty, -1, b) end end
  if next(after) == nil then redis.call('HDEL', K.loyal, user) else redis.call('HSET', K.loyal, user, loyal) end
  local old = redis.call('HGET', K.tier, user)
  if old ~= tier then
    redis.call('HSET', K.tier, user, tier)
    if redis.call('ZSCORE', K.members, user) then
      if old then redis.call('HINCRBY', K.tiers, old, -1) end
      redis.call('HINCRBY', K.tiers, tier, 1)
    end
  end
end
local K = {ver = KEYS[2], seen = KEYS[3], first = KEYS[4], buy = KEYS[5], spend = KEYS[6], loyal = KEYS[7], loyalty = KEYS[8], members = KEYS[9], tier = KEYS[10], tiers = KEYS[11]}
`;

/** Shopper fields per entry in the scripts' ARGV: user, 8 snapshot values, member createdAt ('' = none). */
const SHOPPER_FIELDS = 10;

/**
 * One event, atomically. KEYS: 1 marker, 2 ver, 3 seen, 4 first, 5 buy, 6 spend, 7 loyal,
 * 8 loyalty, 9 members, 10 tier, 11 tiers, 12 tot, 13 hour bucket, 14 day bucket.
 * ARGV: 1 marker TTL (s), 2..11 the shopper (SHOPPER_FIELDS: user, version, lastEventAt,
 * firstSeenAt, orders, spend, lastPurchaseAt, loyal brands JSON, tier, member createdAt or ''),
 * 12 number of counter fields n, then n (field, increment) pairs. Numbers arrive as the strings
 * JavaScript wrote and are stored as they are (Lua would keep 14 digits). Returns 1, or 0 for a
 * known marker (nothing written).
 */
const RECORD_ANALYTICS = new LuaScript(
  'record-shop-analytics',
  `${EARLIEST}${SNAPSHOT}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], 1, 'EX', tonumber(ARGV[1]))
local n = tonumber(ARGV[12])
for i = 0, n - 1 do
  local field, by = ARGV[13 + 2 * i], ARGV[14 + 2 * i]
  for k = 12, 14 do redis.call('HINCRBYFLOAT', KEYS[k], field, by) end
end
snapshot(K, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10])
if ARGV[11] ~= '' then join(KEYS[9], KEYS[4], KEYS[10], KEYS[11], ARGV[2], ARGV[11], ARGV[10]) end
return 1`,
);

/**
 * A batch of events, atomically, once per batch key: the counters folded per bucket, and each
 * shopper's latest snapshot. KEYS: 1 batch marker, 2..12 as RECORD_ANALYTICS, 13.. bucket hashes.
 * ARGV: 1 marker TTL (s), 2 number of shoppers S, then S x SHOPPER_FIELDS values, then C, then C
 * triples (index into KEYS, field, increment). Returns 1, or 0 for a known batch key.
 */
const RECORD_ANALYTICS_BATCH = new LuaScript(
  'record-shop-analytics-batch',
  `${EARLIEST}${SNAPSHOT}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], 1, 'EX', tonumber(ARGV[1]))
local s = tonumber(ARGV[2])
for i = 0, s - 1 do
  local a = 3 + i * ${SHOPPER_FIELDS}
  snapshot(K, ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8])
  if ARGV[a + 9] ~= '' then join(KEYS[9], KEYS[4], KEYS[10], KEYS[11], ARGV[a], ARGV[a + 9], ARGV[a + 8]) end
end
local at = 3 + s * ${SHOPPER_FIELDS}
local c = tonumber(ARGV[at])
for i = 0, c - 1 do
  redis.call('HINCRBYFLOAT', KEYS[tonumber(ARGV[at + 1 + 3 * i])], ARGV[at + 2 + 3 * i], ARGV[at + 3 + 3 * i])
end
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
    const { eventKey, counters } = checkAnalyticsRecord(record);
    const ts = counters?.ts ?? 0;
    const keys = [this.key(`done:${eventKey}`), ...this.fixedKeys(), this.key(`h:${hourOf(ts)}`), this.key(`d:${dayOf(ts)}`)];
    const fields = counters ? Object.entries(counterFields(counters)) : [];
    const args = [this.dedupeTtlSeconds, ...shopperArgs(record), fields.length, ...fields.flatMap(([field, value]) => [field, String(value)])];
    return (await RECORD_ANALYTICS.run(this.redis, keys, args)) === 1;
  }

  async recordMany(batchKey: string, records: readonly AnalyticsRecord[]): Promise<boolean> {
    checkRecordedKey(batchKey);
    if (records.length === 0) return false;
    // Counters folded per bucket key (tot, h:<hour>, d:<day>), shoppers to their newest snapshot.
    const keys = [this.key(`done:${batchKey}`), ...this.fixedKeys()];
    const keyIndex = new Map<string, number>([[keys[11]!, 12]]);
    const sums = new Map<string, number>();
    const add = (key: string, field: string, value: number) => {
      let index = keyIndex.get(key);
      if (index === undefined) {
        keys.push(key);
        index = keys.length;
        keyIndex.set(key, index);
      }
      const sumKey = `${index}\n${field}`;
      sums.set(sumKey, (sums.get(sumKey) ?? 0) + value);
    };
    const latest = new Map<string, AnalyticsRecord>();
    checkAnalyticsRecords(records);
    for (const record of records) {
      const previous = latest.get(record.userId);
      // The newest snapshot wins; a member's createdAt seen in any of them is kept.
      if (!previous || record.shopper.version >= previous.shopper.version) {
        const createdAt = record.memberCreatedAt ?? previous?.memberCreatedAt;
        latest.set(record.userId, createdAt === undefined ? record : { ...record, memberCreatedAt: createdAt });
      } else if (record.memberCreatedAt !== undefined && previous.memberCreatedAt === undefined) {
        latest.set(record.userId, { ...previous, memberCreatedAt: record.memberCreatedAt });
      }
      if (!record.counters) continue;
      for (const [field, value] of Object.entries(counterFields(record.counters))) {
        add(keys[11]!, field, value);
        add(this.key(`h:${hourOf(record.counters.ts)}`), field, value);
        add(this.key(`d:${dayOf(record.counters.ts)}`), field, value);
      }
    }
    const args: Array<string | number> = [this.dedupeTtlSeconds, latest.size];
    for (const record of latest.values()) args.push(...shopperArgs(record));
    args.push(sums.size);
    for (const [sumKey, value] of sums) {
      const cut = sumKey.indexOf('\n');
      args.push(Number(sumKey.slice(0, cut)), sumKey.slice(cut + 1), String(value));
    }
    return (await RECORD_ANALYTICS_BATCH.run(this.redis, keys, args)) === 1;
  }

  /** KEYS 2..12 of the record scripts. */
  private fixedKeys(): string[] {
    return ['ver', 'seen', 'first', 'buy', 'spend', 'loyal', 'loyalty', 'members', 'tier', 'tiers', 'tot'].map((name) => this.key(name));
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

/** The SHOPPER_FIELDS script arguments of a record. */
function shopperArgs({ userId, shopper, memberCreatedAt }: AnalyticsRecord): Array<string | number> {
  return [
    userId,
    shopper.version,
    shopper.lastEventAt,
    shopper.firstSeenAt,
    shopper.orders,
    String(shopper.spend),
    shopper.lastPurchaseAt,
    JSON.stringify([...shopper.loyalBrands].sort()),
    shopper.tier,
    memberCreatedAt ?? '',
  ];
}
