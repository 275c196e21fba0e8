import { describe, expect, it } from 'vitest';
import { eventEffect, prependRecent, touchedItems, type EffectOptions } from '../../engine/shoppers/logic/event-effect.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';

const options: EffectOptions = { tasteHalfLifeSeconds: 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 50 };
const empty = (): UserState => emptyUserState();
const unit = (i: number, dim = 8) => Float32Array.from({ length: dim }, (_, j) => (j === i ? 1 : 0));
const vectors = {
  item: (id: string) => ({ a: unit(0), b: unit(1), c: unit(2) })[id],
  text: () => unit(3),
};
const base = { userId: 'u1', receivedAt: 1_700_000_000_000 };
const at = (ts: number, event: Record<string, unknown>) => ({ ...base, id: `e${ts}`, ts, ...event }) as StoredEvent;

describe('eventEffect', () => {
  it('moves the vector toward a viewed item and records it as recent, once per event id', () => {
    const effect = eventEffect(empty(), at(1000, { type: 'view', itemId: 'a' }), vectors, options);
    expect(effect.change.eventId).toBe('e1000');
    expect(effect.change.expectedVersion).toBe(0);
    expect(cosine(effect.change.vector!, unit(0))).toBeCloseTo(1, 5);
    expect(effect.change.strength).toBe(1);
    expect(effect.next.recent).toEqual([{ itemId: 'a', type: 'view', ts: 1000 }]);
    expect(effect.next.counts).toEqual({ view: 1, total: 1 });
    expect(effect.stats.items).toEqual([['a', 1]]);
    expect(effect.stats.pairs).toEqual([]);
  });

  it('pairs a new item with the session’s recent items, not with ones from an older session', () => {
    let state = empty();
    state = eventEffect(state, at(1_000, { type: 'view', itemId: 'a' }), vectors, options).next;
    state = eventEffect(state, at(2_000, { type: 'view', itemId: 'b' }), vectors, options).next;
    const sameSession = eventEffect(state, at(3_000, { type: 'click', itemId: 'c' }), vectors, options);
    expect(sameSession.stats.pairs).toEqual([
      ['b', 'c', 1],
      ['a', 'c', 1],
    ]);
    const later = eventEffect(state, at(2_000 + 3_600_000, { type: 'view', itemId: 'c' }), vectors, options);
    expect(later.stats.pairs).toEqual([]);
  });

  it('adds purchased lines to the bought set, pairs the basket, and ignores returned lines', () => {
    const purchase = at(5_000, {
      type: 'purchase',
      items: [
        { itemId: 'a', quantity: 2, price: 10 },
        { itemId: 'b', quantity: 1, price: 5 },
        { itemId: 'c', quantity: -1, price: 5 },
      ],
    });
    expect(touchedItems(purchase)).toEqual(['a', 'b']);
    const effect = eventEffect(empty(), purchase, vectors, options);
    expect(effect.change.bought).toEqual(['a', 'b']);
    expect([...effect.next.bought]).toEqual(['a', 'b']);
    expect(effect.stats.pairs).toEqual([['a', 'b', 2]]);
    const big = eventEffect(
      empty(),
      at(6_000, { type: 'purchase', items: Array.from({ length: 1000 }, (_, i) => ({ itemId: `i${i}`, quantity: 1, price: 1 })) }),
      vectors,
      options,
    );
    expect(big.stats.pairs).toHaveLength(435);
    expect(big.stats.items).toHaveLength(1000);
    expect(big.change.bought).toHaveLength(1000);
    expect(cosine(effect.change.vector!, unit(0))).toBeCloseTo(cosine(effect.change.vector!, unit(1)), 5);
  });

  it('folds a search query in through the text encoder and a dislike away from the item', () => {
    const search = eventEffect(empty(), at(1_000, { type: 'search', query: 'lamp' }), vectors, options);
    expect(cosine(search.change.vector!, unit(3))).toBeCloseTo(1, 5);
    expect(search.stats.items).toEqual([]);
    const disliked = eventEffect(search.next, at(2_000, { type: 'dislike', itemId: 'a' }), vectors, options);
    expect(cosine(disliked.change.vector!, unit(0))).toBeLessThan(0);
    expect(disliked.change.strength).toBeLessThanOrEqual(search.change.strength);
    expect(disliked.stats.items).toEqual([]);
  });

  it('counts an event on an unknown item without moving the vector', () => {
    const effect = eventEffect(empty(), at(1_000, { type: 'view', itemId: 'unknown' }), vectors, options);
    expect(effect.change.vector).toBeUndefined();
    expect(effect.next.vector).toBeNull();
    expect(effect.next.counts.total).toBe(1);
    expect(effect.next.recent[0]?.itemId).toBe('unknown');
  });

  it('keeps the tier a member token carried', () => {
    const effect = eventEffect(empty(), { ...at(1_000, { type: 'view', itemId: 'a' }), tier: 'vip' }, vectors, options);
    expect(effect.change.tier).toBe('vip');
    expect(effect.next.tier).toBe('vip');
  });

  it("only raises the stored tier: a token minted before an upgrade keeps it, the member record's tier lifts it", () => {
    const vip: UserState = { ...empty(), tier: 'vip' };
    const stale = eventEffect(vip, { ...at(1_000, { type: 'view', itemId: 'a' }), tier: 'regular' }, vectors, options);
    expect(stale.change.tier).toBeUndefined();
    expect(stale.next.tier).toBe('vip');
    const upgraded = eventEffect(
      empty(),
      { ...at(2_000, { type: 'purchase', items: [{ itemId: 'a', quantity: 1, price: 150 }] }), tier: 'regular' },
      vectors,
      options,
      { recordTier: 'vip' },
    );
    expect(upgraded.change.tier).toBe('vip');
    expect(upgraded.next.tier).toBe('vip');
  });
});

