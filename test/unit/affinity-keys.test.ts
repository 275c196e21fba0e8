import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { Item } from '../../engine/contracts/schemas.js';
import {
  affinityAfter,
  affinityGain,
  emptyAffinity,
  topBrands,
  topCategories,
  type WeightedKey,
} from '../../engine/shoppers/logic/affinity.js';
import {
  boostKeys,
  FULL_LIKE_WEIGHT,
  keysBoost,
  keysLikedCategory,
  shopperLikes,
  type BoostedItem,
  type ShopperLikes,
} from '../../engine/recommend/logic/affinity-boost.js';
import { idBoost, idLikedCategory, KeyIds, KeySpace } from '../../engine/recommend/logic/affinity-keys.js';
import { AFFINITY_LIMIT, type Affinity } from '../../engine/shoppers/user-state-store.js';
import { AffinitySignals } from '../../engine/recommend/affinity-signals.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { DAY, HALF_LIFE, NOW, randomAffinity, randomItem } from '../helpers/random-affinity.js';

/** The likes as they were computed before the one-pass forEachLike: sorted strongest keys, then scaled. */
function referenceLikes(affinity: Affinity, now: number): ShopperLikes {
  const likes = (weighted: WeightedKey[]) => {
    const out = new Map<string, number>();
    const best = weighted[0]?.weight ?? 0;
    if (!(best > 0)) return out;
    const scale = Math.max(best, FULL_LIKE_WEIGHT);
    for (const { key, weight } of weighted) if (weight > 0) out.set(key, Math.min(1, weight / scale));
    return out;
  };
  return {
    categories: likes(topCategories(affinity, now, HALF_LIFE, AFFINITY_LIMIT)),
    brands: likes(topBrands(affinity, now, HALF_LIFE, AFFINITY_LIMIT)),
  };
}

describe('affinity keys as ids', () => {
  it('numbers keys once, in first-seen order', () => {
    const ids = new KeyIds();
    expect([ids.idOf('home'), ids.idOf('home/lamps'), ids.idOf('home'), ids.idOf('lumo')]).toEqual([0, 1, 0, 2]);
    expect(ids.size).toBe(3);
  });

  it('likes exactly what the sorted strongest keys liked, for any affinity and time', () => {
    const random = mulberry32(11);
    const items = Array.from({ length: 40 }, (_, i) => randomItem(random, i));
    for (let run = 0; run < 300; run++) {
      const affinity = randomAffinity(random, items);
      for (const now of [NOW, NOW + 3 * DAY, NOW + 400 * DAY, NOW - 90 * DAY]) {
        const likes = shopperLikes(affinity, now, HALF_LIFE);
        const reference = referenceLikes(affinity, now);
        expect(new Map([...likes.categories].sort())).toEqual(new Map([...reference.categories].sort()));
        expect(new Map([...likes.brands].sort())).toEqual(new Map([...reference.brands].sort()));
      }
    }
  });

  it('keeps only the AFFINITY_LIMIT strongest of more positive scores (ties by key), as before', () => {
    // More than a stored state holds: 70 positive brands, tied at the cut.
    const brands = new Map<string, number>();
    for (let i = 0; i < 70; i++) brands.set(`b${String(i).padStart(2, '0')}`, i < 10 ? 5 : 1);
    brands.set('disliked', -4);
    const affinity: Affinity = { landmark: NOW, categories: new Map([['home', 0.5]]), brands, brandEvents: new Map() };
    const likes = shopperLikes(affinity, NOW, HALF_LIFE);
    const reference = referenceLikes(affinity, NOW);
    expect(likes.brands.size).toBe(AFFINITY_LIMIT);
    expect(new Map([...likes.brands].sort())).toEqual(new Map([...reference.brands].sort()));
    expect(likes.brands.has('b69')).toBe(false);
    expect(likes.categories).toEqual(reference.categories);
  });

  it('gives every item the boost and "popular in" category of the string keys, bit for bit', () => {
    const random = mulberry32(5);
    const items = Array.from({ length: 60 }, (_, i) => randomItem(random, i));
    const space = new KeySpace();
    for (let run = 0; run < 200; run++) {
      const affinity = randomAffinity(random, items);
      const now = NOW + Math.floor(random() * 30) * DAY;
      const likes = shopperLikes(affinity, now, HALF_LIFE);
      const byId = space.likesOf(affinity, now, HALF_LIFE);
      expect(byId === undefined).toBe(likes.categories.size === 0 && likes.brands.size === 0);
      if (!byId) continue;
      for (const item of items) {
        for (const max of [0, 0.15, 1]) expect(idBoost(space.keysOf(item), byId, max)).toBe(keysBoost(boostKeys(item), likes, max));
        expect(idLikedCategory(space.keysOf(item), byId)).toBe(keysLikedCategory(boostKeys(item), likes));
      }
    }
    expect(idBoost(undefined, { categories: [1], brands: [1] }, 0.15)).toBe(0);
    expect(idLikedCategory(undefined, { categories: [1], brands: [1] })).toBeUndefined();
  });

  it('numbers every liked key, so an item seen after the likes were laid out still finds its like', () => {
    const space = new KeySpace();
    const lamp: BoostedItem = { category: 'Home/Lamps', brand: 'Lumo' };
    const affinity = affinityAfter(emptyAffinity(), affinityGain([[lamp, 3]]), NOW, HALF_LIFE)!;
    const likes = space.likesOf(affinity, NOW, HALF_LIFE)!;
    expect(idBoost(space.keysOf({ category: 'home > lamps', brand: ' LUMO' }), likes, 0.15)).toBe(0.15);
    expect(idLikedCategory(space.keysOf({ category: ' Home > Rugs ' }), likes)).toBe('Home');
  });

  it('parses an item object once and a replaced one afresh', () => {
    const space = new KeySpace();
    const lamp: BoostedItem = { category: 'Home/Lamps', brand: 'Lumo' };
    expect(space.keysOf(lamp)).toBe(space.keysOf(lamp));
    const moved = { ...lamp, category: 'Kitchen' };
    expect(space.keysOf(moved).category).toBe('Kitchen');
    expect(space.keysOf(moved).levels).toEqual([space.categories.idOf('kitchen')]);
    expect(space.keysOf({ category: 'Kitchen' }).brand).toBe(-1);
  });
});

