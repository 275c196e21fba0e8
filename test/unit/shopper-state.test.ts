import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { StoredEvent, StoredMergeEvent } from '../../engine/contracts/schemas.js';
import { topBrands, topCategories } from '../../engine/shoppers/logic/affinity.js';
import { eventEffect, type EffectOptions } from '../../engine/shoppers/logic/event-effect.js';
import { mergeEffect } from '../../engine/shoppers/logic/merge-effect.js';
import { CART_MAX_QUANTITY, cartAfter } from '../../engine/shoppers/logic/shopper-state.js';
import type { ItemAttributes } from '../../engine/campaigns/logic/triggers.js';
import { AFFINITY_LIMIT, CART_LIMIT, type UserState } from '../../engine/shoppers/user-state-store.js';
import type { OrderStatus, StoredOrderEvent } from '../../engine/contracts/orders.js';
import { orderEventId } from '../../engine/contracts/order-keys.js';
import { orderEffect } from '../../engine/members/order-effect.js';

const HALF_LIFE = 3600;
const H = HALF_LIFE * 1000;
const T = 1_700_000_000_000;
const options: EffectOptions = {
  tasteHalfLifeSeconds: 3600,
  sessionGapSeconds: 1800,
  coVisitWindow: 5,
  recentLimit: 50,
  affinityHalfLifeSeconds: HALF_LIFE,
};
const catalog: Record<string, ItemAttributes> = {
  lamp: { category: 'Home > Lamps', brand: 'Lumo' },
  desk: { category: 'home/lamps/desk', brand: ' LUMO' },
  sofa: { category: 'home/sofas', brand: 'Cosy' },
  rake: { category: 'Garden/Tools' },
  shoe: { category: 'sport/shoes', brand: 'Stride' },
};
const context = { itemAttributes: (itemId: string) => catalog[itemId] };
const unit = Float32Array.of(1, 0, 0, 0);
const vectors = { item: () => unit, text: () => unit };
let n = 0;
const event = (ts: number, fields: Record<string, unknown>) =>
  ({ id: `e${++n}`, userId: 'u1', ts, receivedAt: ts, ...fields }) as StoredEvent;
const line = (itemId: string, quantity: number, price = 10) => ({ itemId, quantity, price });

/** A shop's order status with the money it moved (the points stage's `EventRun.order`). */
type Money = { order: StoredOrderEvent; amount: number };
const order = (ts: number, orderId: string, status: OrderStatus, amount: number): Money => ({
  order: { type: 'order', id: orderEventId(orderId, status, []), userId: 'u1', orderId, status, lines: [], ts, receivedAt: ts },
  amount,
});

/** Applies the events in order, as the processor does (each effect's `next` is the state the store would load). */
function replay(events: Array<StoredEvent | Money>, start: UserState = emptyUserState()): UserState {
  return events.reduce(
    (state, e) =>
      'order' in e && 'amount' in e
        ? orderEffect(state, e.order, e.amount).next
        : eventEffect(state, e as StoredEvent, vectors, options, context).next,
    start,
  );
}
const weights = (list: Array<{ key: string; weight: number }>) => Object.fromEntries(list.map(({ key, weight }) => [key, weight]));

