import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryShopAnalytics } from '../../engine/analytics/adapters/memory-shop-analytics.js';
import { RedisShopAnalytics } from '../../engine/analytics/adapters/redis-shop-analytics.js';
import { foldInteractionUpdates } from '../../engine/stream/logic/aggregate-fold.js';
import type { InteractionUpdate } from '../../engine/recommend/interaction-stats.js';
import type { AnalyticsRecord, ShopAnalytics } from '../../engine/analytics/shop-analytics.js';
import { UNTAGGED_MARKER } from '../../engine/shoppers/user-state-store.js';
import { randomPrefix } from '../helpers/redis-suite.js';
import { change, random, useStateSuite, vectorOf } from '../helpers/state-suite.js';

/**
 * The batched event path's store calls, against the Redis adapters and the in-memory fakes:
 * UserStateStore.loadMany / applyMany (markers tagged by batch), InteractionStats.recordMany and
 * ShopAnalytics.recordMany (a folded batch equals the events recorded one by one).
 */
const suite = useStateSuite();

describe.each(suite.implementations)('batched user state (%s)', (_name, make) => {
  const options = { recentLimit: 5, dedupeTtlSeconds: 3600 };

  it('loads many users with their markers in one call, tags of the batch that applied them', async () => {
    const store = make.users(options);
    const outcomes = await store.applyMany(
      [
        { userId: 'a', change: change({ eventId: 'e1', vector: vectorOf(1, 8), recent: [{ itemId: 'i1', type: 'view', ts: 1 }] }) },
        { userId: 'a', change: change({ eventId: 'e2', expectedVersion: 1, recent: [{ itemId: 'i2', type: 'click', ts: 2 }] }) },
        { userId: 'b', change: change({ eventId: 'e1', bought: ['i9'] }) },
      ],
      'b-tag1',
    );
    expect(outcomes).toEqual(['applied', 'applied', 'applied']);
    await store.apply('c', change({ eventId: 'x' }));
    const [a, b, c, none] = await store.loadMany([
      { userId: 'a', eventIds: ['e1', 'e2', 'e3'] },
      { userId: 'b', eventIds: ['e2', 'e1'] },
      { userId: 'c', eventIds: ['x'] },
      { userId: 'nobody', eventIds: [] },
    ]);
    expect(a!.markers).toEqual(['b-tag1', 'b-tag1', null]);
    expect(a!.state).toEqual(await store.load('a'));
    expect(a!.state.version).toBe(2);
    expect(a!.state.recent.map((r) => r.itemId)).toEqual(['i2', 'i1']);
    expect(b!.markers).toEqual([null, 'b-tag1']);
    expect(b!.state.bought).toEqual(new Set(['i9']));
    expect(c!.markers).toEqual([UNTAGGED_MARKER]);
    expect(none!.state).toEqual(await store.load('nobody'));
    expect(none!.markers).toEqual([]);
  });

  it('applies in order; a duplicate or a conflict does not stop the changes after it', async () => {
    const store = make.users(options);
    await store.apply('a', change({ eventId: 'old' }));
    const outcomes = await store.applyMany(
      [
        { userId: 'a', change: change({ eventId: 'old', expectedVersion: 1 }) },
        { userId: 'a', change: change({ eventId: 'stale', expectedVersion: 0 }) },
        { userId: 'b', change: change({ eventId: 'n1' }) },
        { userId: 'a', change: change({ eventId: 'next', expectedVersion: 1 }) },
      ],
      'b-tag2',
    );
    expect(outcomes).toEqual(['duplicate', 'conflict', 'applied', 'applied']);
    expect((await store.load('a')).version).toBe(2);
    expect(await store.wasApplied('a', 'stale')).toBe(false);
  });

  it("stops a chain of one user's consecutive changes at the first that is not applied", async () => {
    const store = make.users(options);
    await store.apply('a', change({ eventId: 'seen' }));
    const outcomes = await store.applyMany(
      [
        { userId: 'a', change: change({ eventId: 'seen', expectedVersion: 1 }) },
        { userId: 'a', change: change({ eventId: 'after', expectedVersion: 1 }) },
        { userId: 'b', change: change({ eventId: 'b1' }) },
        { userId: 'b', change: change({ eventId: 'b2', expectedVersion: 1 }) },
      ],
      'b-tag4',
    );
    expect(outcomes).toEqual(['duplicate', 'conflict', 'applied', 'applied']);
    expect(await store.wasApplied('a', 'after')).toBe(false);
    expect((await store.load('b')).version).toBe(2);
  });

  it("stores a run of one user's changes as the changes applied one by one (replaced vector, affinity, cart)", async () => {
    const store = make.users(options);
    const affinity = (score: number) => ({
      landmark: 5,
      categories: new Map([['c1', score]]),
      brands: new Map([['b1', score / 2]]),
      brandEvents: new Map([['b1', 1]]),
    });
    const run = [
      change({
        eventId: 'r1',
        vector: vectorOf(1, 8),
        vectorVersion: 'm1',
        affinity: affinity(1),
        cart: new Map([['i1', 1]]),
        recent: [{ itemId: 'i1', type: 'add_to_cart', ts: 1 }],
      }),
      change({
        eventId: 'r2',
        expectedVersion: 1,
        type: 'click',
        vector: vectorOf(2, 8),
        affinity: affinity(2),
        recent: [{ itemId: 'i2', type: 'click', ts: 2 }],
      }),
      change({
        eventId: 'r3',
        expectedVersion: 2,
        type: 'purchase',
        tier: 'vip',
        cart: new Map(),
        bought: ['i1'],
        purchases: { orders: 1, spend: 9.5, firstPurchaseAt: 3, lastPurchaseAt: 3 },
      }),
      change({
        eventId: 'r4',
        expectedVersion: 3,
        vector: vectorOf(3, 8),
        vectorVersion: 'm2',
        firstSeenAt: 1,
        recent: [{ itemId: 'i3', type: 'view', ts: 4 }],
      }),
    ];
    const outcomes = await store.applyMany(
      run.map((c) => ({ userId: 'batched', change: c })),
      'b-run',
    );
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied']);
    for (const c of run) expect(await store.apply('single', c)).toBe('applied');
    const [batched, single] = [await store.load('batched'), await store.load('single')];
    expect(batched).toEqual(single);
    expect(batched.vector).toEqual(vectorOf(3, 8));
    expect(batched.vectorVersion).toBe('m2');
    expect(batched.affinity.categories.get('c1')).toBe(2);
    expect(batched.cart.size).toBe(0);
    expect(batched.version).toBe(4);
    expect((await store.loadMany([{ userId: 'batched', eventIds: ['r1', 'r4'] }]))[0]!.markers).toEqual(['b-run', 'b-run']);
  });

  it('stores a run past recentLimit, a dropped vector version and repeated types as the changes one by one', async () => {
    const store = make.users(options);
    const entry = (i: number) => ({ itemId: `i${i}`, type: 'view' as const, ts: i });
    const run = [
      change({ eventId: 'q1', vector: vectorOf(4, 8), vectorVersion: 'm1', recent: [entry(2), entry(1)], bought: ['i1'] }),
      change({ eventId: 'q2', expectedVersion: 1, recent: [entry(5), entry(4), entry(3)], cart: new Map([['i3', 2]]) }),
      change({ eventId: 'q3', expectedVersion: 2, type: 'click', vector: vectorOf(5, 8), bought: ['i1', 'i2'] }),
      change({ eventId: 'q4', expectedVersion: 3, recent: [entry(7), entry(6)], strength: 3, updatedAt: 1_700_000_000_009 }),
    ];
    const outcomes = await store.applyMany(
      run.map((c) => ({ userId: 'batched', change: c })),
      'b-q',
    );
    expect(outcomes).toEqual(['applied', 'applied', 'applied', 'applied']);
    for (const c of run) expect(await store.apply('single', c)).toBe('applied');
    const [batched, single] = [await store.load('batched'), await store.load('single')];
    expect(batched).toEqual(single);
    expect(batched.recent.map((r) => r.itemId)).toEqual(['i7', 'i6', 'i5', 'i4', 'i3']);
    expect(batched.vectorVersion).toBeUndefined();
    expect(batched.counts).toEqual(single.counts);
    expect(batched.counts.view).toBe(3);
    expect(batched.counts.total).toBe(4);
  });

  it("applies a run's changes up to a later one applied before, and nothing after it", async () => {
    const store = make.users(options);
    await store.apply('a', change({ eventId: 'e0' }));
    // e2 was applied (by its own apply) before: e1 applies, e2 is a duplicate, e3 was computed on top of it.
    await store.applyMany([{ userId: 'x', change: change({ eventId: 'pad' }) }], 'b-pad');
    const outcomes = await store.applyMany(
      [
        {
          userId: 'a',
          change: change({
            eventId: 'e1',
            expectedVersion: 1,
            vector: vectorOf(4, 8),
            affinity: { landmark: 1, categories: new Map([['c', 1]]), brands: new Map(), brandEvents: new Map() },
          }),
        },
        { userId: 'a', change: change({ eventId: 'e0', expectedVersion: 2, vector: vectorOf(5, 8) }) },
        { userId: 'a', change: change({ eventId: 'e3', expectedVersion: 3, vector: vectorOf(6, 8) }) },
        { userId: 'b', change: change({ eventId: 'b1' }) },
      ],
      'b-partial',
    );
    expect(outcomes).toEqual(['applied', 'duplicate', 'conflict', 'applied']);
    const a = await store.load('a');
    expect(a.version).toBe(2);
    expect(a.vector).toEqual(vectorOf(4, 8));
    expect(a.affinity.categories.get('c')).toBe(1);
    expect(await store.wasApplied('a', 'e3')).toBe(false);
  });

  it("counts an event id repeated in one user's run once: the repeat is a duplicate, the rest of the chain a conflict", async () => {
    const store = make.users(options);
    const outcomes = await store.applyMany(
      [
        { userId: 'a', change: change({ eventId: 'x', vector: vectorOf(7, 8) }) },
        { userId: 'a', change: change({ eventId: 'y', expectedVersion: 1, vector: vectorOf(8, 8) }) },
        { userId: 'a', change: change({ eventId: 'x', expectedVersion: 2, vector: vectorOf(9, 8) }) },
        { userId: 'a', change: change({ eventId: 'z', expectedVersion: 3 }) },
      ],
      'b-repeat',
    );
    expect(outcomes).toEqual(['applied', 'applied', 'duplicate', 'conflict']);
    const a = await store.load('a');
    expect(a.version).toBe(2);
    expect(a.vector).toEqual(vectorOf(8, 8));
    expect(a.counts.total).toBe(2);
  });

  it('loads and applies nothing for empty lists', async () => {
    const store = make.users(options);
    expect(await store.loadMany([])).toEqual([]);
    expect(await store.applyMany([], 'b-tag3')).toEqual([]);
  });
});

