import { describe, expect, it } from 'vitest';
import { demoCategories, generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { ItemSchema } from '../../engine/contracts/schemas.js';

describe('generateDemoCatalog', () => {
  const items = generateDemoCatalog();

  it('makes 3000 items by default, each passing ItemSchema, with unique sku ids', () => {
    expect(items).toHaveLength(3000);
    for (const item of items) expect(ItemSchema.safeParse(item).success).toBe(true);
    expect(new Set(items.map((item) => item.itemId)).size).toBe(3000);
    expect(items[0]!.itemId).toBe('sku-00001');
    expect(items[2999]!.itemId).toBe('sku-03000');
  });

  it('is deterministic per seed', () => {
    expect(generateDemoCatalog({ count: 200, seed: 5 })).toEqual(generateDemoCatalog({ count: 200, seed: 5 }));
    expect(generateDemoCatalog({ count: 200, seed: 5 })).not.toEqual(generateDemoCatalog({ count: 200, seed: 6 }));
    expect(generateDemoCatalog({ count: 10 })).toEqual(items.slice(0, 10));
  });

  it('spreads items over a dozen or more categories with brands, prices and tags', () => {
    const categories = new Set(items.map((item) => item.category));
    expect(categories.size).toBeGreaterThanOrEqual(12);
    expect([...categories].sort()).toEqual([...demoCategories()].sort());
    for (const category of categories) expect(items.filter((item) => item.category === category).length).toBeGreaterThan(40);
    for (const item of items) {
      expect(item.brand).toBeTruthy();
      expect(item.price).toBeGreaterThan(0);
      expect(item.tags?.length).toBeGreaterThan(0);
      expect(item.title.startsWith(item.brand!)).toBe(true);
    }
    const tvPrices = items.filter((item) => item.category === 'electronics/tv').map((item) => item.price);
    expect(Math.max(...tvPrices) / Math.min(...tvPrices)).toBeGreaterThan(10);
  });

  it('marks about 8% vip, 2% enterprise and 3% out of stock', () => {
    const share = (predicate: (item: (typeof items)[number]) => boolean) => items.filter(predicate).length / items.length;
    expect(share((item) => item.minTier === 'vip')).toBeGreaterThan(0.06);
    expect(share((item) => item.minTier === 'vip')).toBeLessThan(0.1);
    expect(share((item) => item.minTier === 'enterprise')).toBeGreaterThan(0.01);
    expect(share((item) => item.minTier === 'enterprise')).toBeLessThan(0.03);
    expect(share((item) => item.inStock === false)).toBeGreaterThan(0.02);
    expect(share((item) => item.inStock === false)).toBeLessThan(0.04);
  });

  it('handles small and invalid counts', () => {
    expect(generateDemoCatalog({ count: 0 })).toEqual([]);
    expect(() => generateDemoCatalog({ count: -1 })).toThrow(RangeError);
    expect(() => generateDemoCatalog({ count: 1.5 })).toThrow(RangeError);
  });
});
