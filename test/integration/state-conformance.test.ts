import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { RedisUserStateStore } from '../../engine/shoppers/adapters/redis-user-state-store.js';
import { RedisInteractionStats } from '../../engine/recommend/adapters/redis-interaction-stats.js';
import { RedisPartitionLeases } from '../../engine/stream/adapters/redis-partition-leases.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import { mergeEffect } from '../../engine/shoppers/logic/merge-effect.js';
import { applyShopperChange } from '../../engine/shoppers/logic/shopper-state.js';
import { AFFINITY_LIMIT, CART_LIMIT, type UserState, type UserStateChange } from '../../engine/shoppers/user-state-store.js';
import { randomPrefix } from '../helpers/redis-suite.js';
import { bytes, change, expectInvalid, random, useStateSuite, vectorOf } from '../helpers/state-suite.js';

/**
 * The UserStateStore conformance suite (events, vectors, shopper state) against the Redis adapter
 * and the in-memory fake, and the Redis adapters' storage details. InteractionStats and
 * PartitionLeases: stats-leases-conformance.test.ts.
 */
const suite = useStateSuite();
const { implementations } = suite;
const prefix = randomPrefix;

describe.each(implementations)('UserStateStore conformance (%s)', (_name, make) => {
  const options = { recentLimit: 5, dedupeTtlSeconds: 3600 };

  it('returns an empty state for an unknown user', async () => {
    const store = make.users(options);
    expect(await store.load('nobody')).toEqual({
      vector: null,
      strength: 0,
      updatedAt: 0,
      version: 0,
      recent: [],
      bought: new Set(),
      counts: {},
      tier: 'regular',
      affinity: { landmark: 0, categories: new Map(), brands: new Map(), brandEvents: new Map() },
      cart: new Map(),
      purchases: { orders: 0, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 },
      firstSeenAt: 0,
    });
    expect(await store.wasApplied('nobody', 'e1')).toBe(false);
    expect(await store.tier('nobody')).toBe('regular');
  });

  it('stores what apply wrote and load reads it back exactly', async () => {
    const store = make.users(options);
    const vector = vectorOf(7, 64);
    // edge values whose bytes must survive: negative zero, a subnormal, the largest float
    vector.set([-0, 1e-40, 3.4028234663852886e38], 0);
    const first = change({
      eventId: 'e1',
      type: 'purchase',
      vector,
      strength: 1.2345678901234567,
      updatedAt: 1_700_000_000_123,
      recent: [
        { itemId: 'i3', type: 'purchase', ts: 1_700_000_000_123 },
        { itemId: 'i2|odd', type: 'purchase', ts: 1_700_000_000_122 },
      ],
      bought: ['i3', 'i2|odd'],
      tier: 'vip',
    });
    expect(await store.apply('u1', first)).toBe('applied');
    const afterFirst = await store.load('u1');
    expect(afterFirst.vector).not.toBeNull();
    expect(bytes(afterFirst.vector as Float32Array).equals(bytes(vector))).toBe(true);
    expect(afterFirst.strength).toBe(1.2345678901234567);
    expect(afterFirst.updatedAt).toBe(1_700_000_000_123);
    expect(afterFirst.version).toBe(1);
    expect(afterFirst.tier).toBe('vip');
    expect(await store.tier('u1')).toBe('vip');
    expect(afterFirst.counts).toEqual({ purchase: 1, total: 1 });
    expect(afterFirst.bought).toEqual(new Set(['i3', 'i2|odd']));
    expect(afterFirst.recent).toEqual(first.recent);

    // no vector, no tier: both are kept; recent is trimmed to the newest 5
    const recent = [5, 4, 3, 2].map((n) => ({ itemId: `v${n}`, type: 'view' as const, ts: 1_700_000_001_000 + n }));
    expect(
      await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1, strength: 2.5, updatedAt: 1_700_000_001_005, recent })),
    ).toBe('applied');
    const afterSecond = await store.load('u1');
    expect(bytes(afterSecond.vector as Float32Array).equals(bytes(vector))).toBe(true);
    expect(afterSecond.version).toBe(2);
    expect(afterSecond.strength).toBe(2.5);
    expect(afterSecond.tier).toBe('vip');
    expect(afterSecond.counts).toEqual({ purchase: 1, view: 1, total: 2 });
    expect(afterSecond.recent.map((r) => r.itemId)).toEqual(['v5', 'v4', 'v3', 'v2', 'i3']);
    expect(await store.wasApplied('u1', 'e1')).toBe(true);
    expect(await store.wasApplied('u1', 'e2')).toBe(true);
    expect(await store.wasApplied('u2', 'e1')).toBe(false);

    // a new vector replaces the old one
    const replacement = vectorOf(8, 64);
    expect(await store.apply('u1', change({ eventId: 'e3', expectedVersion: 2, vector: replacement, tier: 'enterprise' }))).toBe('applied');
    const afterThird = await store.load('u1');
    expect(bytes(afterThird.vector as Float32Array).equals(bytes(replacement))).toBe(true);
    expect(afterThird.tier).toBe('enterprise');
    expect(await store.tier('u1')).toBe('enterprise');
  });

  it('answers duplicate for an applied event id and changes nothing', async () => {
    const store = make.users(options);
    await store.apply('u1', change({ eventId: 'e1', vector: vectorOf(1, 16), recent: [{ itemId: 'a', type: 'view', ts: 1 }] }));
    const before = await store.load('u1');
    const again = change({
      eventId: 'e1',
      expectedVersion: 1,
      vector: vectorOf(2, 16),
      strength: 9,
      bought: ['x'],
      tier: 'vip',
      affinity: { landmark: 5, categories: new Map([['home', 3]]), brands: new Map([['lumo', 3]]), brandEvents: new Map([['lumo', 1]]) },
      cart: new Map([['x', 2]]),
      purchases: { orders: 1, spend: 10, firstPurchaseAt: 5, lastPurchaseAt: 5 },
      firstSeenAt: 5,
    });
    expect(await store.apply('u1', again)).toBe('duplicate');
    expect(await store.load('u1')).toEqual(before);
  });

  it('answers conflict for a stale expectedVersion and changes nothing', async () => {
    const store = make.users(options);
    expect(await store.apply('u1', change({ eventId: 'e0', expectedVersion: 3 }))).toBe('conflict');
    expect(await store.load('u1')).toEqual(await make.users(options).load('u1'));
    expect(await store.wasApplied('u1', 'e0')).toBe(false);

    await store.apply('u1', change({ eventId: 'e1', bought: ['a'] }));
    const before = await store.load('u1');
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 0, vector: vectorOf(3, 8), bought: ['b'] }))).toBe('conflict');
    expect(await store.load('u1')).toEqual(before);
    expect(await store.wasApplied('u1', 'e2')).toBe(false);
    // the conflicting event was not marked: retried with the right version it applies
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1, bought: ['b'] }))).toBe('applied');
    expect((await store.load('u1')).bought).toEqual(new Set(['a', 'b']));
  });

  it('applies one of 20 concurrent applies of the same event id', async () => {
    const store = make.users(options);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.apply('u1', change({ eventId: 'same' }))));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(19);
    const state = await store.load('u1');
    expect(state.version).toBe(1);
    expect(state.counts.total).toBe(1);
  });

  it('applies one of 20 concurrent applies expecting the same version', async () => {
    const store = make.users(options);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.apply('u1', change({ eventId: `e${i}` }))));
    expect(outcomes.filter((o) => o === 'applied')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'conflict')).toHaveLength(19);
    expect((await store.load('u1')).version).toBe(1);
  });

  it('rejects bad input with invalid_request and writes nothing', async () => {
    const store = make.users(options);
    await expectInvalid(store.load('bad{id}'));
    await expectInvalid(store.apply('bad id', change({ eventId: 'e1' })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', vector: Float32Array.of(1, Number.NaN) })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', expectedVersion: -1 })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', type: 'wink' as never })));
    await expectInvalid(store.apply('u1', change({ eventId: '' })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', recent: [{ itemId: 'a', type: 'view', ts: 1.5 }] })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', tier: 'gold' as never })));
    expect(await store.wasApplied('u1', 'e1')).toBe(false);
    expect((await store.load('u1')).version).toBe(0);
    expect(() => make.users({ recentLimit: 0, dedupeTtlSeconds: 10 })).toThrow(PulseError);
  });

  it('forgets an event id after dedupeTtlSeconds', async () => {
    const store = make.users({ recentLimit: 5, dedupeTtlSeconds: 1 });
    await store.apply('u1', change({ eventId: 'e1' }));
    expect(await store.wasApplied('u1', 'e1')).toBe(true);
    await sleep(1200);
    expect(await store.wasApplied('u1', 'e1')).toBe(false);
  });
});