describe.each(suite.implementations)('batched aggregates (%s)', (_name, make) => {
  const T = Date.UTC(2025, 0, 1);
  const updates = (seed: number, count: number): InteractionUpdate[] => {
    const next = random(seed);
    const item = () => `i${Math.floor(next() * 12)}`;
    return Array.from({ length: count }, (_, i) => ({
      items: [[item(), 1 + Math.floor(next() * 3)]],
      pairs: [[item(), item(), 1]],
      ...(i % 3 === 0
        ? {
            coPurchases: [[item(), item(), 0.5]] as Array<[string, string, number]>,
            boughtAfter: [[item(), item(), 1]] as Array<[string, string, number]>,
          }
        : {}),
      ts: T + Math.floor(next() * 3 * 24 * 3600 * 1000),
    }));
  };

  it('records a folded batch as the events one by one, once per batch key', async () => {
    const opts = { popularityHalfLifeSeconds: 24 * 3600, dedupeTtlSeconds: 3600 };
    const one = make.stats(opts);
    const many = make.stats(opts);
    const batch = updates(7, 40);
    for (const [i, update] of batch.entries()) await one.record(`e${i}`, update);
    expect(await many.wasRecorded('batch-1')).toBe(false);
    expect(await many.recordMany('batch-1', batch)).toBe(true);
    expect(await many.recordMany('batch-1', batch)).toBe(false);
    expect(await many.wasRecorded('batch-1')).toBe(true);
    const close = (a: Array<[string, number]>, b: Array<[string, number]>) => {
      expect(a.map(([id]) => id).sort()).toEqual(b.map(([id]) => id).sort());
      const scores = new Map(b);
      for (const [id, score] of a) expect(score).toBeCloseTo(scores.get(id)!, 9);
    };
    close(await many.popular(20), await one.popular(20));
    for (let i = 0; i < 12; i++) {
      close(await many.coVisited(`i${i}`, 50), await one.coVisited(`i${i}`, 50));
      close(await many.coPurchased(`i${i}`, 50), await one.coPurchased(`i${i}`, 50));
      close(await many.boughtAfter(`i${i}`, 50), await one.boughtAfter(`i${i}`, 50));
    }
  });

  it('folds symmetric pairs in either order and keeps bought-after one way (pure fold)', () => {
    const folded = foldInteractionUpdates(
      [
        { items: [['a', 1]], pairs: [['a', 'b', 1]], boughtAfter: [['a', 'b', 1]], ts: 2000 },
        {
          items: [['a', 1]],
          pairs: [
            ['b', 'a', 2],
            ['c', 'c', 5],
          ],
          boughtAfter: [['b', 'a', 1]],
          ts: 1000,
        },
      ],
      1000,
      Number.MAX_SAFE_INTEGER,
    )!;
    expect(folded.ts).toBe(2000);
    // The older event's weight is pre-scaled by 2^((1000 - 2000) / 1000) = 0.5.
    expect(folded.items).toEqual([['a', 1.5]]);
    expect(folded.pairs).toEqual([['a', 'b', 3]]);
    expect(folded.boughtAfter).toEqual([
      ['a', 'b', 1],
      ['b', 'a', 1],
    ]);
    expect(foldInteractionUpdates([], 1000, 0)).toBeUndefined();
  });
});

