import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { TIERS, tierRank, type Item, type Tier } from '../../engine/contracts/schemas.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';

const DIM = 16;

function catalog(): CatalogService {
  return new CatalogService({ index: new ExactVectorIndex({ dimension: DIM }), encoder: new ContentEncoder({ dimension: DIM }) });
}

function item(itemId: string, extra: Partial<Item> = {}): Item {
  return { itemId, title: `Item ${itemId}`, category: 'home/lamps', price: 10, ...extra };
}

/** isRecommendable as it was defined before the per-tier sets: the reference. */
function expected(current: Item | undefined, tier: Tier): boolean {
  return current !== undefined && current.inStock !== false && tierRank(tier) >= tierRank(current.minTier ?? 'regular');
}

describe('CatalogService recommendable ids', () => {
  it('follows stock and tier through upserts and deletes, for every tier', () => {
    const c = catalog();
    const random = mulberry32(5);
    const live = new Map<string, Item>();
    const tiers = [undefined, ...TIERS];
    for (let step = 0; step < 600; step++) {
      const id = `i${Math.floor(random() * 40)}`;
      if (random() < 0.2) {
        c.apply({ type: 'delete', itemId: id });
        live.delete(id);
      } else {
        const minTier = tiers[Math.floor(random() * tiers.length)];
        const stock = random();
        const next = item(id, {
          ...(minTier ? { minTier } : {}),
          ...(stock < 0.3 ? { inStock: false } : stock < 0.6 ? { inStock: true } : {}),
        });
        c.apply({ type: 'upsert', item: next });
        live.set(id, next);
      }
      if (step % 50 !== 49) continue;
      for (const tier of TIERS) {
        const ids = c.recommendableIds(tier);
        expect([...ids].sort()).toEqual(
          [...live.values()]
            .filter((i) => expected(i, tier))
            .map((i) => i.itemId)
            .sort(),
        );
        for (let n = 0; n < 40; n++) expect(c.isRecommendable(`i${n}`, tier)).toBe(expected(live.get(`i${n}`), tier));
      }
    }
  });

  it('answers false for an unknown tier and an unknown id', () => {
    const c = catalog();
    c.apply({ type: 'upsert', item: item('a') });
    expect(c.isRecommendable('a', 'regular')).toBe(true);
    expect(c.isRecommendable('b', 'regular')).toBe(false);
    expect(c.isRecommendable('a', 'gold' as Tier)).toBe(false);
    expect(c.recommendableIds('gold' as Tier).size).toBe(0);
  });
});