describe.each(implementations)('UserStateStore conformance: shopper state (%s)', (_name, make) => {
  const options = { recentLimit: 5, dedupeTtlSeconds: 3600 };
  const T = 1_700_000_000_000;
  const shopperOf = (state: UserState) => ({
    affinity: state.affinity,
    cart: state.cart,
    purchases: state.purchases,
    firstSeenAt: state.firstSeenAt,
  });

  it('stores affinity, cart, purchases and first seen exactly, and keeps what a change leaves out', async () => {
    const store = make.users(options);
    // doubles whose digits must survive, keys a plain object or a separator would break
    const affinity = {
      landmark: T + 0.5,
      categories: new Map([
        ['home', 0.1 + 0.2],
        ['home/lamps', 1e-300],
        ['garden', -1.5],
        ['a"b\\c', 2 ** -1074],
      ]),
      brands: new Map([
        ['lumo', 5 / 3],
        ['__proto__', 2],
        ['ünï|çødé', 1],
      ]),
      brandEvents: new Map([
        ['lumo', 2],
        ['__proto__', 1],
        ['ünï|çødé', 1],
      ]),
    };
    const first = change({
      eventId: 'e1',
      type: 'purchase',
      affinity,
      cart: new Map([
        ['i1', 2],
        ['__proto__', 1],
      ]),
      purchases: { orders: 1, spend: 19.9 * 3, firstPurchaseAt: T, lastPurchaseAt: T },
      firstSeenAt: T - 86_400_000,
    });
    expect(await store.apply('u1', first)).toBe('applied');
    let state = await store.load('u1');
    expect(shopperOf(state)).toEqual({ affinity, cart: first.cart, purchases: first.purchases, firstSeenAt: T - 86_400_000 });

    const moves: UserStateChange[] = [
      change({ eventId: 'e2', expectedVersion: 1, cart: new Map([['i2', 3]]), firstSeenAt: T - 2 * 86_400_000 }),
      change({
        eventId: 'e3',
        expectedVersion: 2,
        affinity: { landmark: T + 64e6, categories: new Map([['home', 7]]), brands: new Map(), brandEvents: new Map() },
      }),
      change({
        eventId: 'e4',
        expectedVersion: 3,
        cart: new Map(),
        purchases: { orders: 1, spend: -0.1, firstPurchaseAt: T, lastPurchaseAt: T },
      }),
    ];
    for (const move of moves) {
      const expected = applyShopperChange(shopperOf(state), move);
      expect(await store.apply('u1', move)).toBe('applied');
      state = await store.load('u1');
      expect(shopperOf(state)).toEqual(expected);
    }
    expect(state.cart).toEqual(new Map());
    expect(state.affinity.brands).toEqual(new Map());
    expect(state.firstSeenAt).toBe(T - 2 * 86_400_000);
  });

  it(`keeps at most ${AFFINITY_LIMIT} brands and categories: the effect drops the lowest, with a dropped brand's count`, async () => {
    const store = make.users(options);
    const catalog = new Map(Array.from({ length: 80 }, (_, i) => [`i${i}`, { category: `c${i}`, brand: `b${i}` }]));
    const vectors = { item: () => Float32Array.of(1, 0), text: () => Float32Array.of(0, 1) };
    const effectOptions = {
      tasteHalfLifeSeconds: 3600,
      sessionGapSeconds: 1800,
      coVisitWindow: 5,
      recentLimit: 5,
      affinityHalfLifeSeconds: 3600,
    };
    const context = { itemAttributes: (id: string) => catalog.get(id) };
    const basket = (id: string, from: number, to: number, ts: number) =>
      ({
        id,
        userId: 'u1',
        ts,
        receivedAt: ts,
        type: 'purchase',
        items: Array.from({ length: to - from }, (_, i) => ({ itemId: `i${from + i}`, quantity: 1, price: 1 })),
      }) as StoredEvent;
    for (const event of [basket('p1', 0, 70, T), basket('p2', 70, 76, T + 60_000), basket('p3', 3, 4, T + 120_000)]) {
      const effect = eventEffect(await store.load('u1'), event, vectors, effectOptions, context);
      expect(await store.apply('u1', effect.change)).toBe('applied');
      expect(await store.load('u1')).toEqual(effect.next);
    }
    const { affinity } = await store.load('u1');
    expect(affinity.brands.size).toBe(AFFINITY_LIMIT);
    expect(affinity.categories.size).toBe(AFFINITY_LIMIT);
    expect([...affinity.brandEvents.keys()].sort()).toEqual([...affinity.brands.keys()].sort());
    // the later, stronger brands stay; the oldest basket's lowest ones went
    expect(['b75', 'b70', 'b3'].every((brand) => affinity.brands.has(brand))).toBe(true);
    expect(Array.from({ length: 70 }, (_, i) => `b${i}`).filter((brand) => !affinity.brands.has(brand))).toHaveLength(
      70 + 6 - AFFINITY_LIMIT,
    );
  });

  it('agrees with the effect of every event, merge included, and counts a repeated event id once', async () => {
    const store = make.users({ recentLimit: 20, dedupeTtlSeconds: 3600 });
    const catalog: Record<string, { category: string; brand?: string }> = {
      lamp: { category: 'Home > Lamps', brand: 'Lumo' },
      desk: { category: 'home/lamps/desk', brand: 'lumo ' },
      sofa: { category: 'home/sofas', brand: 'Cosy' },
      rake: { category: 'Garden/Tools' },
      shoe: { category: 'sport/shoes', brand: 'Stride' },
    };
    const ids = Object.keys(catalog);
    const vectors = { item: (id: string) => (catalog[id] ? vectorOf(ids.indexOf(id) + 1, 8) : undefined), text: () => vectorOf(99, 8) };
    // a 10-minute half-life over ~a day of events: the landmark has to move (rescale) on the way
    const effectOptions = {
      tasteHalfLifeSeconds: 3600,
      sessionGapSeconds: 1800,
      coVisitWindow: 5,
      recentLimit: 20,
      affinityHalfLifeSeconds: 600,
    };
    const context = { itemAttributes: (id: string) => catalog[id] };
    const next = random(42);
    const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
    let rescaled = 0;
    let ts = T;
    const events: StoredEvent[] = [];
    for (let i = 0; i < 80; i++) {
      ts += Math.floor(next() * 40 * 60_000);
      const itemId = pick(ids);
      const lines = [
        { itemId, quantity: 1 + Math.floor(next() * 3), price: 9.99 },
        { itemId: pick(ids), quantity: 1, price: 19.5 },
      ];
      const shapes: Array<Record<string, unknown>> = [
        { type: 'view', itemId },
        { type: 'dislike', itemId },
        { type: 'like', itemId },
        { type: 'add_to_cart', itemId },
        { type: 'add_to_cart', itemId, items: lines },
        { type: 'remove_from_cart', itemId },
        { type: 'purchase', items: lines },
        { type: 'purchase', items: lines.map((line) => ({ ...line, quantity: -line.quantity })) },
        { type: 'search', query: 'lamp', itemId },
      ];
      events.push({ id: `e${i}`, userId: i % 5 === 0 ? 'v1' : 'm1', ts, receivedAt: ts, ...pick(shapes) } as StoredEvent);
    }
    for (const event of events) {
      const before = await store.load(event.userId);
      const effect = eventEffect(before, event, vectors, effectOptions, context);
      if (before.affinity.landmark !== 0 && effect.next.affinity.landmark !== before.affinity.landmark) rescaled++;
      expect(await store.apply(event.userId, effect.change)).toBe('applied');
      expect(await store.load(event.userId)).toEqual(effect.next);
      // the same event id again (a redelivery) changes nothing
      expect(await store.apply(event.userId, { ...effect.change, expectedVersion: effect.next.version })).toBe('duplicate');
      expect(await store.load(event.userId)).toEqual(effect.next);
    }
    expect(rescaled).toBeGreaterThan(0);

    const merge = { type: 'merge' as const, id: 'merge:v1', userId: 'm1', fromUserId: 'v1', ts: ts + 1, receivedAt: ts + 1 };
    const [member, visitor] = [await store.load('m1'), await store.load('v1')];
    expect(visitor.affinity.brands.size + visitor.purchases.orders + visitor.cart.size).toBeGreaterThan(0);
    const merged = mergeEffect(member, visitor, merge, vectors, effectOptions);
    expect(merged.change.affinity).toBeDefined();
    expect(await store.apply('m1', merged.change)).toBe('applied');
    expect(await store.load('m1')).toEqual(merged.next);
    expect(merged.next.purchases.orders).toBe(member.purchases.orders + visitor.purchases.orders);
  });

  it('rejects malformed shopper fields with invalid_request and writes nothing', async () => {
    const store = make.users(options);
    const affinity = {
      landmark: T,
      categories: new Map<string, number>(),
      brands: new Map<string, number>(),
      brandEvents: new Map<string, number>(),
    };
    const many = new Map(Array.from({ length: AFFINITY_LIMIT + 1 }, (_, i) => [`k${i}`, 1]));
    const purchases = { orders: 1, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 };
    await expectInvalid(
      store.apply('u1', change({ eventId: 'e1', affinity: { ...affinity, categories: new Map([['home', Number.NaN]]) } })),
    );
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', affinity: { ...affinity, brands: many } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', affinity: { ...affinity, brands: new Map([['', 1]]) } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', affinity: { ...affinity, brandEvents: new Map([['lumo', 1.5]]) } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', affinity: { ...affinity, landmark: -1 } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', cart: new Map([['i1', 0]]) })));
    await expectInvalid(
      store.apply('u1', change({ eventId: 'e1', cart: new Map(Array.from({ length: CART_LIMIT + 1 }, (_, i) => [`i${i}`, 1])) })),
    );
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', purchases: { ...purchases, orders: -1 } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', purchases: { ...purchases, spend: Infinity } })));
    await expectInvalid(store.apply('u1', change({ eventId: 'e1', firstSeenAt: 1.5 })));
    expect(await store.wasApplied('u1', 'e1')).toBe(false);
    expect(await store.load('u1')).toEqual(await make.users(options).load('u1'));
  });
});

