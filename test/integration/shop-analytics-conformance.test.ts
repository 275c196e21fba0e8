import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { RedisShopAnalytics } from '../../engine/analytics/adapters/redis-shop-analytics.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { DEFAULT_SEGMENT_THRESHOLDS, segmentsOf } from '../../engine/shoppers/logic/segments.js';
import { DAY_MS, HOUR_MS, dayOf, hourOf, segmentRanges, shopperSnapshot } from '../../engine/analytics/logic/shop-analytics.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import type { AnalyticsRecord, SegmentRanges, ShopAnalytics, ShopperSnapshot } from '../../engine/analytics/shop-analytics.js';
import { randomPrefix, useRedisServer } from '../helpers/redis-suite.js';

/** One suite for both ShopAnalytics implementations (Redis on its own server, a random prefix per test). */
let redis: Redis;
useRedisServer((client) => (redis = client));

const implementations: Array<[string, () => ShopAnalytics]> = [
  ['memory', () => new MemoryShopAnalytics({ dedupeTtlSeconds: 3600 })],
  ['redis', () => new RedisShopAnalytics(redis, { dedupeTtlSeconds: 3600, keyPrefix: randomPrefix() })],
];

const T0 = Date.UTC(2024, 0, 10, 12);
const snapshot = (overrides: Partial<ShopperSnapshot> = {}): ShopperSnapshot => ({
  version: 1,
  lastEventAt: T0,
  firstSeenAt: T0,
  orders: 0,
  spend: 0,
  lastPurchaseAt: 0,
  loyalBrands: [],
  tier: 'regular',
  ...overrides,
});
const rec = (userId: string, overrides: Partial<AnalyticsRecord> = {}): AnalyticsRecord => ({
  userId,
  eventKey: `${userId}/${randomUUID()}`,
  shopper: snapshot(),
  ...overrides,
});
/** Ranges that count nothing by time: to look at one segment at a time. */
const none: SegmentRanges = {
  newAfter: Infinity,
  activeFrom: Infinity,
  lapsingFrom: Infinity,
  lapsingTo: -Infinity,
  bigSpenderFrom: Infinity,
};
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : String(err)),
  );