describe('affinity from events', () => {
  it('scores every level of the category path and the brand (trimmed, lower-cased) with the event weight', () => {
    const effect = eventEffect(emptyUserState(), event(T, { type: 'like', itemId: 'lamp' }), vectors, options, context);
    expect(effect.change.affinity).toEqual({
      landmark: T,
      categories: new Map([
        ['home', 4],
        ['home/lamps', 4],
      ]),
      brands: new Map([['lumo', 4]]),
      brandEvents: new Map([['lumo', 1]]),
    });
    const state = replay([event(T + 1000, { type: 'view', itemId: 'desk' })], effect.next);
    expect(state.affinity.brandEvents.get('lumo')).toBe(2);
    expect(weights(topCategories(state.affinity, T + 1000, HALF_LIFE, 10))).toEqual({
      home: expect.closeTo(4 * 2 ** (-1000 / H) + 1, 12),
      'home/lamps': expect.closeTo(4 * 2 ** (-1000 / H) + 1, 12),
      'home/lamps/desk': expect.closeTo(1, 12),
    });
  });

  it('decays with the half-life: an older interest weighs half after one half-life', () => {
    const state = replay([event(T, { type: 'view', itemId: 'lamp' }), event(T + H, { type: 'view', itemId: 'sofa' })]);
    expect(topBrands(state.affinity, T + H, HALF_LIFE, 5)).toEqual([
      { key: 'cosy', weight: expect.closeTo(1, 12) },
      { key: 'lumo', weight: expect.closeTo(0.5, 12) },
    ]);
    // read a day later, every weight has decayed by the same factor: the order holds
    const later = topCategories(state.affinity, T + H + 24 * H, HALF_LIFE, 3);
    expect(later.map((entry) => entry.key)).toEqual(['home', 'home/sofas', 'home/lamps']);
    expect(later[0]!.weight).toBeCloseTo(1.5 * 2 ** -24, 12);
  });

  it('subtracts for negative types without counting them as brand events', () => {
    const state = replay([
      event(T, { type: 'view', itemId: 'lamp' }),
      event(T, { type: 'view', itemId: 'shoe' }),
      event(T, { type: 'dislike', itemId: 'lamp' }),
      event(T, { type: 'remove_from_cart', itemId: 'shoe' }),
    ]);
    expect(state.affinity.brands).toEqual(
      new Map([
        ['lumo', -2],
        ['stride', 0],
      ]),
    );
    expect(state.affinity.brandEvents).toEqual(
      new Map([
        ['lumo', 1],
        ['stride', 1],
      ]),
    );
    expect(topBrands(state.affinity, T, HALF_LIFE, 3)).toEqual([]);
  });

  it('shares a purchase weight over its lines as weight/sqrt(lines); a cancellation scores nothing', () => {
    const effect = eventEffect(
      emptyUserState(),
      event(T, { type: 'purchase', items: [line('lamp', 1), line('sofa', 2), line('rake', 1), line('shoe', 1)] }),
      vectors,
      options,
      context,
    );
    expect(effect.change.affinity!.brands).toEqual(
      new Map([
        ['lumo', 2.5],
        ['cosy', 2.5],
        ['stride', 2.5],
      ]),
    );
    expect(effect.change.affinity!.categories.get('home')).toBe(5);
    const cancelled = eventEffect(effect.next, event(T, { type: 'purchase', items: [line('lamp', -1)] }), vectors, options, context);
    expect(cancelled.change.affinity).toBeUndefined();
  });

  it('learns nothing for items the catalog does not know, or without a catalog', () => {
    expect(
      eventEffect(emptyUserState(), event(T, { type: 'view', itemId: 'gone' }), vectors, options, context).change.affinity,
    ).toBeUndefined();
    expect(eventEffect(emptyUserState(), event(T, { type: 'view', itemId: 'lamp' }), vectors, options).change.affinity).toBeUndefined();
    expect(
      eventEffect(emptyUserState(), event(T, { type: 'search', query: 'lamp' }), vectors, options, context).change.affinity,
    ).toBeUndefined();
  });

  it('moves the landmark by whole half-lives past 64 of them, scaling the old scores exactly', () => {
    const first = replay([event(T, { type: 'view', itemId: 'lamp' })]);
    const effect = eventEffect(first, event(T + 100.5 * H, { type: 'view', itemId: 'sofa' }), vectors, options, context);
    expect(effect.change.affinity!.landmark).toBe(T + 100 * H);
    expect(effect.next.affinity.brands.get('lumo')).toBe(2 ** -100);
    expect(weights(topBrands(effect.next.affinity, T + 100.5 * H, HALF_LIFE, 2))).toEqual({
      cosy: expect.closeTo(1, 12),
      lumo: expect.closeTo(2 ** -100.5, 40),
    });
  });

  it(`keeps ${AFFINITY_LIMIT} entries per map: the lowest scores go (ties: the later key), a dropped brand loses its count`, () => {
    const brands = new Map(Array.from({ length: AFFINITY_LIMIT }, (_, i) => [`b${String(i).padStart(2, '0')}`, i < 2 ? 0.5 : 10 + i]));
    const state: UserState = {
      ...emptyUserState(),
      affinity: { landmark: T, categories: new Map(), brands, brandEvents: new Map([...brands.keys()].map((b) => [b, 3])) },
    };
    // two new brands: 'new1' outscores the two lowest, 'new0' ties them and goes with 'b01'
    const shop: Record<string, ItemAttributes> = { x: { category: 'c', brand: 'new1' }, y: { category: 'c', brand: 'new0' } };
    const view = (ts: number, itemId: string) =>
      eventEffect(state, event(ts, { type: 'view', itemId }), vectors, options, { itemAttributes: (id) => shop[id] });
    const stronger = view(T, 'x');
    expect([...brands.keys()].filter((brand) => !stronger.next.affinity.brands.has(brand))).toEqual(['b01']);
    expect(stronger.next.affinity.brands.size).toBe(AFFINITY_LIMIT);
    expect(stronger.next.affinity.brandEvents.has('b01')).toBe(false);
    expect(stronger.next.affinity.brandEvents.get('new1')).toBe(1);
    const tied = view(T - H, 'y');
    // 'new0' scores 0.5 (one half-life before the landmark): it ties the lowest and, the later key, is not kept
    expect(tied.next.affinity.brands).toEqual(brands);
    expect(tied.next.affinity.brandEvents.has('new0')).toBe(false);
  });
});

