import { describe, expect, it } from 'vitest';
import { demoCategories, demoProductTypes, generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { ItemSchema } from '../../engine/contracts/schemas.js';

/** The product type an item is (the longest noun of its category its title's head ends with). */
const TYPES = demoProductTypes().sort((a, b) => b.noun.length - a.noun.length);
const typeOf = (item: Item) => {
  const head = item.title.split(' - ')[0]!;
  return TYPES.find((type) => type.category === item.category && head.endsWith(` ${type.noun}`));
};

/** Where a price lies in its type's band on a log scale: 0 at the low end, 1 at the high end. */
const bandPosition = (item: Item) => {
  const [low, high] = typeOf(item)!.price;
  return Math.log(item.price / low) / Math.log(high / low);
};

describe('generateDemoCatalog', () => {
  const items = generateDemoCatalog();
  const big = generateDemoCatalog({ count: 50_000, seed: 3 });

  it('makes 3000 items by default, each passing ItemSchema, with unique sku ids', () => {
    expect(items).toHaveLength(3000);
    for (const item of items) expect(ItemSchema.safeParse(item).success).toBe(true);
    expect(new Set(items.map((item) => item.itemId)).size).toBe(3000);
    expect(items[0]!.itemId).toBe('sku-00001');
    expect(items[2999]!.itemId).toBe('sku-03000');
    expect(big).toHaveLength(50_000);
    expect(big[49_999]!.itemId).toBe('sku-50000');
  });

  it('gives every item a title of its own, in the default catalog and in one of 50,000 items', () => {
    expect(new Set(items.map((item) => item.title)).size).toBe(items.length);
    expect(new Set(big.map((item) => item.title)).size).toBe(big.length);
    expect(new Set(generateDemoCatalog({ count: 50_000, seed: 42 }).map((item) => item.title)).size).toBe(50_000);
  });

  it('prices every item inside its product type’s band', () => {
    const outside = [...items, ...big].filter((item) => {
      const type = typeOf(item);
      return !type || item.price < type.price[0] || item.price > type.price[1];
    });
    expect(outside.map((item) => `${item.title}: ${item.price}`)).toEqual([]);
    // The bands are those of the goods: a beanie is not a sofa.
    const band = (noun: string) => demoProductTypes().find((type) => type.noun === noun)!.price;
    expect(band('Beanie')).toEqual([9, 45]);
    expect(band('Wireless Headphones')).toEqual([25, 400]);
    expect(band('Sofa')).toEqual([300, 2500]);
    const beanies = big.filter((item) => typeOf(item)!.noun === 'Beanie').map((item) => item.price);
    expect(beanies.length).toBeGreaterThan(100);
    expect(Math.max(...beanies)).toBeLessThanOrEqual(45);
    // Every type is sold, and VIP and enterprise items sit toward the top of their band.
    expect(new Set(big.map((item) => typeOf(item)!.noun)).size).toBe(demoProductTypes().length);
    const meanPosition = (tier: Item['minTier']) => {
      const positions = big.filter((item) => item.minTier === tier).map(bandPosition);
      return positions.reduce((sum, position) => sum + position, 0) / positions.length;
    };
    expect(meanPosition('enterprise')).toBeGreaterThan(meanPosition('vip'));
    expect(meanPosition('vip')).toBeGreaterThan(meanPosition(undefined) + 0.2);
  });

  it('is deterministic per seed', () => {
    expect(generateDemoCatalog({ count: 200, seed: 5 })).toEqual(generateDemoCatalog({ count: 200, seed: 5 }));
    expect(generateDemoCatalog({ count: 200, seed: 5 })).not.toEqual(generateDemoCatalog({ count: 200, seed: 6 }));
    expect(generateDemoCatalog({ count: 10 })).toEqual(items.slice(0, 10));
    expect(generateDemoCatalog({ count: 50_000, seed: 3 })).toEqual(big);
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
    for (const catalog of [items, big]) {
      const share = (predicate: (item: Item) => boolean) => catalog.filter(predicate).length / catalog.length;
      expect(share((item) => item.minTier === 'vip')).toBeGreaterThan(0.06);
      expect(share((item) => item.minTier === 'vip')).toBeLessThan(0.1);
      expect(share((item) => item.minTier === 'enterprise')).toBeGreaterThan(0.01);
      expect(share((item) => item.minTier === 'enterprise')).toBeLessThan(0.03);
      expect(share((item) => item.inStock === false)).toBeGreaterThan(0.02);
      expect(share((item) => item.inStock === false)).toBeLessThan(0.04);
    }
  });

  it('handles small and invalid counts', () => {
    expect(generateDemoCatalog({ count: 0 })).toEqual([]);
    expect(() => generateDemoCatalog({ count: -1 })).toThrow(RangeError);
    expect(() => generateDemoCatalog({ count: 1.5 })).toThrow(RangeError);
  });
});
