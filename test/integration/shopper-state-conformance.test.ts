import { describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import { mergeEffect } from '../../engine/shoppers/logic/merge-effect.js';
import { applyShopperChange } from '../../engine/shoppers/logic/shopper-state.js';
import { AFFINITY_LIMIT, CART_LIMIT, type UserState, type UserStateChange } from '../../engine/shoppers/user-state-store.js';
import { change, expectInvalid, random, useStateSuite, vectorOf } from '../helpers/state-suite.js';

/**
 * The UserStateStore conformance suite for shopper state (affinity, cart, purchases, first seen, and
 * agreement with the event and merge effects) against the Redis adapter and the in-memory fake.
 * Events and vectors: state-conformance.test.ts.
 */
const { implementations } = useStateSuite();

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
