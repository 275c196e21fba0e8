import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { LoggedEvent, StoredEvent } from '../../engine/contracts/schemas.js';
import { eventEffect, touchedItems, type EffectOptions } from '../../engine/shoppers/logic/event-effect.js';
import { assembleProfile } from '../../engine/shoppers/logic/profile.js';
import { segmentRanges } from '../../engine/analytics/logic/shop-analytics.js';
import { DEFAULT_SEGMENT_THRESHOLDS, segmentsOf } from '../../engine/shoppers/logic/segments.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { DeliveredEvent } from '../../engine/stream/event-log.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import type { Recommender } from '../../engine/recommend/recommender.js';
import { DAY_MS, NOW, shown } from '../helpers/impressions-fixtures.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

/**
 * Issue 14: an impression is counted as one in the shop's counters and moves nothing a shopper did:
 * no taste, recent items (= member history), affinity, segments, profile activity, popularity,
 * co-visitation or push, in the event's effect and through the event pipeline. The wire rules:
 * impressions.test.ts.
 */

const options: EffectOptions = { tasteHalfLifeSeconds: 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 20 };
const unit = (i: number) => Float32Array.from({ length: 8 }, (_, j) => (j === i % 8 ? 1 : 0));
const itemVector = (itemId: string) => unit(Number(itemId.replace(/\D/g, '')) || 0);
const attributes = (itemId: string) => ({
  category: Number(itemId.replace(/\D/g, '')) % 2 === 0 ? 'audio/headphones' : 'home/lamps',
  brand: `brand-${itemId}`,
});

describe('eventEffect of an impression', () => {
  it('counts the impression and moves nothing else: no taste, recent, bought, cart, affinity, times, tier; no shop-wide update', () => {
    let state: UserState = emptyUserState();
    const interactions: StoredEvent[] = [
      { type: 'view', itemId: 'i1', id: 'e1', userId: 'u1', ts: NOW - 5000, receivedAt: NOW - 5000 },
      { type: 'add_to_cart', itemId: 'i2', id: 'e2', userId: 'u1', ts: NOW - 4000, receivedAt: NOW - 4000 },
    ];
    for (const event of interactions)
      state = eventEffect(state, event, { item: itemVector, text: () => unit(7) }, options, { itemAttributes: attributes }).next;
    const impression: StoredEvent = {
      type: 'impression',
      listId: 'l1',
      items: shown('i3', 'i4', 'i1'),
      id: 'e3',
      userId: 'u1',
      ts: NOW,
      receivedAt: NOW,
      tier: 'vip',
    };
    expect(touchedItems(impression)).toEqual([]);
    const effect = eventEffect(state, impression, { item: itemVector, text: () => unit(7) }, options, {
      itemAttributes: attributes,
      recordTier: 'enterprise',
    });

    expect(effect.change).toEqual({
      eventId: 'e3',
      expectedVersion: state.version,
      type: 'impression',
      strength: state.strength,
      updatedAt: state.updatedAt,
      recent: [],
      bought: [],
    });
    expect(effect.stats).toEqual({ items: [], pairs: [], ts: NOW });
    const { version, counts, ...rest } = effect.next;
    const { version: before, counts: countsBefore, ...restBefore } = state;
    expect(rest).toEqual(restBefore);
    expect(version).toBe(before + 1);
    expect(counts).toEqual({ ...countsBefore, impression: 1, total: (countsBefore.total ?? 0) + 1 });
    expect(segmentsOf(effect.next, undefined, NOW)).toEqual(segmentsOf(state, undefined, NOW));
  });
});

function delivered(event: LoggedEvent): DeliveredEvent {
  return {
    event,
    partition: 0,
    seq: 1,
    redelivered: false,
    deliveryCount: 1,
    ack: async () => undefined,
    nak: () => undefined,
    deadLetter: async () => undefined,
  };
}

function pipeline() {
  const users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
  const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 });
  const analytics = new MemoryShopAnalytics();
  const pushes: Array<{ userId: string; message: PushMessage }> = [];
  let lists = 0;
  const recommender = {
    boosting: () => false,
    // A new list on every call: any push a batch asks for goes out (none is "unchanged").
    recommend: async () => ({ items: [{ itemId: `list-${++lists}`, score: 1 }], generatedAt: NOW, modelVersion: 'test' }),
  } as unknown as Recommender;
  const processor = new EventProcessor({
    users,
    stats,
    vectors: { item: itemVector, text: () => unit(7) },
    recommender,
    notifier: { pushToUser: (userId, message) => void pushes.push({ userId, message }), pushToAll: () => undefined },
    presence: { isPresent: () => true },
    itemAttributes: attributes,
    analytics: { store: analytics, thresholds: DEFAULT_SEGMENT_THRESHOLDS },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => NOW,
    options: processorOptions(),
  });
  let seq = 0;
  const event = (userId: string, fields: Record<string, unknown>, ts = NOW - 1000): LoggedEvent =>
    ({ id: `${userId}-${++seq}`, userId, ts, receivedAt: ts, viaSocket: true, ...fields }) as LoggedEvent;
  return { processor, users, stats, analytics, pushes, event };
}

