import { describe, expect, it } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { InvalidItemError } from '../../engine/catalog/catalog-service.js';
import { dot } from '../../engine/recommend/logic/vector-math.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { items, shop } from '../helpers/recommender-fixtures.js';

/** The catalog service the recommender reads: items, category sets, the index in step, listing (split from recommender.test.ts). */

describe('CatalogService', () => {
  it('keeps items, category sets and the index in step', () => {
    const { catalog, index } = shop({}, []);
    const lamp: Item = { itemId: 'lamp-1', title: 'Brass Desk Lamp', category: 'Home > Lamps', price: 50 };
    expect(catalog.apply({ type: 'upsert', item: lamp })).toBe(true);
    expect(catalog.get('lamp-1')).toEqual(lamp);
    expect(index.has('lamp-1')).toBe(true);
    expect([...catalog.itemsInCategory('home/lamps')]).toEqual(['lamp-1']);
    expect([...catalog.itemsInCategory('HOME')]).toEqual(['lamp-1']);
    expect(catalog.categories()).toEqual(['Home/Lamps']);

    // Moving to another category moves the id between sets; the vector follows.
    const before = index.get('lamp-1')!;
    catalog.apply({ type: 'upsert', item: { ...lamp, category: 'office/lamps' } });
    expect(catalog.itemsInCategory('home/lamps').size).toBe(0);
    expect([...catalog.itemsInCategory('office')]).toEqual(['lamp-1']);
    expect(catalog.categories()).toEqual(['office/lamps']);
    expect(dot(before, index.get('lamp-1')!)).toBeLessThan(0.95);
    expect(catalog.size).toBe(1);

    expect(catalog.apply({ type: 'delete', itemId: 'lamp-1' })).toBe(true);
    expect(catalog.apply({ type: 'delete', itemId: 'lamp-1' })).toBe(false);
    expect(catalog.get('lamp-1')).toBeUndefined();
    expect(index.has('lamp-1')).toBe(false);
    expect(catalog.categories()).toEqual([]);
    expect(catalog.size).toBe(0);
  });

  it('rejects an invalid item with invalid_item and changes nothing', () => {
    const { catalog, index } = shop({}, []);
    const good: Item = { itemId: 'a', title: 'A', category: 'x', price: 1 };
    catalog.apply({ type: 'upsert', item: good });
    const bad = { ...good, price: -1, extra: true } as unknown as Item;
    let caught: unknown;
    try {
      catalog.apply({ type: 'upsert', item: bad });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidItemError);
    expect(caught).toMatchObject({ code: 'invalid_item' });
    expect((caught as InvalidItemError).details).toHaveProperty('price');
    expect(catalog.get('a')).toEqual(good);
    expect(() => catalog.apply({ type: 'upsert', item: { ...good, category: ' / ' } })).toThrow(InvalidItemError);
    expect(catalog.get('a')).toEqual(good);
    expect(index.size).toBe(1);
  });

  it('lists what a tier may see, filtered and paged in itemId order', () => {
    const { catalog } = shop();
    const regular = catalog.list({ tier: 'regular', limit: 50, offset: 0 });
    const visible = items.filter((item) => !item.minTier);
    expect(regular.total).toBe(visible.length);
    expect(regular.items.map((item) => item.itemId)).toEqual(visible.slice(0, 50).map((item) => item.itemId));
    expect(catalog.list({ tier: 'enterprise', limit: 10, offset: 0 }).total).toBe(items.length);
    const page2 = catalog.list({ tier: 'regular', limit: 50, offset: 50 });
    expect(page2.items[0]!.itemId).toBe(visible[50]!.itemId);
    expect(regular.categories.length).toBeGreaterThanOrEqual(12);

    const lamps = catalog.list({ tier: 'vip', category: 'home/lamps', query: 'brass lam', limit: 1000, offset: 0 });
    expect(lamps.total).toBeGreaterThan(0);
    for (const item of lamps.items) {
      expect(item.category).toBe('home/lamps');
      expect(item.title.toLowerCase()).toContain('brass');
      expect(item.minTier).not.toBe('enterprise');
    }
    expect(() => catalog.list({ tier: 'regular', limit: 1001, offset: 0 })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
    expect(() => catalog.list({ tier: 'regular', limit: 10, offset: -1 })).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });

  it('applies 10k items', () => {
    const big = generateDemoCatalog({ count: 10_000, seed: 3 });
    const { catalog } = shop({}, big);
    expect(catalog.size).toBe(10_000);
  });
});