describe('eventEffect state and change layout', () => {
  it('keeps the keys of the change and of the next state in their order, optional parts only when present', () => {
    const first = eventEffect(empty(), at(1000, { type: 'add_to_cart', itemId: 'a' }), { ...vectors, version: 'm1' }, options, {
      itemAttributes: () => ({ category: 'home/lamps', brand: 'Acme' }),
    });
    expect(Object.keys(first.change)).toEqual([
      'eventId',
      'expectedVersion',
      'type',
      'vector',
      'vectorVersion',
      'strength',
      'updatedAt',
      'recent',
      'bought',
      'affinity',
      'cart',
      'firstSeenAt',
    ]);
    expect(Object.keys(first.next)).toEqual([
      'affinity',
      'cart',
      'purchases',
      'firstSeenAt',
      'vector',
      'vectorVersion',
      'strength',
      'updatedAt',
      'version',
      'recent',
      'bought',
      'counts',
      'tier',
    ]);
    const unknown = eventEffect(first.next, { ...at(2000, { type: 'view', itemId: 'zz' }), tier: 'vip' }, vectors, options);
    expect(Object.keys(unknown.change)).toEqual([
      'eventId',
      'expectedVersion',
      'type',
      'strength',
      'updatedAt',
      'recent',
      'bought',
      'tier',
    ]);
    expect(unknown.next.vectorVersion).toBe('m1');
    expect(unknown.next.vector).toBe(first.next.vector);
    expect(unknown.next.cart).toBe(first.next.cart);
    expect(Object.keys(unknown.next.counts)).toEqual(['add_to_cart', 'total', 'view']);
    expect(unknown.next.counts).toEqual({ add_to_cart: 1, total: 2, view: 1 });
    expect(first.next.counts).toEqual({ add_to_cart: 1, total: 1 });
  });

  it('adds to the bought set without changing the one it started from', () => {
    const state = { ...empty(), bought: new Set(['x']) };
    const effect = eventEffect(
      state,
      at(1000, {
        type: 'purchase',
        items: [
          { itemId: 'a', quantity: 1, price: 1 },
          { itemId: 'x', quantity: 1, price: 1 },
        ],
      }),
      vectors,
      options,
    );
    expect([...effect.next.bought]).toEqual(['x', 'a']);
    expect([...state.bought]).toEqual(['x']);
    expect(eventEffect(state, at(2000, { type: 'view', itemId: 'a' }), vectors, options).next.bought).toBe(state.bought);
  });
});

describe('prependRecent', () => {
  const entry = (i: number) => ({ itemId: `i${i}`, type: 'view' as const, ts: i });
  it('is added.concat(older).slice(0, limit) for every size and limit, leaving its inputs alone', () => {
    for (const addedCount of [0, 1, 3]) {
      for (const olderCount of [0, 1, 4, 10]) {
        for (const limit of [0, 1, 2, 5, 50, -1, 2.5, Number.NaN]) {
          const added = Array.from({ length: addedCount }, (_, i) => entry(100 + i));
          const older = Array.from({ length: olderCount }, (_, i) => entry(i));
          const out = prependRecent(added, older, limit);
          expect(out).toEqual(added.concat(older).slice(0, limit));
          expect(out).not.toBe(added);
          expect(out).not.toBe(older);
          expect(added).toHaveLength(addedCount);
          expect(older).toHaveLength(olderCount);
        }
      }
    }
  });
});

describe('touchedItems', () => {
  it('lists one item without a set, and several without repeats in first-seen order', () => {
    expect(touchedItems(at(1, { type: 'view', itemId: 'a' }))).toEqual(['a']);
    expect(touchedItems(at(1, { type: 'add_to_cart', itemId: 'a', items: [{ itemId: 'a', quantity: 1, price: 1 }] }))).toEqual(['a']);
    expect(touchedItems(at(1, { type: 'add_to_cart', itemId: 'a', items: [{ itemId: 'b', quantity: 1, price: 1 }] }))).toEqual(['b', 'a']);
    expect(touchedItems(at(1, { type: 'search', query: 'q' }))).toEqual([]);
  });
});