describe('Redis adapters: storage details', () => {
  it('keeps every key of a user under its hash tag, the vector as Float32 LE bytes', async () => {
    const keyPrefix = prefix();
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix });
    const vector = vectorOf(11, 3);
    await store.apply('u:1', change({ eventId: 'e1', vector, recent: [{ itemId: 'a', type: 'view', ts: 5 }], bought: ['a'] }));
    const keys = (await suite.redis().keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual(['bought', 'ev:e1', 'recent', 'st', 'vec'].map((k) => `${keyPrefix}u:{u:1}:${k}`));
    const stored = await suite.redis().getBuffer(`${keyPrefix}u:{u:1}:vec`);
    expect(stored?.length).toBe(12);
    expect([0, 1, 2].map((i) => stored?.readFloatLE(i * 4))).toEqual([...vector]);
    const ttl = await suite.redis().ttl(`${keyPrefix}u:{u:1}:ev:e1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60);
  });

  it("keeps affinity and the cart in their own keys under the user's hash tag, an empty cart as none", async () => {
    const keyPrefix = prefix();
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix });
    const affinity = {
      landmark: 5,
      categories: new Map([['home', 1]]),
      brands: new Map([['lumo', 0.1]]),
      brandEvents: new Map([['lumo', 1]]),
    };
    await store.apply(
      'u:1',
      change({
        eventId: 'e1',
        affinity,
        cart: new Map([['a', 2]]),
        purchases: { orders: 1, spend: 3, firstPurchaseAt: 5, lastPurchaseAt: 5 },
        firstSeenAt: 5,
      }),
    );
    const key = (name: string) => `${keyPrefix}u:{u:1}:${name}`;
    expect((await suite.redis().keys(`${keyPrefix}*`)).sort()).toEqual(['aff', 'cart', 'ev:e1', 'st'].map(key));
    expect(JSON.parse((await suite.redis().get(key('aff')))!)).toEqual({ l: 5, c: [['home', 1]], b: [['lumo', 0.1]], n: [['lumo', 1]] });
    expect(await suite.redis().get(key('cart'))).toBe('[["a",2]]');
    expect(await suite.redis().hmget(key('st'), 'orders', 'spend', 'firstSeenAt')).toEqual(['1', '3', '5']);
    await store.apply('u:1', change({ eventId: 'e2', expectedVersion: 1, cart: new Map() }));
    expect(await suite.redis().exists(key('cart'))).toBe(0);
    // a value another version wrote that this one cannot read counts as none, not as a failure
    await suite.redis().set(key('aff'), '{"l":');
    expect((await store.load('u:1')).affinity).toEqual({ landmark: 0, categories: new Map(), brands: new Map(), brandEvents: new Map() });
  });

  it('recovers when the server forgot its scripts (NOSCRIPT falls back to EVAL)', async () => {
    const store = new RedisUserStateStore(suite.redis(), { recentLimit: 5, dedupeTtlSeconds: 60, keyPrefix: prefix() });
    const stats = new RedisInteractionStats(suite.redis(), { popularityHalfLifeSeconds: 3600, dedupeTtlSeconds: 60, keyPrefix: prefix() });
    await store.apply('u1', change({ eventId: 'e1' }));
    await suite.redis().script('FLUSH');
    expect(await store.apply('u1', change({ eventId: 'e2', expectedVersion: 1 }))).toBe('applied');
    await suite.redis().script('FLUSH');
    expect(await stats.record('e1', { items: [['a', 1]], pairs: [], ts: Date.now() })).toBe(true);
  });

  it('reports a lost connection as unavailable', async () => {
    const lost = new Redis(suite.redisUrl(), { maxRetriesPerRequest: 0, lazyConnect: true, enableOfflineQueue: false });
    const store = new RedisUserStateStore(lost, { recentLimit: 5, dedupeTtlSeconds: 60 });
    const err = await store.load('u1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PulseError);
    expect((err as PulseError).code).toBe('unavailable');
    lost.disconnect();
  });

  it('rejects a key prefix that would break the hash tags', () => {
    expect(() => new RedisPartitionLeases(suite.redis(), { keyPrefix: 'a{b}' })).toThrow(PulseError);
  });
});