describe('cart from events', () => {
  it('adds lines or the item once, removes quantities or the whole line, and a purchase empties what it bought', () => {
    const steps: Array<[Record<string, unknown>, Array<[string, number]>]> = [
      [{ type: 'add_to_cart', itemId: 'lamp' }, [['lamp', 1]]],
      [
        { type: 'add_to_cart', itemId: 'lamp', items: [line('lamp', 2), line('sofa', 1), line('rake', 0)] },
        [
          ['lamp', 3],
          ['sofa', 1],
        ],
      ],
      [
        { type: 'remove_from_cart', itemId: 'lamp', items: [line('lamp', 1)] },
        [
          ['lamp', 2],
          ['sofa', 1],
        ],
      ],
      [{ type: 'remove_from_cart', itemId: 'sofa' }, [['lamp', 2]]],
      [{ type: 'remove_from_cart', itemId: 'shoe' }, [['lamp', 2]]],
      [
        { type: 'add_to_cart', itemId: 'shoe' },
        [
          ['lamp', 2],
          ['shoe', 1],
        ],
      ],
      [{ type: 'purchase', items: [line('lamp', 1), line('rake', 1)] }, [['shoe', 1]]],
      [{ type: 'purchase', items: [line('lamp', -1)] }, [['shoe', 1]]],
    ];
    let state = emptyUserState();
    for (const [fields, cart] of steps) {
      const effect = eventEffect(state, event(T, fields), vectors, options, context);
      state = effect.next;
      expect(state.cart).toEqual(new Map(cart));
    }
    // a change carries the cart only when it moved
    const bought = eventEffect(state, event(T, { type: 'purchase', items: [line('shoe', 1), line('lamp', 1)] }), vectors, options, context);
    expect(bought.change.cart).toEqual(new Map());
    expect(eventEffect(state, event(T, { type: 'view', itemId: 'lamp' }), vectors, options, context).change.cart).toBeUndefined();
    expect(
      eventEffect(state, event(T, { type: 'remove_from_cart', itemId: 'lamp' }), vectors, options, context).change.cart,
    ).toBeUndefined();
  });

  it(`holds at most ${CART_LIMIT} distinct items: adds of new ones are ignored, existing lines still grow`, () => {
    const full: UserState = { ...emptyUserState(), cart: new Map(Array.from({ length: CART_LIMIT }, (_, i) => [`i${i}`, 1])) };
    const effect = eventEffect(
      full,
      event(T, { type: 'add_to_cart', itemId: 'x', items: [line('new', 1), line('i0', 2)] }),
      vectors,
      options,
      context,
    );
    expect(effect.change.cart?.size).toBe(CART_LIMIT);
    expect(effect.change.cart?.get('i0')).toBe(3);
    expect(effect.change.cart?.has('new')).toBe(false);
  });
});

