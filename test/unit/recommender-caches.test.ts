import { describe, expect, it, vi } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { affinityAfter, affinityGain } from '../../engine/shoppers/logic/affinity.js';
import { affinityBoost, likedCategory, shopperLikes } from '../../engine/recommend/logic/affinity-boost.js';
import { tasteWeight } from '../../engine/shoppers/logic/event-weights.js';
import { foldIn } from '../../engine/shoppers/logic/user-vector.js';
import { normalized } from '../../engine/recommend/logic/vector-math.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { AffinitySignals } from '../../engine/recommend/affinity-signals.js';
import { CachedNeighbourLists, type NeighbourLists } from '../../engine/recommend/cached-neighbour-lists.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { Recommender, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import { CachedNeighbourSource, type ShopperNeighbourSource } from '../../engine/recommend/shopper-index.js';
import { ShortCache } from '../../engine/platform/short-cache.js';
import { ContentEncoder } from '../../models/content-encoder.js';

/**
 * The short caches behind a list (neighbour lists, "shoppers like you", parsed item keys): what
 * they reuse, for how long, and that a TTL of 0 always reads fresh values.
 */

const NOW = 1_750_000_000_000;

function clock(start = 0): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

describe('ShortCache', () => {
  it('keeps an entry for ttlMs, evicts the oldest past maxEntries, keeps nothing with ttlMs 0', () => {
    const time = clock();
    const cache = new ShortCache<string, number>({ ttlMs: 1000, maxEntries: 2, now: time.now });
    cache.set('a', 1);
    time.advance(10);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    // a, set first, expires first: it goes, though it was just read.
    expect(cache.get('a')).toBeUndefined();
    expect([cache.get('b'), cache.get('c')]).toEqual([2, 3]);
    // Set again: stored anew, with a new lifetime.
    time.advance(500);
    cache.set('b', 20);
    time.advance(499);
    expect([cache.get('b'), cache.get('c')]).toEqual([20, 3]);
    time.advance(1); // c was set 1000 ms ago
    expect(cache.get('c')).toBeUndefined();
    expect(cache.get('b')).toBe(20);
    expect(cache.size).toBe(1);

    const off = new ShortCache<string, number>({ ttlMs: 0, maxEntries: 10 });
    off.set('a', 1);
    expect(off.enabled).toBe(false);
    expect(off.get('a')).toBeUndefined();
    for (const bad of [
      { ttlMs: -1, maxEntries: 1 },
      { ttlMs: Number.NaN, maxEntries: 1 },
      { ttlMs: 10, maxEntries: 0 },
      { ttlMs: 10, maxEntries: 1.5 },
    ]) {
      expect(() => new ShortCache(bad)).toThrow(RangeError);
    }
  });
});

/** Neighbour lists over a fixed map, counting reads. */
function fakeLists(lists: Record<string, Array<[string, number]>>): NeighbourLists & { reads: Array<[string, number]> } {
  const reads: Array<[string, number]> = [];
  const read = async (itemId: string, limit: number) => {
    reads.push([itemId, limit]);
    return (lists[itemId] ?? []).slice(0, limit);
  };
  return { reads, coVisited: read, coPurchased: read, boughtAfter: read };
}