/** What the shop-wide signals say about some items. */
async function signals(stats: MemoryInteractionStats, itemIds: string[]) {
  return { popular: await stats.popular(50), coVisited: await Promise.all(itemIds.map((itemId) => stats.coVisited(itemId, 50))) };
}

async function segments(analytics: MemoryShopAnalytics) {
  return {
    counts: await analytics.segmentCounts(segmentRanges(NOW, DEFAULT_SEGMENT_THRESHOLDS), 100),
    population: await analytics.population(),
  };
}

describe('impressions through the event pipeline', () => {
  it('leave taste, history, affinity, segments, profile, popularity and co-visitation as they were, push nothing, and count as impressions', async () => {
    const { processor, users, stats, analytics, pushes, event } = pipeline();
    const allItems = ['i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7'];
    // A member who did something: two views and a purchase of an even (headphones) item.
    for (const fields of [
      { type: 'view', itemId: 'i1' },
      { type: 'view', itemId: 'i3' },
      { type: 'purchase', items: [{ itemId: 'i2', quantity: 1, price: 30 }] },
    ]) {
      await processor.handleBatch([delivered(event('m1', fields, NOW - 60_000))]);
    }
    const state = await users.load('m1');
    const shop = await signals(stats, allItems);
    const segs = await segments(analytics);
    const pushesBefore = pushes.length;
    expect(pushesBefore).toBeGreaterThan(0); // the interactions did push (the recommender always changes)

    // Then 40 impressions, 8 cards each, of items both seen and never touched: one batch of 20, then 20 alone.
    const impressions = Array.from({ length: 40 }, (_, n) =>
      event('m1', { type: 'impression', listId: `l${n % 3}`, items: shown(...allItems) }, NOW - 30_000 + n),
    );
    await processor.handleBatch(impressions.slice(0, 20).map(delivered));
    for (const impression of impressions.slice(20)) await processor.handleBatch([delivered(impression)]);

    const after = await users.load('m1');
    expect(after.vector).toEqual(state.vector);
    expect(after.strength).toBe(state.strength);
    expect(after.recent).toEqual(state.recent); // the member's history lists the same events
    expect(after.recent.some((entry) => (entry.type as string) === 'impression')).toBe(false);
    expect(after.bought).toEqual(state.bought);
    expect(after.affinity).toEqual(state.affinity);
    expect(after.updatedAt).toBe(state.updatedAt);
    expect(after.firstSeenAt).toBe(state.firstSeenAt);
    expect(after.counts).toEqual({ ...state.counts, impression: 40, total: (state.counts.total ?? 0) + 40 });
    expect(await signals(stats, allItems)).toEqual(shop);
    expect(await segments(analytics)).toEqual(segs);
    expect(pushes).toHaveLength(pushesBefore);
    expect((await analytics.totals()).events).toEqual({ view: 2, purchase: 1, impression: 40 });

    const profileOptions = {
      thresholds: DEFAULT_SEGMENT_THRESHOLDS,
      affinityHalfLifeSeconds: 14 * 86_400,
      top: 5,
      priceOf: () => 10,
      catalogPrices: [10],
    };
    const profile = assembleProfile('m1', after, undefined, NOW, profileOptions);
    expect(profile).toEqual(assembleProfile('m1', { ...state, version: after.version }, undefined, NOW, profileOptions));
    expect(profile.activity.events).toBe(3);
    expect(profile.activity.eventsByType).toEqual({ view: 2, purchase: 1 });

    // A view after the impressions pairs with the session's interactions only, never with the items merely shown.
    await processor.handleBatch([delivered(event('m1', { type: 'view', itemId: 'i5' }, NOW - 10_000))]);
    const partners = (await stats.coVisited('i5', 50)).map(([itemId]) => itemId).sort();
    expect(partners).toEqual(['i1', 'i2', 'i3']);
  });

  it('a shopper who only saw cards is no shopper of any segment and has no taste, history or affinity', async () => {
    const { processor, users, stats, analytics, pushes, event } = pipeline();
    for (let n = 0; n < 38; n++)
      await processor.handleBatch([
        delivered(
          event('v9', { type: 'impression', listId: 'strip', items: shown(`i${n % 8}`, `i${(n + 1) % 8}`) }, NOW - 25_000 + n * 600),
        ),
      ]);
    const state = await users.load('v9');
    expect(state.vector).toBeNull();
    expect(state.recent).toEqual([]);
    expect(state.affinity.brands.size + state.affinity.categories.size).toBe(0);
    expect(state.updatedAt).toBe(0);
    expect(state.firstSeenAt).toBe(0);
    expect(segmentsOf(state, undefined, NOW)).toEqual([]);
    expect(await stats.popular(10)).toEqual([]);
    expect(await segments(analytics)).toEqual({
      counts: { new: 0, active: 0, lapsing: 0, big_spender: 0, brandLoyal: [], loyalBrands: 0 },
      population: { shoppers: 0, members: 0, membersByTier: { regular: 0, vip: 0, enterprise: 0 } },
    });
    expect(pushes).toEqual([]);
    expect((await analytics.totals()).events).toEqual({ impression: 38 });
    expect((await analytics.days(Math.floor(NOW / DAY_MS), Math.floor(NOW / DAY_MS))).events).toEqual({ impression: 38 });
  });
});