describe('AffinitySignals key space', () => {
  it('starts a fresh space past maxKeyIds, and a list keeps the space its likes were laid out in', () => {
    const items = new Map<string, Item>();
    const lamp = { itemId: 'lamp', title: 'Lamp', category: 'Home/Lamps', brand: 'Lumo', price: 10 } as Item;
    items.set('lamp', lamp);
    for (let i = 0; i < 5; i++)
      items.set(`x${i}`, { itemId: `x${i}`, title: 'X', category: `Cat${i}`, brand: `Brand${i}`, price: 1 } as Item);
    const signals = new AffinitySignals((id) => items.get(id), { maxBoost: 0.15, halfLifeSeconds: HALF_LIFE, maxKeyIds: 12 });
    const space = () => (signals as unknown as { keys: KeySpace }).keys;
    const userOf = (liked: Item[]) => ({
      ...emptyUserState(),
      affinity: affinityAfter(emptyAffinity(), affinityGain(liked.map((item) => [item, 3])), NOW, HALF_LIFE)!,
    });
    // 10 keys numbered first, so the lamp's keys get other numbers in this space than in a fresh one.
    signals.forList(userOf([...items.values()].slice(1)), NOW, undefined);
    const lampUser = userOf([lamp]);
    const first = signals.forList(lampUser, NOW, undefined);
    const before = space();
    expect(before.size).toBe(13);
    const second = signals.forList(lampUser, NOW, undefined);
    expect(space()).not.toBe(before);
    expect(space().size).toBe(3);
    expect(first.boostOf!('lamp')).toBe(0.15);
    expect(second.boostOf!('lamp')).toBe(0.15);
    expect(first.popularIn!('lamp')).toBe('Home/Lamps');
    expect(second.popularIn!('lamp')).toBe('Home/Lamps');
    expect(first.boostOf!('x1')).toBe(0);
    expect(second.boostOf!('unknown')).toBe(0);
  });
});