/** cartAfter as it was before copy-on-write: a copy of the cart per event, then the edits. */
function referenceCartAfter(cart: ReadonlyMap<string, number>, e: StoredEvent, limit: number): Map<string, number> | undefined {
  const next = new Map(cart);
  let changed = false;
  const set = (itemId: string, quantity: number) => {
    if (quantity === (next.get(itemId) ?? 0)) return;
    changed = true;
    if (quantity > 0) next.set(itemId, quantity);
    else next.delete(itemId);
  };
  if (e.type === 'add_to_cart') {
    for (const l of e.items?.length ? e.items : [{ itemId: e.itemId, quantity: 1 }]) {
      const had = next.get(l.itemId) ?? 0;
      if (l.quantity > 0 && (had > 0 || next.size < limit)) set(l.itemId, Math.min(CART_MAX_QUANTITY, had + l.quantity));
    }
  } else if (e.type === 'remove_from_cart') {
    for (const l of e.items?.length ? e.items : [{ itemId: e.itemId, quantity: Infinity }])
      if (l.quantity > 0) set(l.itemId, Math.max(0, (next.get(l.itemId) ?? 0) - l.quantity));
  } else if (e.type === 'purchase') {
    for (const l of e.items) if (l.quantity > 0) set(l.itemId, 0);
  }
  return changed ? next : undefined;
}

describe('cartAfter', () => {
  it('never touches the given cart, and returns undefined (no copy) when the event leaves it as it is', () => {
    const cart = new Map([
      ['lamp', 2],
      ['sofa', 1],
    ]);
    const unchanged = [
      { type: 'view', itemId: 'lamp' },
      { type: 'remove_from_cart', itemId: 'shoe' },
      { type: 'remove_from_cart', itemId: 'lamp', items: [line('lamp', 0)] },
      { type: 'purchase', items: [line('shoe', 1), line('lamp', -1)] },
      { type: 'add_to_cart', itemId: 'lamp', items: [line('lamp', 0)] },
    ];
    for (const fields of unchanged) expect(cartAfter(cart, event(T, fields))).toBeUndefined();
    const next = cartAfter(cart, event(T, { type: 'add_to_cart', itemId: 'rake', items: [line('rake', 1), line('lamp', 1)] }));
    expect([...next!]).toEqual([
      ['lamp', 3],
      ['sofa', 1],
      ['rake', 1],
    ]);
    expect([...cart]).toEqual([
      ['lamp', 2],
      ['sofa', 1],
    ]);
  });

  it('gives the same carts, in the same order, as copying the cart for every event', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const types = ['add_to_cart', 'remove_from_cart', 'purchase', 'view'];
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const lines = () =>
      Array.from({ length: Math.floor(random() * 4) }, () => line(ids[Math.floor(random() * ids.length)]!, Math.floor(random() * 5) - 1));
    for (let run = 0; run < 50; run++) {
      let cart = new Map<string, number>();
      for (let step = 0; step < 30; step++) {
        const type = types[Math.floor(random() * types.length)]!;
        const items = lines();
        const fields =
          type === 'purchase'
            ? { type, items: items.length > 0 ? items : [line('a', 1)] }
            : { type, itemId: ids[Math.floor(random() * ids.length)]!, ...(type !== 'view' && random() < 0.5 ? { items } : {}) };
        const e = event(T, fields);
        const before = [...cart];
        const expected = referenceCartAfter(cart, e, CART_LIMIT);
        const actual = cartAfter(cart, e);
        expect(actual === undefined ? undefined : [...actual]).toEqual(expected === undefined ? undefined : [...expected]);
        expect([...cart]).toEqual(before);
        if (actual) cart = actual;
      }
    }
  });
});

