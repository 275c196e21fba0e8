import { describe, expect, it } from 'vitest';
import type { Item } from '../../engine/contracts/schemas.js';
import { affinityAfter, affinityGain, emptyAffinity } from '../../engine/shoppers/logic/affinity.js';
import { affinityBoost, likedCategory, shopperLikes, type BoostedItem } from '../../engine/recommend/logic/affinity-boost.js';
import { AffinitySignals } from '../../engine/recommend/affinity-signals.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { idBoost, idLikedCategory, KeySpace } from '../../engine/recommend/logic/affinity-keys.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { DAY, HALF_LIFE, NOW, randomAffinity, randomItem } from '../helpers/random-affinity.js';

/**
 * ItemKeyRows (logic/item-key-rows.ts): items' keys by item id, flat, trusted while a version
 * stands. Its boosts and "popular in" names must be exactly those of idBoost and idLikedCategory
 * over the item's parsed keys, and a changed item must be read afresh under a new version.
 */

describe('ItemKeyRows', () => {
  it('boosts and names every item exactly as the parsed keys do, bit for bit', () => {
    const random = mulberry32(7);
    const items = Array.from({ length: 80 }, (_, i) => randomItem(random, i, 8));
    const byId = new Map(items.map((item) => [item.itemId, item]));
    const space = new KeySpace();
    const rows = space.byId;
    for (let run = 0; run < 200; run++) {
      const likes = space.likesOf(randomAffinity(random, items), NOW + Math.floor(random() * 30) * DAY, HALF_LIFE);
      if (!likes) continue;
      for (const item of items) {
        const row = rows.rowOf(item.itemId, (id) => byId.get(id), 0);
        for (const max of [0, 0.15, 1]) expect(rows.boost(row, likes, max)).toBe(idBoost(space.keysOf(item), likes, max));
        expect(rows.likedCategory(row, likes)).toBe(idLikedCategory(space.keysOf(item), likes));
      }
    }
    // One row per item: parsed once under a standing version.
    expect(rows.size).toBe(items.length);
    expect(rows.rowOf('unknown', (id) => byId.get(id), 0)).toBe(-1);
    expect(rows.boost(-1, { categories: [1], brands: [1] }, 0.15)).toBe(0);
    expect(rows.likedCategory(-1, { categories: [1], brands: [1] })).toBeUndefined();
  });

  it('trusts a row while the version stands, and reads the item again under a new one', () => {
    const space = new KeySpace();
    const rows = space.byId;
    const items = new Map<string, BoostedItem>([['lamp', { category: 'Home/Lamps', brand: 'Lumo' }]]);
    let reads = 0;
    const itemOf = (id: string) => (reads++, items.get(id));
    const affinity = affinityAfter(emptyAffinity(), affinityGain([[{ category: 'Garden/Tools', brand: 'Nord' }, 3]]), NOW, HALF_LIFE)!;
    const likes = space.likesOf(affinity, NOW, HALF_LIFE)!;
    expect(rows.boost(rows.rowOf('lamp', itemOf, 1), likes, 0.15)).toBe(0);
    expect(rows.boost(rows.rowOf('lamp', itemOf, 1), likes, 0.15)).toBe(0);
    expect(reads).toBe(1);
    // The catalog replaces the item (a new object) and its version moves on: read and parsed afresh.
    items.set('lamp', { category: 'Garden/Tools', brand: 'Nord' });
    expect(rows.boost(rows.rowOf('lamp', itemOf, 2), likes, 0.15)).toBe(0.15);
    expect(rows.likedCategory(rows.rowOf('lamp', itemOf, 2), likes)).toBe('Garden/Tools');
    expect(reads).toBe(2);
    expect(rows.size).toBe(2);
    // Another change elsewhere: the same object is checked once and keeps its row.
    expect(rows.boost(rows.rowOf('lamp', itemOf, 3), likes, 0.15)).toBe(0.15);
    expect(rows.size).toBe(2);
    // Removed: unknown from the next version on.
    items.delete('lamp');
    expect(rows.rowOf('lamp', itemOf, 4)).toBe(-1);
  });
});

describe('AffinitySignals with a catalog version', () => {
  it('boosts and names as affinity-boost.ts does, and reads an item replaced under a new version afresh', () => {
    const items = new Map<string, Item>([
      ['lamp', { itemId: 'lamp', title: 'Lamp', category: 'Home > Lamps', brand: ' Lumo ', price: 10 }],
      ['rug', { itemId: 'rug', title: 'Rug', category: 'home/rugs', price: 10 }],
    ]);
    let version = 0;
    const signals = new AffinitySignals((id) => items.get(id), { maxBoost: 0.15, halfLifeSeconds: HALF_LIFE, version: () => version });
    const affinity = affinityAfter(emptyAffinity(), affinityGain([[items.get('lamp'), 3]]), NOW, HALF_LIFE)!;
    const user: UserState = { ...emptyUserState(), affinity };
    const likes = shopperLikes(affinity, NOW, HALF_LIFE);
    const context = signals.forList(user, NOW, undefined);
    for (const id of ['lamp', 'rug', 'unknown']) {
      expect(context.boostOf!(id)).toBe(affinityBoost(items.get(id), likes, 0.15));
      expect(context.popularIn!(id)).toBe(likedCategory(items.get(id), likes));
    }
    items.set('lamp', { ...items.get('lamp')!, category: 'Garden/Tools', brand: 'Nord' });
    version++;
    expect(context.boostOf!('lamp')).toBe(affinityBoost(items.get('lamp'), likes, 0.15));
    expect(context.popularIn!('lamp')).toBeUndefined();
    expect(signals.forList(user, NOW, 'Toys').popularIn!('lamp')).toBe('Toys');
  });
});
