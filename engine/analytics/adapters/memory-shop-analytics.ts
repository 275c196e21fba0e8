import { TIERS, type Tier } from '../../contracts/schemas.js';
import type {
  AnalyticsRecord,
  CounterTotals,
  Population,
  SegmentCounts,
  SegmentRanges,
  ShopAnalytics,
  ShopMember,
  ShopperSnapshot,
} from '../shop-analytics.js';
import { dayOf, hourOf } from '../logic/shop-analytics.js';
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
import { ExpiringKeys } from '../../platform/adapters/expiring-keys.js';

export interface MemoryShopAnalyticsOptions {
  /** How long a recorded event key is remembered (s). Default 7 days. */
  dedupeTtlSeconds?: number;
}

interface Shopper extends Omit<ShopperSnapshot, 'tier'> {
  /** Earliest of first event and member creation (0: none). */
  first: number;
}

/**
 * In-process ShopAnalytics with the semantics of RedisShopAnalytics (one conformance suite):
 * segment sizes are counted over every shopper on each read (the Redis adapter's range counts).
 */
export class MemoryShopAnalytics implements ShopAnalytics {
  private readonly recorded: ExpiringKeys;
  private readonly shoppers = new Map<string, Shopper>();
  /** Tier per user, from snapshots or member records. */
  private readonly tiers = new Map<string, Tier>();
  private readonly members = new Map<string, number>();
  private readonly total = new Map<string, number>();
  private readonly hourly = new Map<number, Map<string, number>>();
  private readonly daily = new Map<number, Map<string, number>>();

  constructor(options: MemoryShopAnalyticsOptions = {}) {
    this.recorded = new ExpiringKeys(checkDedupeTtl(options.dedupeTtlSeconds ?? 7 * 24 * 3600) * 1000);
  }

  async record(record: AnalyticsRecord): Promise<boolean> {
    const { eventKey } = checkAnalyticsRecord(record);
    if (this.recorded.has(eventKey)) return false;
    this.recorded.add(eventKey);
    this.apply(record);
    return true;
  }

  async recordMany(batchKey: string, records: readonly AnalyticsRecord[]): Promise<boolean> {
    checkRecordedKey(batchKey);
    if (records.length === 0 || this.recorded.has(batchKey)) return false;
    checkAnalyticsRecords(records);
    this.recorded.add(batchKey);
    for (const record of records) this.apply(record);
    return true;
  }

  /** One record's counters and snapshot (no marker). */
  private apply(record: AnalyticsRecord): void {
    const { userId, counters, shopper, memberCreatedAt } = record;
    if (counters) {
      const fields = counterFields(counters);
      for (const bucket of [this.total, bucketOf(this.hourly, hourOf(counters.ts)), bucketOf(this.daily, dayOf(counters.ts))]) {
        for (const [field, value] of Object.entries(fields)) bucket.set(field, (bucket.get(field) ?? 0) + value);
      }
    }
    const stored = this.shoppers.get(userId);
    if (!stored || shopper.version > stored.version) {
      const { tier, ...values } = shopper;
      this.shoppers.set(userId, {
        ...values,
        loyalBrands: [...new Set(values.loyalBrands)],
        first: earliest(stored?.first ?? 0, shopper.firstSeenAt),
      });
      this.tiers.set(userId, tier);
    }
    if (memberCreatedAt !== undefined) this.join(userId, memberCreatedAt, shopper.tier);
  }

  async wasRecorded(eventKey: string): Promise<boolean> {
    return this.recorded.has(checkRecordedKey(eventKey));
  }

  async recordMember(member: ShopMember): Promise<void> {
    const { memberId, createdAt, tier } = checkShopMember(member);
    this.join(memberId, createdAt, tier);
  }

  /** Member index entry (first createdAt stays), first seen lowered to it, tier kept when known. */
  private join(userId: string, createdAt: number, tier: Tier): void {
    if (!this.members.has(userId)) this.members.set(userId, createdAt);
    if (!this.tiers.has(userId)) this.tiers.set(userId, tier);
    const shopper = this.shoppers.get(userId);
    if (shopper) shopper.first = earliest(shopper.first, createdAt);
    else
      this.shoppers.set(userId, {
        version: -1,
        lastEventAt: 0,
        firstSeenAt: 0,
        orders: 0,
        spend: 0,
        lastPurchaseAt: 0,
        loyalBrands: [],
        first: createdAt,
      });
  }

  async segmentCounts(ranges: SegmentRanges, brandLimit: number): Promise<SegmentCounts> {
    checkRanges(ranges);
    checkBrandLimit(brandLimit);
    const counts = { new: 0, active: 0, lapsing: 0, big_spender: 0 };
    const loyal = new Map<string, number>();
    for (const s of this.shoppers.values()) {
      if (s.first > 0 && s.first > ranges.newAfter) counts.new++;
      if (s.lastEventAt > 0 && s.lastEventAt >= ranges.activeFrom) counts.active++;
      const bought = s.orders > 0 && s.lastPurchaseAt > 0;
      if (bought && s.lastPurchaseAt >= ranges.lapsingFrom && s.lastPurchaseAt <= ranges.lapsingTo) counts.lapsing++;
      if (bought && s.spend >= ranges.bigSpenderFrom) counts.big_spender++;
      for (const brand of s.loyalBrands) loyal.set(brand, (loyal.get(brand) ?? 0) + 1);
    }
    const brandLoyal = [...loyal]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, brandLimit)
      .map(([brand, size]) => ({ brand, size }));
    return { ...counts, brandLoyal, loyalBrands: loyal.size };
  }

  async population(): Promise<Population> {
    const membersByTier = Object.fromEntries(TIERS.map((tier) => [tier, 0])) as Record<Tier, number>;
    for (const memberId of this.members.keys()) membersByTier[this.tiers.get(memberId) ?? 'regular']++;
    const shoppers = [...this.shoppers.values()].filter((s) => s.lastEventAt > 0).length;
    return { shoppers, members: this.members.size, membersByTier };
  }

  async activeSince(since: number): Promise<number> {
    return [...this.shoppers.values()].filter((s) => s.lastEventAt > 0 && s.lastEventAt >= since).length;
  }

  async totals(): Promise<CounterTotals> {
    return addFields(emptyTotals(), Object.fromEntries(this.total));
  }

  async hours(from: number, to: number): Promise<CounterTotals> {
    return sumBuckets(this.hourly, bucketRange(from, to));
  }

  async days(from: number, to: number): Promise<CounterTotals> {
    return sumBuckets(this.daily, bucketRange(from, to));
  }
}

function bucketOf(buckets: Map<number, Map<string, number>>, key: number): Map<string, number> {
  let bucket = buckets.get(key);
  if (!bucket) buckets.set(key, (bucket = new Map()));
  return bucket;
}

function sumBuckets(buckets: Map<number, Map<string, number>>, keys: number[]): CounterTotals {
  const totals = emptyTotals();
  for (const key of keys) addFields(totals, Object.fromEntries(buckets.get(key) ?? []));
  return totals;
}

/** The earlier of two epoch-ms times where 0 means "none". */
function earliest(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}