describe.each(implementations)('ShopAnalytics conformance: %s', (_name, create) => {
  it('counts an event once per event key, in the total, its hour and its day', async () => {
    const store = create();
    const purchase = rec('u1', {
      counters: { type: 'purchase', ts: T0, total: 12.5 },
      shopper: snapshot({ orders: 1, spend: 12.5, lastPurchaseAt: T0 }),
    });
    expect(await store.wasRecorded(purchase.eventKey)).toBe(false);
    expect(await store.record(purchase)).toBe(true);
    expect(await store.record(purchase)).toBe(false);
    expect(await store.wasRecorded(purchase.eventKey)).toBe(true);
    await store.record(rec('u1', { counters: { type: 'view', ts: T0 + HOUR_MS, total: 0 }, shopper: snapshot({ version: 2 }) }));
    await store.record(rec('u2', { counters: { type: 'purchase', ts: T0 + DAY_MS, total: -2.5 }, shopper: snapshot() }));
    const wanted = { events: { purchase: 2, view: 1 }, orders: 1, revenue: 12.5, cancellations: 1, refunds: 2.5 };
    expect(await store.totals()).toEqual(wanted);
    expect(await store.hours(hourOf(T0), hourOf(T0))).toEqual({
      events: { purchase: 1 },
      orders: 1,
      revenue: 12.5,
      cancellations: 0,
      refunds: 0,
    });
    expect(await store.hours(hourOf(T0) - 5, hourOf(T0) + 1)).toEqual({
      events: { purchase: 1, view: 1 },
      orders: 1,
      revenue: 12.5,
      cancellations: 0,
      refunds: 0,
    });
    expect(await store.days(dayOf(T0), dayOf(T0) + 1)).toEqual(wanted);
    expect(await store.days(dayOf(T0) + 2, dayOf(T0) + 30)).toEqual({ events: {}, orders: 0, revenue: 0, cancellations: 0, refunds: 0 });
  });

  it('keeps the newest snapshot: an older or equal version changes nothing', async () => {
    const store = create();
    await store.record(rec('u1', { shopper: snapshot({ version: 5, orders: 2, spend: 900, lastPurchaseAt: T0, loyalBrands: ['lumo'] }) }));
    await store.record(
      rec('u1', { shopper: snapshot({ version: 4, orders: 3, spend: 5000, lastPurchaseAt: T0, loyalBrands: ['other'] }) }),
    );
    await store.record(
      rec('u1', { shopper: snapshot({ version: 5, orders: 3, spend: 5000, lastPurchaseAt: T0, loyalBrands: ['other'] }) }),
    );
    expect(await store.segmentCounts({ ...none, bigSpenderFrom: 1000 }, 10)).toMatchObject({
      big_spender: 0,
      brandLoyal: [{ brand: 'lumo', size: 1 }],
      loyalBrands: 1,
    });
    await store.record(
      rec('u1', { shopper: snapshot({ version: 6, orders: 3, spend: 1000, lastPurchaseAt: T0, loyalBrands: ['other'] }) }),
    );
    expect(await store.segmentCounts({ ...none, bigSpenderFrom: 1000 }, 10)).toMatchObject({
      big_spender: 1,
      brandLoyal: [{ brand: 'other', size: 1 }],
      loyalBrands: 1,
    });
  });

  it('counts segments as ranges over the stored times, bounds as segmentsOf has them', async () => {
    const store = create();
    // a: first seen at T0, last event T0 + 5 d; b: bought at T0 (200), last event T0; c: no orders, spend < 0.
    await store.record(rec('a', { shopper: snapshot({ firstSeenAt: T0, lastEventAt: T0 + 5 * DAY_MS }) }));
    await store.record(rec('b', { shopper: snapshot({ firstSeenAt: T0 - 40 * DAY_MS, orders: 1, spend: 200, lastPurchaseAt: T0 }) }));
    await store.record(rec('c', { shopper: snapshot({ firstSeenAt: T0 - 100 * DAY_MS, lastEventAt: T0 - 100 * DAY_MS, spend: -50 }) }));
    const at = (ranges: Partial<SegmentRanges>) => store.segmentCounts({ ...none, ...ranges }, 10);
    expect((await at({ newAfter: T0 - 1 })).new).toBe(1);
    expect((await at({ newAfter: T0 })).new).toBe(0); // exclusive
    expect((await at({ newAfter: T0 - 40 * DAY_MS - 1 })).new).toBe(2);
    expect((await at({ activeFrom: T0 })).active).toBe(2); // inclusive: a and b
    expect((await at({ activeFrom: T0 + 1 })).active).toBe(1);
    expect((await at({ activeFrom: 0 })).active).toBe(3);
    expect((await at({ lapsingFrom: T0, lapsingTo: T0 })).lapsing).toBe(1); // both ends inclusive
    expect((await at({ lapsingFrom: T0 + 1, lapsingTo: T0 + DAY_MS })).lapsing).toBe(0);
    expect((await at({ bigSpenderFrom: 200 })).big_spender).toBe(1);
    expect((await at({ bigSpenderFrom: -1000 })).big_spender).toBe(1); // c has no orders
    expect((await at({ bigSpenderFrom: 200.01 })).big_spender).toBe(0);
  });

  it('lists brand_loyal sizes biggest first, ties by brand, cut at the limit; a shopper who moves brands moves', async () => {
    const store = create();
    const loyal = (userId: string, version: number, loyalBrands: string[]) =>
      store.record(rec(userId, { shopper: snapshot({ version, loyalBrands }) }));
    await loyal('u1', 1, ['zeta']);
    await loyal('u2', 1, ['alpha']);
    await loyal('u3', 1, ['zeta']);
    await loyal('u4', 1, ['beta', 'gamma']);
    expect((await store.segmentCounts(none, 10)).brandLoyal).toEqual([
      { brand: 'zeta', size: 2 },
      { brand: 'alpha', size: 1 },
      { brand: 'beta', size: 1 },
      { brand: 'gamma', size: 1 },
    ]);
    expect(await store.segmentCounts(none, 2)).toMatchObject({
      brandLoyal: [
        { brand: 'zeta', size: 2 },
        { brand: 'alpha', size: 1 },
      ],
      loyalBrands: 4,
    });
    expect(await store.segmentCounts(none, 0)).toMatchObject({ brandLoyal: [], loyalBrands: 4 });
    await loyal('u1', 2, ['alpha']);
    await loyal('u4', 2, []);
    expect(await store.segmentCounts(none, 10)).toMatchObject({
      brandLoyal: [
        { brand: 'alpha', size: 2 },
        { brand: 'zeta', size: 1 },
      ],
      loyalBrands: 2,
    });
  });

  it('counts members by tier: a tier stored by events counts when the member joins, and moves with later snapshots', async () => {
    const store = create();
    await store.recordMember({ memberId: 'm1', createdAt: T0, tier: 'regular' });
    await store.recordMember({ memberId: 'm1', createdAt: T0 + DAY_MS, tier: 'vip' }); // idempotent: first one stays
    await store.record(rec('v1', { shopper: snapshot({ tier: 'vip' }) })); // no member: not counted
    await store.record(rec('m2', { shopper: snapshot({ tier: 'vip' }) }));
    await store.recordMember({ memberId: 'm2', createdAt: T0, tier: 'regular' });
    expect(await store.population()).toEqual({ shoppers: 2, members: 2, membersByTier: { regular: 1, vip: 1, enterprise: 0 } });
    await store.record(rec('m1', { shopper: snapshot({ version: 3, tier: 'enterprise' }) }));
    expect(await store.population()).toEqual({ shoppers: 3, members: 2, membersByTier: { regular: 0, vip: 1, enterprise: 1 } });
    // A purchase that knows the record joins the member at once.
    await store.record(rec('m3', { shopper: snapshot({ tier: 'vip' }), memberCreatedAt: T0 - DAY_MS }));
    await store.record(rec('m3', { shopper: snapshot({ version: 2, tier: 'vip' }), memberCreatedAt: T0 - DAY_MS }));
    expect(await store.population()).toEqual({ shoppers: 4, members: 3, membersByTier: { regular: 0, vip: 2, enterprise: 1 } });
  });

  it('takes the earliest of first event and member creation as first seen; a member without events counts as new, not as a shopper', async () => {
    const store = create();
    await store.recordMember({ memberId: 'm1', createdAt: T0 - 60 * DAY_MS, tier: 'regular' });
    await store.record(rec('m1', { shopper: snapshot({ firstSeenAt: T0 }) }));
    await store.recordMember({ memberId: 'm2', createdAt: T0, tier: 'regular' });
    await store.record(rec('u3', { shopper: snapshot({ firstSeenAt: T0 }) }));
    await store.recordMember({ memberId: 'u3', createdAt: T0 + DAY_MS, tier: 'regular' });
    expect((await store.segmentCounts({ ...none, newAfter: T0 - 1 }, 0)).new).toBe(2); // m2, u3
    expect((await store.segmentCounts({ ...none, newAfter: T0 - 61 * DAY_MS }, 0)).new).toBe(3);
    expect(await store.activeSince(0)).toBe(2);
    expect(await store.activeSince(T0 + 1)).toBe(0);
    expect(await store.population()).toMatchObject({ shoppers: 2, members: 3 });
  });

  it('refuses bad input before writing anything', async () => {
    const store = create();
    expect(await codeOf(store.record(rec('bad{id}')))).toBe('invalid_request');
    expect(await codeOf(store.record(rec('u1', { shopper: snapshot({ spend: Number.NaN }) })))).toBe('invalid_request');
    expect(await codeOf(store.record(rec('u1', { counters: { type: 'nope' as 'view', ts: T0, total: 0 } })))).toBe('invalid_request');
    expect(await codeOf(store.recordMember({ memberId: 'm1', createdAt: -1, tier: 'regular' }))).toBe('invalid_request');
    await expect(store.segmentCounts(none, 1001)).rejects.toThrow(RangeError);
    await expect(store.hours(10, 2000)).rejects.toThrow(RangeError);
    expect(await store.population()).toEqual({ shoppers: 0, members: 0, membersByTier: { regular: 0, vip: 0, enterprise: 0 } });
    expect(await store.totals()).toEqual({ events: {}, orders: 0, revenue: 0, cancellations: 0, refunds: 0 });
  });

  it('gives every segment the size segmentsOf gives it, over 300 random shoppers at several times', async () => {
    const store = create();
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const day = () => T0 - Math.floor(random() * 500) * DAY_MS + Math.floor(random() * 3) * (DAY_MS / 2);
    const shoppers: Array<{ state: UserState; member?: { createdAt: number } }> = [];
    for (let i = 0; i < 300; i++) {
      const first = day();
      const last = Math.max(first, day());
      const orders = random() < 0.3 ? 0 : 1 + Math.floor(random() * 5);
      const brands = new Map([
        ['lumo', 1 + random() * 4],
        ['cosy', random() * 4],
      ]);
      const state: UserState = {
        ...emptyUserState(),
        version: 1 + Math.floor(random() * 3),
        updatedAt: last,
        firstSeenAt: first,
        purchases: {
          orders,
          spend: orders === 0 ? 0 : [999.99, 1000, 250, 4000][i % 4]!,
          firstPurchaseAt: orders ? first : 0,
          lastPurchaseAt: orders ? last : 0,
        },
        affinity: {
          landmark: T0,
          categories: new Map(),
          brands,
          brandEvents: new Map([
            ['lumo', Math.floor(random() * 6)],
            ['cosy', 3],
          ]),
        },
      };
      const member = random() < 0.5 ? { createdAt: day() } : undefined;
      shoppers.push(member ? { state, member } : { state });
      await store.record(rec(`s${i}`, { shopper: shopperSnapshot(state, DEFAULT_SEGMENT_THRESHOLDS) }));
      if (member) await store.recordMember({ memberId: `s${i}`, createdAt: member.createdAt, tier: 'regular' });
    }
    const met = new Set<string>();
    for (const at of [T0, T0 + 30 * DAY_MS, T0 - 100 * DAY_MS + 7, T0 + 400 * DAY_MS]) {
      const expected: Record<string, number> = {};
      for (const { state, member } of shoppers)
        for (const segment of segmentsOf(state, member, at)) expected[segment] = (expected[segment] ?? 0) + 1;
      const counts = await store.segmentCounts(segmentRanges(at, DEFAULT_SEGMENT_THRESHOLDS), 10);
      const got: Record<string, number> = {};
      for (const name of ['new', 'active', 'lapsing', 'big_spender'] as const) if (counts[name] > 0) got[name] = counts[name];
      for (const { brand, size } of counts.brandLoyal) got[`brand_loyal:${brand}`] = size;
      expect(got, new Date(at).toISOString()).toEqual(expected);
      for (const segment of Object.keys(got)) met.add(segment);
    }
    // Every kind of segment was met (the comparison is not between empty sets).
    expect([...met].sort()).toEqual(['active', 'big_spender', 'brand_loyal:cosy', 'brand_loyal:lumo', 'lapsing', 'new']);
  });

  it('records 50 concurrent copies of one event once', async () => {
    const store = create();
    const one = rec('u1', {
      counters: { type: 'purchase', ts: T0, total: 10 },
      shopper: snapshot({ orders: 1, spend: 10, lastPurchaseAt: T0 }),
    });
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.record(one)));
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await store.totals()).toMatchObject({ orders: 1, revenue: 10 });
  });
});