describe('batched shop analytics', () => {
  const redis = (): Redis => suite.redis();
  const implementations: Array<[string, () => ShopAnalytics]> = [
    ['memory', () => new MemoryShopAnalytics({ dedupeTtlSeconds: 3600 })],
    ['redis', () => new RedisShopAnalytics(redis(), { dedupeTtlSeconds: 3600, keyPrefix: randomPrefix() })],
  ];
  const T0 = Date.UTC(2024, 0, 10, 12);
  const record = (
    userId: string,
    i: number,
    version: number,
    type: 'view' | 'purchase',
    total: number,
    memberCreatedAt?: number,
  ): AnalyticsRecord => ({
    userId,
    eventKey: `${userId}/e${i}`,
    counters: { type, ts: T0 + i * 3600_000, total },
    shopper: {
      version,
      lastEventAt: T0 + i,
      firstSeenAt: T0,
      orders: total > 0 ? 1 : 0,
      spend: total,
      lastPurchaseAt: total > 0 ? T0 + i : 0,
      loyalBrands: version > 2 ? ['acme'] : [],
      tier: 'regular',
    },
    ...(memberCreatedAt !== undefined ? { memberCreatedAt } : {}),
  });

  it.each(implementations)('%s: a batch counts as its records one by one, once per batch key', async (_name, create) => {
    const batch = [
      record('u1', 0, 1, 'view', 0),
      record('u1', 1, 2, 'purchase', 12.5, T0 - 5),
      record('u2', 2, 1, 'purchase', -2),
      record('u1', 30, 3, 'view', 0),
    ];
    const one = create();
    const many = create();
    for (const r of batch) await one.record(r);
    expect(await many.recordMany('b-x', batch)).toBe(true);
    expect(await many.recordMany('b-x', batch)).toBe(false);
    expect(await many.wasRecorded('b-x')).toBe(true);
    expect(await many.totals()).toEqual(await one.totals());
    const hour = Math.floor(T0 / 3600_000);
    expect(await many.hours(hour - 1, hour + 40)).toEqual(await one.hours(hour - 1, hour + 40));
    expect(await many.hours(hour + 30, hour + 30)).toEqual(await one.hours(hour + 30, hour + 30));
    expect(await many.population()).toEqual(await one.population());
    const ranges = { newAfter: T0 - 100, activeFrom: T0, lapsingFrom: 0, lapsingTo: T0 + 10 ** 9, bigSpenderFrom: 10 };
    expect(await many.segmentCounts(ranges, 10)).toEqual(await one.segmentCounts(ranges, 10));
  });
});
