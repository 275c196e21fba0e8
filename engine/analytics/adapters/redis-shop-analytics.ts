import type { Redis } from 'ioredis';
import { TIERS, type Tier } from '../../contracts/schemas.js';
import { dayOf, hourOf } from '../logic/shop-analytics.js';
import type {
  AnalyticsRecord,
  CounterTotals,
  Population,
  SegmentCounts,
  SegmentRanges,
  ShopAnalytics,
  ShopMember,
} from '../shop-analytics.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { analyticsKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';
import { runScript } from '../../platform/redis/prebuilt-evalsha.js';
import {
  addFields,
  bucketRange,
  checkAnalyticsRecord,
  checkAnalyticsRecords,
  checkBrandLimit,
  checkRanges,
  checkRecordedKey,
  checkShopMember,
  counterFields,
  emptyTotals,
} from '../shop-analytics-checks.js';
import { checkDedupeTtl } from '../../shoppers/state-validation.js';
import { CounterSums, counterFieldList } from './counter-sums.js';

/** KEYS index (1-based) of the total counters (`tot`, the last of fixedKeys). */
const TOTAL_KEY_INDEX = 12;

export interface RedisShopAnalyticsOptions {
  /** How long a recorded event key is remembered (s). */
  dedupeTtlSeconds: number;
  keyPrefix?: string;
}

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
  private readonly keys: ReturnType<typeof analyticsKeys>;
  private readonly dedupeTtlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: RedisShopAnalyticsOptions,
  ) {
    this.keys = analyticsKeys(options.keyPrefix ?? '');
    this.dedupeTtlSeconds = checkDedupeTtl(options.dedupeTtlSeconds);
    defineRedisScripts(redis);
  }

  private key(name: string): string {
    return this.keys.key(name);
  }

  async record(record: AnalyticsRecord): Promise<boolean> {
    const { eventKey, counters } = checkAnalyticsRecord(record);
    const ts = counters?.ts ?? 0;
    const keys = [this.keys.done(eventKey), ...this.fixedKeys(), this.keys.bucket('h', hourOf(ts)), this.keys.bucket('d', dayOf(ts))];
    const fields = counters ? Object.entries(counterFields(counters)) : [];
    const args = [
      this.dedupeTtlSeconds,
      ...shopperArgs(record),
      fields.length,
      ...fields.flatMap(([field, value]) => [field, String(value)]),
    ];
    return (await callRedis('script recordShopAnalytics', () => this.redis.recordShopAnalytics(...keys, ...args))) === 1;
  }

  async recordMany(batchKey: string, records: readonly AnalyticsRecord[]): Promise<boolean> {
    checkRecordedKey(batchKey);
    if (records.length === 0) return false;
    // Counters folded per bucket key (tot, h:<hour>, d:<day>), shoppers to their newest snapshot.
    const keys = [this.keys.done(batchKey), ...this.fixedKeys()];
    // KEYS index (1-based) of each hour's and day's bucket, added in the order first met.
    const hourIndex = new Map<number, number>();
    const dayIndex = new Map<number, number>();
    const bucketIndex = (indexes: Map<number, number>, kind: 'h' | 'd', bucket: number): number => {
      let index = indexes.get(bucket);
      if (index === undefined) {
        keys.push(this.keys.bucket(kind, bucket));
        index = keys.length;
        indexes.set(bucket, index);
      }
      return index;
    };
    const sums = new CounterSums();
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
      const fields = counterFieldList(record.counters);
      if (fields.length === 0) continue;
      // (KEYS[12], the total, first; then the hour's and the day's bucket, each added on first use)
      const hour = bucketIndex(hourIndex, 'h', hourOf(record.counters.ts));
      const day = bucketIndex(dayIndex, 'd', dayOf(record.counters.ts));
      for (const [field, value] of fields) {
        sums.add(TOTAL_KEY_INDEX, field, value);
        sums.add(hour, field, value);
        sums.add(day, field, value);
      }
    }
    const args: Array<string | number> = [this.dedupeTtlSeconds, latest.size];
    for (const record of latest.values()) args.push(...shopperArgs(record));
    args.push(sums.size);
    for (let i = 0; i < sums.size; i++) args.push(sums.indexes[i]!, sums.fields[i]!, String(sums.values[i]!));
    return (await callRedis('script recordShopAnalyticsBatch', () => runScript(this.redis, 'recordShopAnalyticsBatch', keys, args))) === 1;
  }

  /** KEYS 2..12 of the record scripts. */
  private fixedKeys(): string[] {
    return ['ver', 'seen', 'first', 'buy', 'spend', 'loyal', 'loyalty', 'members', 'tier', 'tiers', 'tot'].map((name) => this.key(name));
  }

  async wasRecorded(eventKey: string): Promise<boolean> {
    const key = this.keys.done(checkRecordedKey(eventKey));
    return (await callRedis('wasRecorded', () => this.redis.exists(key))) === 1;
  }

  async recordMember(member: ShopMember): Promise<void> {
    const { memberId, createdAt, tier } = checkShopMember(member);
    await callRedis('script recordShopMember', () =>
      this.redis.recordShopMember(this.key('members'), this.key('first'), this.key('tier'), this.key('tiers'), memberId, createdAt, tier),
    );
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
    const reply = await callRedis('population', () =>
      this.redis.multi().zcard(this.key('seen')).zcard(this.key('members')).hgetall(this.key('tiers')).exec(),
    );
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
    for (const bucket of buckets) pipeline.hgetall(this.keys.bucket(kind, bucket));
    const totals = emptyTotals();
    for (const fields of results(await callRedis('counters', () => pipeline.exec()), 'counters'))
      addFields(totals, (fields ?? {}) as Record<string, string>);
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

/** A record's shopper fields in the scripts' ARGV: user, 8 snapshot values, member createdAt ('' = none); lua/record-shop-analytics-batch.lua steps by these 10. */
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