describe('CachedNeighbourLists', () => {
  it('reads each list once within the TTL, serves smaller limits from it, and reads again after', async () => {
    const time = clock();
    const store = fakeLists({
      a: [
        ['x', 5],
        ['y', 4],
        ['z', 3],
      ],
      b: [['x', 1]],
    });
    const cached = new CachedNeighbourLists(store, { ttlMs: 1000, maxEntries: 10, now: time.now });
    // Concurrent reads share one request.
    const [first, second] = await Promise.all([cached.coVisited('a', 2), cached.coVisited('a', 2)]);
    expect(first).toEqual([
      ['x', 5],
      ['y', 4],
    ]);
    expect(second).toEqual(first);
    expect(await cached.coVisited('a', 1)).toEqual([['x', 5]]);
    expect(store.reads).toEqual([['a', 2]]);
    // A larger limit than was read needs the store (the list may go on) ...
    expect(await cached.coVisited('a', 3)).toEqual([
      ['x', 5],
      ['y', 4],
      ['z', 3],
    ]);
    // ... unless the list came back shorter than its limit: then it is whole.
    expect(await cached.coVisited('b', 5)).toEqual([['x', 1]]);
    expect(await cached.coVisited('b', 50)).toEqual([['x', 1]]);
    // Each kind of list is its own entry.
    await cached.coPurchased('a', 2);
    expect(store.reads).toEqual([
      ['a', 2],
      ['a', 3],
      ['b', 5],
      ['a', 2],
    ]);
    time.advance(1000);
    await cached.coVisited('a', 1);
    expect(store.reads).toHaveLength(5);
  });

  it('keeps no failed read and reads every time with ttlMs 0', async () => {
    let fail = true;
    const store: NeighbourLists = {
      coVisited: async () => {
        if (fail) throw new Error('redis down');
        return [['x', 1]];
      },
      coPurchased: async () => [],
      boughtAfter: async () => [],
    };
    const cached = new CachedNeighbourLists(store, { ttlMs: 60_000, maxEntries: 10 });
    await expect(cached.coVisited('a', 5)).rejects.toThrow('redis down');
    fail = false;
    expect(await cached.coVisited('a', 5)).toEqual([['x', 1]]);

    const counted = fakeLists({ a: [['x', 1]] });
    const fresh = new CachedNeighbourLists(counted, { ttlMs: 0, maxEntries: 10 });
    await fresh.coVisited('a', 5);
    await fresh.coVisited('a', 5);
    expect(counted.reads).toHaveLength(2);
  });
});

describe('CachedNeighbourSource', () => {
  it("reuses a shopper's answer while their vector barely moves, and asks again otherwise", () => {
    const time = clock();
    const calls: string[] = [];
    const source: ShopperNeighbourSource = {
      likedByNeighbours: (_vector, version, _n, exclude) => {
        calls.push(`${exclude ?? '-'}@${version}`);
        return [['item', calls.length]];
      },
    };
    const cached = new CachedNeighbourSource(source, { ttlMs: 1000, maxEntries: 10, now: time.now });
    const v = normalized(Float32Array.of(1, 0, 0, 0));
    const nearly = normalized(Float32Array.of(1, 0.05, 0, 0)); // cosine 0.9988
    const moved = normalized(Float32Array.of(1, 0.5, 0, 0));
    const first = cached.likedByNeighbours(v, 'm1', 20, 'u1');
    expect(cached.likedByNeighbours(nearly, 'm1', 20, 'u1')).toBe(first);
    expect(calls).toEqual(['u1@m1']);
    cached.likedByNeighbours(moved, 'm1', 20, 'u1');
    cached.likedByNeighbours(moved, 'm2', 20, 'u1');
    cached.likedByNeighbours(moved, 'm2', 20, 'u2');
    cached.likedByNeighbours(moved, 'm2', 20);
    cached.likedByNeighbours(moved, 'm2', 20);
    expect(calls).toEqual(['u1@m1', 'u1@m1', 'u1@m2', 'u2@m2', '-@m2', '-@m2']);
    time.advance(1000);
    cached.likedByNeighbours(moved, 'm2', 20, 'u2');
    expect(calls).toHaveLength(7);
  });
});

describe('AffinitySignals', () => {
  it('boosts and names categories exactly as affinity-boost.ts does, and reads an item the catalog replaced afresh', () => {
    const items = new Map<string, Item>([
      ['lamp', { itemId: 'lamp', title: 'Lamp', category: 'Home > Lamps', brand: ' Lumo ', price: 10 }],
      ['rug', { itemId: 'rug', title: 'Rug', category: 'home/rugs', price: 10 }],
    ]);
    const signals = new AffinitySignals((id) => items.get(id), { maxBoost: 0.15, halfLifeSeconds: 14 * 86_400 });
    const affinity = affinityAfter(emptyUserState().affinity, affinityGain([[items.get('lamp'), 3]]), NOW, 14 * 86_400)!;
    const user: UserState = { ...emptyUserState(), affinity };
    const likes = shopperLikes(affinity, NOW, 14 * 86_400);
    const context = signals.forList(user, NOW, undefined);
    for (const id of ['lamp', 'rug', 'unknown']) {
      expect(context.boostOf!(id)).toBe(affinityBoost(items.get(id), likes, 0.15));
      expect(context.popularIn!(id)).toBe(likedCategory(items.get(id), likes));
    }
    expect(context.popularIn!('lamp')).toBe('Home/Lamps');
    // A changed item (a new object from the catalog) is read afresh.
    items.set('lamp', { ...items.get('lamp')!, category: 'Garden/Tools' });
    expect(context.boostOf!('lamp')).toBe(affinityBoost(items.get('lamp'), likes, 0.15));
    expect(signals.forList(user, NOW, 'Toys').popularIn!('lamp')).toBe('Toys');
  });
});

