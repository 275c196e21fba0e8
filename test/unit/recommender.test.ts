import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../models/content-encoder.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { TIERS, tierRank } from '../../engine/contracts/schemas.js';
import { byId, emptyUser, items, meanSimilarity, NOW, shop, userAfter } from '../helpers/recommender-fixtures.js';

describe('Recommender', () => {
  let s: ReturnType<typeof shop>;
  beforeAll(() => {
    s = shop();
  });

  it('gives a brand-new visitor on a brand-new shop k visible, in-stock items, stably', async () => {
    const list = await s.recommender.recommend(emptyUser(), {}, NOW);
    expect(list.items).toHaveLength(10);
    expect(new Set(list.items.map((item) => item.itemId)).size).toBe(10);
    for (const { itemId } of list.items) expect(s.catalog.isRecommendable(itemId, 'regular')).toBe(true);
    // The sample spreads over the catalog rather than taking its first ids.
    expect(new Set(list.items.map((item) => byId.get(item.itemId)!.category)).size).toBeGreaterThan(3);
    expect(await s.recommender.recommend(emptyUser(), {}, NOW + 5)).toEqual({ ...list, generatedAt: NOW + 5 });
    expect(list).toMatchObject({ generatedAt: NOW, modelVersion: 'content-v1', context: {} });
    const k25 = await s.recommender.recommend(emptyUser(), { k: 25, channel: 'web' }, NOW);
    expect(k25.items).toHaveLength(25);
    expect(k25.context).toEqual({ k: 25, channel: 'web' });
  });

  it('moves the list toward an item the shopper viewed', async () => {
    const before = await s.recommender.recommend(emptyUser(), {}, NOW);
    const a = 'sku-00010';
    const user = userAfter(s.index, [a]);
    const after = await s.recommender.recommend(user, {}, NOW);
    const beforeIds = before.items.map((item) => item.itemId);
    const afterIds = after.items.map((item) => item.itemId);
    expect(afterIds).toHaveLength(10);
    expect(afterIds).not.toEqual(beforeIds);
    expect(afterIds).not.toContain(a);
    expect(meanSimilarity(s.index, afterIds, a)).toBeGreaterThan(meanSimilarity(s.index, beforeIds, a) + 0.3);
    expect(after.items[0]!.reason).toBe(`like ${byId.get(a)!.title} you viewed`);
  });

  it('never returns invisible, out-of-stock, bought or recent items, over many random users', async () => {
    const random = mulberry32(7);
    const pick = () => items[Math.floor(random() * items.length)]!.itemId;
    // Some shop-wide activity so popularity and co-visitation feed candidates too.
    for (let e = 0; e < 400; e++) {
      const x = pick();
      const y = pick();
      await s.stats.record(`seed-${e}`, { items: [[x, 1 + (e % 3)]], pairs: [[x, y, 1]], ts: NOW - e * 1000 });
    }
    for (let u = 0; u < 150; u++) {
      const tier = TIERS[Math.floor(random() * 3)]!;
      const history = Array.from({ length: Math.floor(random() * 12) }, pick);
      let user = userAfter(s.index, history, 'view', emptyUser(tier));
      if (random() < 0.5) user = userAfter(s.index, [pick(), pick()], 'purchase', user, NOW - 10_000);
      const category = random() < 0.2 ? byId.get(pick())!.category : undefined;
      const k = 1 + Math.floor(random() * 30);
      const list = await s.recommender.recommend(user, { k, ...(category ? { category } : {}) }, NOW);
      expect(list.items).toHaveLength(k);
      expect(new Set(list.items.map((item) => item.itemId)).size).toBe(k);
      const recent = new Set(user.recent.slice(0, 20).map((entry) => entry.itemId));
      for (const { itemId, score } of list.items) {
        const item = byId.get(itemId)!;
        expect(tierRank(tier)).toBeGreaterThanOrEqual(tierRank(item.minTier ?? 'regular'));
        expect(item.inStock).not.toBe(false);
        expect(user.bought.has(itemId)).toBe(false);
        expect(recent.has(itemId)).toBe(false);
        if (category) expect(item.category).toBe(category);
        expect(Number.isFinite(score)).toBe(true);
      }
      for (let i = 1; i < list.items.length; i++) expect(list.items[i - 1]!.score).toBeGreaterThanOrEqual(list.items[i]!.score);
    }
  });

  it('includes bought items only when asked', async () => {
    const bought = 'sku-00020';
    const user = { ...userAfter(s.index, [bought], 'purchase'), recent: [] };
    const plain = await s.recommender.recommend(user, {}, NOW);
    expect(plain.items.map((item) => item.itemId)).not.toContain(bought);
    const withBought = await s.recommender.recommend(user, { includeBought: true }, NOW);
    expect(withBought.items[0]!.itemId).toBe(bought);
  });

  it('returns k in-category items for a small category, scanned exactly', async () => {
    const scan = vi.spyOn(s.index, 'scanExact');
    const user = userAfter(s.index, ['sku-00001', 'sku-00002', 'sku-00003']);
    const list = await s.recommender.recommend(user, { category: 'home/lamps', k: 12 }, NOW);
    expect(list.items).toHaveLength(12);
    for (const { itemId } of list.items) expect(byId.get(itemId)!.category).toBe('home/lamps');
    expect(scan).toHaveBeenCalled();
    scan.mockRestore();
    // A parent category covers its children; a new visitor gets k in-category items too.
    const parent = await s.recommender.recommend(emptyUser(), { category: 'Home', k: 15 }, NOW);
    expect(parent.items).toHaveLength(15);
    for (const { itemId } of parent.items) expect(byId.get(itemId)!.category.startsWith('home/')).toBe(true);
    expect(parent.context).toEqual({ category: 'Home', k: 15 });
    const unknown = await s.recommender.recommend(emptyUser(), { category: 'no/such' }, NOW);
    expect(unknown.items).toEqual([]);
  });

  it('searches a large category inside the filtered index search', async () => {
    // 2,500 of 3,000 items in one category: too large for an exact scan of its ids.
    const big = shop(
      {},
      items.map((item, i) => (i < 2500 ? { ...item, category: 'big/one' } : item)),
    );
    const search = vi.spyOn(big.index, 'search');
    const scan = vi.spyOn(big.index, 'scanExact');
    const user = userAfter(big.index, ['sku-00001']);
    const list = await big.recommender.recommend(user, { category: 'big/one', k: 10 }, NOW);
    expect(list.items).toHaveLength(10);
    for (const { itemId } of list.items) expect(Number(itemId.slice(4))).toBeLessThanOrEqual(2500);
    expect(search).toHaveBeenCalled();
    expect(scan).not.toHaveBeenCalled();
  });

  it('answers a search with matching items and says why', async () => {
    const list = await s.recommender.recommend(emptyUser(), { query: 'lamp' }, NOW);
    expect(list.items).toHaveLength(10);
    for (const { itemId, reason } of list.items) {
      expect(byId.get(itemId)!.category).toBe('home/lamps');
      expect(reason).toBe("for your search 'lamp'");
    }
    // A shopper with a taste still gets the searched thing.
    const runner = userAfter(
      s.index,
      items
        .filter((item) => item.category === 'sports/running')
        .slice(0, 5)
        .map((item) => item.itemId),
    );
    const mixed = await s.recommender.recommend(runner, { query: 'lamp' }, NOW);
    expect(mixed.items.filter(({ itemId }) => byId.get(itemId)!.category === 'home/lamps').length).toBeGreaterThanOrEqual(8);
  });

  it('suggests items often viewed with what the shopper just viewed', async () => {
    const local = shop();
    const [x, y] = ['sku-00100', 'sku-00200'];
    for (let e = 0; e < 5; e++) await local.stats.record(`pair-${e}`, { items: [], pairs: [[x, y, 1]], ts: NOW });
    const user = userAfter(local.index, [x]);
    const list = await local.recommender.recommend(user, {}, NOW);
    expect(list.items[0]).toMatchObject({ itemId: y, reason: `often viewed with ${byId.get(x)!.title}` });
    // Outside the session window the recent item seeds nothing.
    const stale = userAfter(local.index, [x], 'view', emptyUser(), NOW - 3 * 3600 * 1000);
    const later = await local.recommender.recommend(stale, {}, NOW);
    expect(later.items[0]?.reason).not.toBe(`often viewed with ${byId.get(x)!.title}`);
  });

  it('leads a new visitor with popular items and caches popularity', async () => {
    const local = shop({ popularCacheMs: 60_000 });
    const hot = ['sku-00301', 'sku-00302', 'sku-00303'].filter((id) => local.catalog.isRecommendable(id, 'regular'));
    for (const [i, id] of hot.entries()) await local.stats.record(`hot-${i}`, { items: [[id, 10 - i]], pairs: [], ts: NOW });
    const popular = vi.spyOn(local.stats, 'popular');
    const list = await local.recommender.recommend(emptyUser(), {}, NOW);
    expect(list.items.slice(0, hot.length).map((item) => item.itemId)).toEqual(hot);
    expect(list.items[0]!.reason).toBe('popular now');
    expect(list.items).toHaveLength(10);
    await Promise.all([local.recommender.recommend(emptyUser(), {}, NOW), local.recommender.recommend(emptyUser(), {}, NOW)]);
    expect(popular).toHaveBeenCalledTimes(1);
  });

  it('returns what there is when fewer than k items pass the filters', async () => {
    const tiny = shop({}, items.slice(0, 8));
    const passing = items.slice(0, 8).filter((item) => tiny.catalog.isRecommendable(item.itemId, 'regular'));
    const list = await tiny.recommender.recommend(emptyUser(), { k: 20 }, NOW);
    expect(list.items.map((item) => item.itemId).sort()).toEqual(passing.map((item) => item.itemId).sort());
  });

  it('rejects a bad k with invalid_request', async () => {
    await expect(s.recommender.recommend(emptyUser(), { k: 0 }, NOW)).rejects.toMatchObject({ code: 'invalid_request' });
    expect(() => s.recommender.similar('sku-00001', 101, 'regular')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});

describe('Recommender.similar', () => {
  let s: ReturnType<typeof shop>;
  beforeAll(() => {
    s = shop();
  });

  it('returns k items like the given one, without itself, only ones the tier may see and in stock', () => {
    for (const tier of TIERS) {
      const anchor = items.find((item) => !item.minTier && item.category === 'electronics/audio')!;
      const list = s.recommender.similar(anchor.itemId, 20, tier);
      expect(list.items).toHaveLength(20);
      expect(list.items.map((item) => item.itemId)).not.toContain(anchor.itemId);
      for (const { itemId, reason } of list.items) {
        expect(s.catalog.isRecommendable(itemId, tier)).toBe(true);
        expect(reason).toBe(`similar to ${anchor.title}`);
      }
      expect(list.items.filter(({ itemId }) => byId.get(itemId)!.category === anchor.category).length).toBeGreaterThanOrEqual(18);
      expect(list.context).toEqual({ k: 20 });
    }
  });

  it('hides items above the tier and unknown items behind not_found', () => {
    const vip = items.find((item) => item.minTier === 'vip')!;
    const notFound = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return isPulseError(err) && err.code === 'not_found';
      }
      return false;
    };
    expect(notFound(() => s.recommender.similar(vip.itemId, 5, 'regular'))).toBe(true);
    expect(notFound(() => s.recommender.similar('sku-99999', 5, 'enterprise'))).toBe(true);
    expect(s.recommender.similar(vip.itemId, 5, 'vip').items).toHaveLength(5);
  });
});
