import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { topBrands, topCategories } from '../../engine/shoppers/logic/affinity.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import type { ItemAttributes } from '../../engine/campaigns/logic/triggers.js';
import { AFFINITY_LIMIT, type UserState } from '../../engine/shoppers/user-state-store.js';
import { event, H, line, options, replay, T, weights, context, vectors, HALF_LIFE } from '../helpers/shopper-state-fixtures.js';

/** Affinity (category path and brand scores) as the event effect folds events in; split from shopper-state.test.ts. */

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