describe('Recommender caches', () => {
  const DIM = 32;
  const demo = generateDemoCatalog({ count: 600, seed: 5 });
  function shop(options: Partial<RecommenderOptions>) {
    const encoder = new ContentEncoder({ dimension: DIM });
    const index = new ExactVectorIndex({ dimension: DIM });
    const catalog = new CatalogService({ index, encoder });
    for (const item of demo) catalog.apply({ type: 'upsert', item });
    const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 86_400 });
    const recommender = new Recommender({ catalog, index, encoder, stats, options: { defaultK: 10, sessionGapSeconds: 1800, ...options } });
    return { index, catalog, stats, recommender };
  }
  const visible = demo.filter((item) => item.inStock !== false && !item.minTier).map((item) => item.itemId);
  const [x, y, z] = [visible[10]!, visible[200]!, visible[400]!];

  function viewer(s: ReturnType<typeof shop>, itemIds: string[]): UserState {
    let user = emptyUserState();
    itemIds.forEach((itemId, i) => {
      const ts = NOW - 60_000 + i * 1000;
      const next = foldIn(user, s.index.get(itemId)!, tasteWeight.view, ts, 6 * 3600);
      user = {
        ...user,
        vector: next.vector,
        strength: next.strength,
        updatedAt: ts,
        recent: [{ itemId, type: 'view', ts }, ...user.recent],
      };
    });
    return user;
  }

  it("reads a seed item's co-visitation list once per statsCacheMs, and at once with 0", async () => {
    for (const statsCacheMs of [60_000, 0]) {
      const s = shop({ statsCacheMs });
      await s.stats.record('p1', { items: [], pairs: [[x, y, 3]], ts: NOW });
      const reads = vi.spyOn(s.stats, 'coVisited');
      const user = viewer(s, [x]);
      const before = await s.recommender.recommend(user, {}, NOW);
      expect(before.items[0]?.itemId).toBe(y);
      // A burst of lists around the same item.
      for (let i = 0; i < 5; i++) await s.recommender.recommend(user, {}, NOW);
      expect(reads).toHaveBeenCalledTimes(statsCacheMs === 0 ? 6 : 1);
      // A new pair shows at once without the cache, after the TTL with it.
      await s.stats.record('p2', { items: [], pairs: [[x, z, 30]], ts: NOW });
      const after = await s.recommender.recommend(user, {}, NOW);
      expect(after.items[0]?.itemId).toBe(statsCacheMs === 0 ? z : y);
    }
  });

  it('defaults the list caches to popularCacheMs, so a replay that turns popularity caching off reads fresh lists', async () => {
    const s = shop({ popularCacheMs: 0 });
    await s.stats.record('p1', { items: [], pairs: [[x, y, 3]], ts: NOW });
    const user = viewer(s, [x]);
    expect((await s.recommender.recommend(user, {}, NOW)).items[0]?.itemId).toBe(y);
    await s.stats.record('p2', { items: [], pairs: [[x, z, 30]], ts: NOW });
    expect((await s.recommender.recommend(user, {}, NOW)).items[0]?.itemId).toBe(z);
    expect(() => shop({ statsCacheMs: -1 })).toThrow(RangeError);
    expect(() => shop({ neighbourCacheUsers: 0 })).toThrow(RangeError);
  });

  it('measures only the candidates the taste search did not score, and writes reasons for the shown items only', async () => {
    const s = shop({ diversity: 0.5 });
    const user = viewer(s, [x, y, z]);
    const similarity = vi.spyOn(s.index, 'similarity');
    const list = await s.recommender.recommend(user, { k: 10 }, NOW);
    expect(list.items).toHaveLength(10);
    // Without the reuse every vector candidate (40 of them) would be measured again; the reasons
    // of 10 items compare each with at most 3 recent items.
    expect(similarity.mock.calls.length).toBeLessThanOrEqual(10 * 3);
    // The same list as with the blend path's full measurement: a query-less list of a fresh recommender.
    const again = await shop({ diversity: 0.5 }).recommender.recommend(user, { k: 10 }, NOW);
    expect(again).toEqual(list);
  });
});
