import { describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import {
  activityLevel,
  assembleProfile,
  eventsWithin,
  nearestRank,
  priceBand,
  type ProfileOptions,
} from '../../engine/shoppers/logic/profile.js';
import { DEFAULT_SEGMENT_THRESHOLDS } from '../../engine/shoppers/logic/segments.js';
import { DAY_MS, dayOf, segmentRanges } from '../../engine/analytics/logic/shop-analytics.js';
import type { RecentInteraction, UserState } from '../../engine/shoppers/user-state-store.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { AnalyticsRecordingMemberStore } from '../../engine/analytics/analytics-recording-member-store.js';
import { plainProcessorDeps, processorOptions } from '../helpers/processor-fixtures.js';

const AT = Date.UTC(2025, 5, 1, 12);
const HALF_LIFE = 14 * 24 * 3600;
const PRICES: Record<string, number> = { cheap: 5, mid: 20, dear: 80, lux: 400 };
const options: ProfileOptions = {
  thresholds: DEFAULT_SEGMENT_THRESHOLDS,
  affinityHalfLifeSeconds: HALF_LIFE,
  top: 2,
  priceOf: (itemId) => PRICES[itemId],
  catalogPrices: [1, 2, 5, 10, 20, 30, 50, 80, 400],
};
const seen = (itemId: string, type: RecentInteraction['type'], daysAgo: number): RecentInteraction => ({
  itemId,
  type,
  ts: AT - daysAgo * DAY_MS,
});

function state(fields: Partial<UserState> = {}): UserState {
  return { ...emptyUserState(), version: 3, ...fields };
}

describe('profile assembly', () => {
  it('puts together affinity at `at`, RFM, activity, price band, cart and segments', () => {
    const user = state({
      updatedAt: AT - DAY_MS,
      firstSeenAt: AT - 100 * DAY_MS,
      counts: { view: 4, purchase: 2, total: 6 },
      recent: [
        seen('dear', 'purchase', 1),
        seen('mid', 'view', 2),
        seen('dear', 'view', 2.5),
        seen('cheap', 'dislike', 3),
        seen('gone', 'view', 40),
      ],
      cart: new Map([
        ['mid', 2],
        ['cheap', 1],
      ]),
      purchases: { orders: 2, spend: 1200, firstPurchaseAt: AT - 90 * DAY_MS, lastPurchaseAt: AT - DAY_MS },
      affinity: {
        landmark: AT - 14 * DAY_MS,
        categories: new Map([
          ['home', 8],
          ['home/lamps', 6],
          ['garden', 1],
        ]),
        brands: new Map([
          ['lumo', 4],
          ['cosy', -2],
        ]),
        brandEvents: new Map([['lumo', 5]]),
      },
    });
    const profile = assembleProfile('u1', user, { tier: 'vip', createdAt: AT - 200 * DAY_MS }, AT, options);
    expect(profile).toMatchObject({
      userId: 'u1',
      at: AT,
      member: { tier: 'vip', createdAt: AT - 200 * DAY_MS },
      // One half-life after the landmark: every weight is halved; only positive brands, top 2 categories.
      categories: [
        { category: 'home', weight: 4 },
        { category: 'home/lamps', weight: 3 },
      ],
      brands: [{ brand: 'lumo', weight: 2, events: 5 }],
      rfm: { recencyDays: 1, frequency: 2, monetary: 1200, scores: { recency: 5, frequency: 2, monetary: 4 } },
      purchases: { orders: 2, spend: 1200, averageOrderValue: 600, firstPurchaseAt: AT - 90 * DAY_MS, lastPurchaseAt: AT - DAY_MS },
      activity: {
        level: 'medium',
        events: 6,
        eventsByType: { view: 4, purchase: 2 },
        eventsLast7Days: 4,
        eventsLast30Days: 4,
        lastEventAt: AT - DAY_MS,
        daysSinceLastEvent: 1,
      },
      // dear, mid, dear (the dislike and the item no longer in the catalog do not count).
      priceBand: { low: 20, median: 80, high: 80, items: 3, label: 'premium' },
      cart: { lines: 2, quantity: 3 },
      segments: ['active', 'big_spender', 'brand_loyal:lumo'],
    });
  });

  it('evaluates the time-based parts at another `at`', () => {
    const user = state({
      updatedAt: AT,
      firstSeenAt: AT,
      purchases: { orders: 1, spend: 50, firstPurchaseAt: AT, lastPurchaseAt: AT },
      recent: [seen('mid', 'purchase', 0)],
    });
    const later = assembleProfile('u1', user, undefined, AT + 100 * DAY_MS, options);
    expect(later).toMatchObject({
      member: null,
      rfm: { recencyDays: 100, scores: { recency: 3 } },
      activity: { level: 'dormant', eventsLast7Days: 0, daysSinceLastEvent: 100 },
      segments: ['lapsing'],
    });
    expect(assembleProfile('u1', user, undefined, AT + 10 * DAY_MS, options)).toMatchObject({
      activity: { level: 'low' },
      segments: ['new'],
    });
    expect(assembleProfile('u1', user, undefined, AT, options).segments).toEqual(['new', 'active']);
  });

  it('gives a shopper without events or purchases empty parts, not errors', () => {
    const profile = assembleProfile('m1', emptyUserState(), { tier: 'regular', createdAt: AT - DAY_MS }, AT, options);
    expect(profile).toMatchObject({
      categories: [],
      brands: [],
      rfm: { recencyDays: null, frequency: 0, monetary: 0, scores: { recency: 1, frequency: 1, monetary: 1 } },
      purchases: { averageOrderValue: null, firstPurchaseAt: null, lastPurchaseAt: null },
      activity: { level: 'none', events: 0, firstSeenAt: null, lastEventAt: null, daysSinceLastEvent: null },
      priceBand: null,
      segments: ['new'],
    });
  });
});

describe('price band and activity', () => {
  it('nearest-rank quantiles', () => {
    expect([0.25, 0.5, 0.75, 1].map((p) => nearestRank([1, 2, 3, 4], p))).toEqual([1, 2, 3, 4]);
    expect(nearestRank([7], 0.1)).toBe(7);
    expect(nearestRank([1, 2, 3, 4, 5], 0.5)).toBe(3);
  });

  it('labels the band by where its median sits among the catalog prices', () => {
    const band = (itemIds: string[], catalog = options.catalogPrices) =>
      priceBand(
        itemIds.map((id) => seen(id, 'view', 1)),
        options.priceOf,
        catalog,
      );
    // Catalog 1/3 quantile 5, 2/3 quantile 30.
    expect(band(['cheap', 'cheap'])).toMatchObject({ median: 5, label: 'mid' });
    expect(band(['cheap', 'cheap'], [6, 7, 8])).toMatchObject({ label: 'budget' });
    expect(band(['mid'])).toMatchObject({ low: 20, median: 20, high: 20, items: 1, label: 'mid' });
    expect(band(['lux', 'dear', 'mid', 'cheap'])).toMatchObject({ low: 5, median: 20, high: 80, items: 4 });
    expect(band(['dear'])?.label).toBe('premium');
    expect(band(['mid'], [])?.label).toBeNull();
    expect(priceBand([seen('mid', 'dislike', 1), seen('mid', 'remove_from_cart', 1)], options.priceOf, [])).toBeNull();
  });

  it('counts events (one per time and type) in the days up to `at` only', () => {
    const recent = [
      seen('a', 'purchase', 1),
      seen('b', 'purchase', 1),
      seen('a', 'view', 1),
      seen('c', 'view', 6.9),
      seen('d', 'view', 8),
      seen('e', 'view', -1),
    ];
    expect(eventsWithin(recent, AT, 7)).toBe(3);
    expect(eventsWithin(recent, AT, 30)).toBe(4);
  });

  it('levels: none, dormant past 30 days, high from 5 events in 7 days, medium, low', () => {
    expect(activityLevel(0, 0, AT)).toBe('none');
    expect(activityLevel(AT - 31 * DAY_MS, 0, AT)).toBe('dormant');
    expect(activityLevel(AT - DAY_MS, 5, AT)).toBe('high');
    expect(activityLevel(AT - DAY_MS, 4, AT)).toBe('medium');
    expect(activityLevel(AT - 3 * DAY_MS, 0, AT)).toBe('medium'); // the last event counts though the recent list dropped it
    expect(activityLevel(AT - 20 * DAY_MS, 0, AT)).toBe('low');
  });
});

describe('shop analytics through the event processor', () => {
  const T = Date.UTC(2025, 0, 1);
  /** A shop's paid order (revenue and spend come from orders alone); no member store here, so its money is its lines'. */
  const purchase = (id: string, price: number, ts = T): LoggedEvent => ({
    id: `order:paid:${id}`,
    type: 'order',
    userId: 'c1',
    orderId: id,
    status: 'paid',
    lines: [{ itemId: 'mid', quantity: 2, price }],
    ts,
    receivedAt: ts,
  });
  const browserPurchase = (id: string, price: number, ts = T): LoggedEvent => ({
    id,
    type: 'purchase',
    userId: 'c1',
    items: [{ itemId: 'mid', quantity: 2, price }],
    ts,
    receivedAt: ts,
  });

  function setup() {
    const users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
    const analytics = new MemoryShopAnalytics();
    const processor = (withAnalytics: boolean) =>
      new EventProcessor({
        ...plainProcessorDeps(users),
        ...(withAnalytics ? { analytics: { store: analytics, thresholds: DEFAULT_SEGMENT_THRESHOLDS } } : {}),
        options: processorOptions({ pushMaxAgeMs: -1, retryDelayMs: 10 }),
      });
    return { users, analytics, processor };
  }
  const bigSpenders = (analytics: MemoryShopAnalytics, from: number) =>
    analytics.segmentCounts({ ...segmentRanges(T, DEFAULT_SEGMENT_THRESHOLDS), bigSpenderFrom: from }, 0);

  it('counts a repeated event once: counters and the shopper values as stored', async () => {
    const { analytics, processor } = setup();
    const p = processor(true);
    expect(await p.process(purchase('o1', 300))).toBe('applied');
    expect(await p.process(purchase('o1', 300))).toBe('duplicate');
    expect(await p.process(purchase('o2', 200, T + 1000))).toBe('applied');
    // A browser's purchase counts as an event, never as revenue, whatever price it names.
    expect(await p.process(browserPurchase('b1', 1e7, T + 2000))).toBe('applied');
    expect(await analytics.totals()).toEqual({ events: { purchase: 1 }, orders: 2, revenue: 1000, cancellations: 0, refunds: 0 });
    expect(await analytics.days(dayOf(T), dayOf(T))).toMatchObject({ orders: 2 });
    expect((await bigSpenders(analytics, 1000)).big_spender).toBe(1);
    expect((await bigSpenders(analytics, 1000.01)).big_spender).toBe(0);
  });

  it('completes a crash between the user state and the analytics from the stored state, not the effect on top of it', async () => {
    const { analytics, processor } = setup();
    // The first engine stored the user state and died before the analytics step.
    await processor(false).process(purchase('o1', 300));
    expect(await processor(true).process(purchase('o1', 300))).toBe('duplicate');
    expect(await analytics.totals()).toMatchObject({ orders: 1, revenue: 600 });
    // Spend 600, not the 1200 the recomputed effect would say.
    expect((await bigSpenders(analytics, 600)).big_spender).toBe(1);
    expect((await bigSpenders(analytics, 600.01)).big_spender).toBe(0);
  });

  it('adds imported and registered members to the index, existing ones with their stored record', async () => {
    const analytics = new MemoryShopAnalytics();
    const failures: string[] = [];
    const members = new AnalyticsRecordingMemberStore(new MemoryMemberStore(), analytics, (_err, memberId) => failures.push(memberId));
    const record = { email: '', name: 'M', tier: 'regular' as const, points: 0, lifetimePoints: 0 };
    expect(await members.createIfAbsent({ ...record, memberId: 'c1', createdAt: T })).toBe('created');
    expect(await members.createIfAbsent({ ...record, memberId: 'c1', createdAt: T - 90 * DAY_MS })).toBe('existing');
    await members.create({ ...record, memberId: 'm2', email: 'a@example.com', createdAt: T - 90 * DAY_MS });
    expect(await analytics.population()).toEqual({ shoppers: 0, members: 2, membersByTier: { regular: 2, vip: 0, enterprise: 0 } });
    // c1 keeps its stored createdAt (T): new at T + 1 day, m2 is not.
    expect((await analytics.segmentCounts(segmentRanges(T + DAY_MS, DEFAULT_SEGMENT_THRESHOLDS), 0)).new).toBe(1);
    expect(failures).toEqual([]);
  });
});