describe("purchase aggregates (lifetime value: the shop's orders only)", () => {
  it('counts paid orders with a positive total, sums spend with returns subtracted, keeps first and last purchase', () => {
    const state = replay([
      event(T, { type: 'view', itemId: 'lamp' }),
      order(T + 1000, 'o1', 'paid', 25),
      order(T + 5000, 'o2', 'paid', 10),
      order(T + 6000, 'o1', 'returned', -10),
      order(T + 500, 'o3', 'paid', 1.5),
      order(T + 7000, 'o4', 'paid', 0),
      event(T - 1000, { type: 'view', itemId: 'shoe' }),
    ]);
    expect(state.purchases).toEqual({ orders: 3, spend: 26.5, firstPurchaseAt: T + 500, lastPurchaseAt: T + 5000 });
    expect(state.firstSeenAt).toBe(T - 1000);
    expect(state.counts).toMatchObject({ view: 2, order: 5, total: 7 });
  });

  it('moves nothing for a browser purchase, whatever its prices', () => {
    const effect = eventEffect(
      emptyUserState(),
      event(T, { type: 'purchase', items: [line('lamp', 1000, 100)] }),
      vectors,
      options,
      context,
    );
    expect(effect.change.purchases).toBeUndefined();
    expect(effect.next.purchases).toEqual({ orders: 0, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 });
    expect(effect.change.bought).toEqual(['lamp']); // still a behaviour signal
  });

  it('takes a cancellation of an order it never saw below zero spend, counting no order; stores a higher record tier', () => {
    const { change, next } = orderEffect(emptyUserState(), order(T, 'o9', 'cancelled', -20).order, -20, 'vip');
    expect(change.purchases).toEqual({ orders: 0, spend: -20, firstPurchaseAt: 0, lastPurchaseAt: 0 });
    expect([change.type, change.tier, next.tier, next.version]).toEqual(['order', 'vip', 'vip', 1]);
    expect(orderEffect(next, order(T, 'o9', 'cancelled', 0).order, 0, 'regular').change).not.toHaveProperty('tier');
  });
});

describe('merge of a visitor into a member', () => {
  const merge: StoredMergeEvent = { type: 'merge', id: 'merge:v1', userId: 'm1', fromUserId: 'v1', ts: T + 3 * H, receivedAt: T + 3 * H };

  it('folds the visitor’s affinity in at the later landmark, adds carts and aggregates, keeps the earlier first-seen', () => {
    const member = replay([
      event(T, { type: 'view', itemId: 'lamp' }),
      event(T, { type: 'purchase', items: [line('sofa', 1, 100)] }),
      order(T, 'm-o1', 'paid', 100),
    ]);
    const visitor = replay([
      event(T + 2 * H, { type: 'view', itemId: 'desk' }),
      event(T + 2 * H, { type: 'add_to_cart', itemId: 'shoe' }),
      event(T - H, { type: 'purchase', items: [line('rake', 2, 5)] }),
      order(T - H, 'v-o1', 'paid', 10),
    ]);
    const { change, next } = mergeEffect(member, visitor, merge, vectors, options);
    expect(change.affinity!.landmark).toBe(visitor.affinity.landmark);
    const t = T + 3 * H;
    const sum = (key: string) =>
      (topBrands(member.affinity, t, HALF_LIFE, 9).find((e) => e.key === key)?.weight ?? 0) +
      (topBrands(visitor.affinity, t, HALF_LIFE, 9).find((e) => e.key === key)?.weight ?? 0);
    expect(weights(topBrands(next.affinity, t, HALF_LIFE, 9))).toEqual({
      lumo: expect.closeTo(sum('lumo'), 12),
      cosy: expect.closeTo(sum('cosy'), 12),
      stride: expect.closeTo(sum('stride'), 12),
    });
    expect(next.affinity.brandEvents.get('lumo')).toBe(2);
    expect(next.cart).toEqual(new Map([['shoe', 1]]));
    expect(next.purchases).toEqual({ orders: 2, spend: 110, firstPurchaseAt: T - H, lastPurchaseAt: T });
    expect(next.firstSeenAt).toBe(T - H);
  });

  it('gives a member without affinity the visitor’s own, and changes nothing for an empty visitor', () => {
    const visitor = replay([event(T, { type: 'like', itemId: 'lamp' })]);
    const { next } = mergeEffect(emptyUserState(), visitor, merge, vectors, options);
    expect(next.affinity).toEqual(visitor.affinity);
    const member = replay([event(T, { type: 'view', itemId: 'sofa' })]);
    const { change } = mergeEffect(member, emptyUserState(), merge, vectors, options);
    expect(change.affinity).toBeUndefined();
    expect(change.cart).toBeUndefined();
    expect(change.purchases).toBeUndefined();
    expect(change.firstSeenAt).toBeUndefined();
  });
});
