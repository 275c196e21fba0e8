import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { loadEngineConfig, shopSignalCaches } from '../../engine/config.js';
import { ConfigError } from '../../engine/contracts/env.js';
import type { InteractionType } from '../../engine/contracts/schemas.js';
import { normalized } from '../../engine/recommend/logic/vector-math.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import type { VectorIndex } from '../../engine/recommend/vector-index.js';
import type { ServingModel, ServingModels } from '../../engine/recommend/model-registry.js';
import {
  CachedNeighbourSource,
  ShopperIndex,
  UNCHANGED_COSINE,
  type ShopperNeighbourSource,
} from '../../engine/recommend/shopper-index.js';
import { ShortCache } from '../../engine/platform/short-cache.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * The reuse of the shop-wide, slowly moving signals (engine configuration, shopper index
 * re-inserts, short caches' memory): what is configurable, its defaults and bounds, and that the
 * cheaper "shoppers like you" scoring answers exactly as before.
 */

const DIM = 8;
const models: ServingModels = {
  current: () => ({ source: { version: 'm1', dimension: DIM }, index: { dimension: DIM } }) as unknown as ServingModel,
};

function shopper(vector: Float32Array, items: string[], type: InteractionType = 'view'): UserState {
  return {
    ...emptyUserState(),
    vector,
    vectorVersion: 'm1',
    strength: 5,
    recent: items.map((itemId, i) => ({ itemId, type, ts: 1_000_000 - i })),
  };
}

function randomUnit(random: () => number): Float32Array {
  return normalized(Float32Array.from({ length: DIM }, () => random() - 0.5));
}

/** An exact index that counts its upserts. */
function countingIndex(): { createIndex: (dimension: number) => VectorIndex; upserts: () => number } {
  let upserts = 0;
  return {
    upserts: () => upserts,
    createIndex: (dimension) => {
      const index = new ExactVectorIndex({ dimension });
      const upsert = index.upsert.bind(index);
      index.upsert = (id, vector) => {
        upserts++;
        upsert(id, vector);
      };
      return index;
    },
  };
}

describe('shop signal configuration', () => {
  it('reuses shop-wide lists and neighbours for 5 s and joins the shopper index every 10 s by default', () => {
    const config = loadEngineConfig({});
    expect(shopSignalCaches(config)).toEqual({
      statsCacheMs: 5000,
      statsCacheItems: 5000,
      neighbourCacheMs: 5000,
      neighbourCacheUsers: 5000,
    });
    expect(config.shopperIndexIntervalMs).toBe(10_000);
    expect(config.shopperIndexKeepCosine).toBe(UNCHANGED_COSINE);
  });

  it('reads each from its variable, 0 turning the reuse off, and refuses values out of bounds', () => {
    const config = loadEngineConfig({
      STATS_CACHE_MS: '0',
      STATS_CACHE_ITEMS: '3000',
      NEIGHBOUR_CACHE_MS: '1000',
      NEIGHBOUR_CACHE_USERS: '2000',
      SHOPPER_INDEX_INTERVAL_MS: '0',
      SHOPPER_INDEX_KEEP_COSINE: '1',
    });
    expect(shopSignalCaches(config)).toEqual({ statsCacheMs: 0, statsCacheItems: 3000, neighbourCacheMs: 1000, neighbourCacheUsers: 2000 });
    expect([config.shopperIndexIntervalMs, config.shopperIndexKeepCosine]).toEqual([0, 1]);
    for (const bad of [
      { STATS_CACHE_MS: '-1' },
      { STATS_CACHE_MS: '60001' },
      { STATS_CACHE_ITEMS: '0' },
      { NEIGHBOUR_CACHE_MS: '1.5' },
      { NEIGHBOUR_CACHE_USERS: '0' },
      { SHOPPER_INDEX_INTERVAL_MS: '600001' },
      { SHOPPER_INDEX_KEEP_COSINE: '1.01' },
      { SHOPPER_INDEX_KEEP_COSINE: '0.4' },
    ]) {
      expect(() => loadEngineConfig(bad), JSON.stringify(bad)).toThrow(ConfigError);
    }
  });
});

describe('ShopperIndex keepCosine', () => {
  it('re-inserts a shopper only when their vector moved past keepCosine', () => {
    const v = normalized(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    const slightly = normalized(Float32Array.of(1, 0.05, 0, 0, 0, 0, 0, 0)); // cosine 0.9988
    const further = normalized(Float32Array.of(1, 0.2, 0, 0, 0, 0, 0, 0)); // cosine 0.9806 to v
    for (const [keepCosine, expected] of [
      [undefined, 2], // default 0.995: slightly kept (v stays stored), further (0.981 from v) re-inserted
      [1, 3], // every move re-inserts
      [0.97, 1], // both within: only the first insert
    ] as const) {
      const counting = countingIndex();
      const index = new ShopperIndex({
        models,
        createIndex: counting.createIndex,
        limit: 10,
        ...(keepCosine === undefined ? {} : { keepCosine }),
      });
      index.update('u', shopper(v, ['a']));
      index.update('u', shopper(slightly, ['b', 'a']));
      index.update('u', shopper(further, ['c', 'b', 'a']));
      expect(counting.upserts(), `keepCosine ${keepCosine}`).toBe(expected);
      // The items follow every update, re-inserted or not.
      expect(index.itemsOf('u')).toEqual(['c', 'b', 'a']);
    }
  });

  it('refuses a keepCosine outside [0, 1]', () => {
    for (const keepCosine of [-0.1, 1.1, Number.NaN]) {
      expect(
        () => new ShopperIndex({ models, createIndex: (dimension) => new ExactVectorIndex({ dimension }), limit: 10, keepCosine }),
      ).toThrow(RangeError);
    }
  });
});

describe('ShopperIndex.likedByNeighbours scoring', () => {
  /** The scoring as it was written before (a Map of sums, copied and sorted): the reference. */
  function reference(
    found: Array<{ id: string; similarity: number }>,
    entries: (id: string) => readonly string[] | undefined,
  ): Array<[string, number]> {
    const floor = Math.max(0, (found[0]?.similarity ?? 0) * 0.5);
    const scores = new Map<string, number>();
    for (const { id, similarity } of found) {
      if (!(similarity > 0) || similarity < floor) continue;
      for (const itemId of entries(id) ?? []) scores.set(itemId, (scores.get(itemId) ?? 0) + similarity);
    }
    return [...scores].sort(([ia, a], [ib, b]) => b - a || (ia < ib ? -1 : ia > ib ? 1 : 0));
  }

  it('answers exactly as the reference: same items, same sums to the bit, same order', () => {
    const random = mulberry32(11);
    const exact = new ExactVectorIndex({ dimension: DIM });
    const index = new ShopperIndex({ models, createIndex: () => exact, limit: 1000 });
    // Few items, many shoppers: items are shared, sums have several terms, some scores tie.
    for (let s = 0; s < 200; s++)
      index.update(
        `s${s}`,
        shopper(
          randomUnit(random),
          Array.from({ length: 5 }, () => `i${Math.floor(random() * 30)}`),
        ),
      );
    for (let q = 0; q < 50; q++) {
      const asked = randomUnit(random);
      const found = exact
        .search(asked, 21)
        .filter((neighbour) => neighbour.id !== 's0')
        .slice(0, 20);
      const expected = reference(found, (id) => index.itemsOf(id));
      expect(expected.length).toBeGreaterThan(0);
      expect(index.likedByNeighbours(asked, 'm1', 20, 's0')).toEqual(expected);
    }
    // Tied scores are ordered by itemId.
    const tied = new ShopperIndex({ models, createIndex: (dimension) => new ExactVectorIndex({ dimension }), limit: 10 });
    const v = normalized(Float32Array.of(1, 0, 0, 0, 0, 0, 0, 0));
    tied.update('a', shopper(v, ['z', 'm', 'b']));
    expect(tied.likedByNeighbours(v, 'm1', 1).map(([id]) => id)).toEqual(['b', 'm', 'z']);
  });
});

describe('CachedNeighbourSource reuseCosine', () => {
  it('reuses an answer while the vector stays within reuseCosine, default 0.98', () => {
    let searches = 0;
    const source: ShopperNeighbourSource = {
      likedByNeighbours: () => {
        searches++;
        return [['item', searches]];
      },
    };
    const v = normalized(Float32Array.of(1, 0, 0, 0));
    const moved = normalized(Float32Array.of(1, 0.3, 0, 0)); // cosine 0.958
    for (const [reuseCosine, expected] of [
      [undefined, 2],
      [0.95, 1],
      [1, 2],
    ] as const) {
      searches = 0;
      const cached = new CachedNeighbourSource(source, {
        ttlMs: 5000,
        maxEntries: 10,
        ...(reuseCosine === undefined ? {} : { reuseCosine }),
      });
      cached.likedByNeighbours(v, 'm1', 20, 'u');
      cached.likedByNeighbours(moved, 'm1', 20, 'u');
      expect(searches, `reuseCosine ${reuseCosine}`).toBe(expected);
    }
    expect(() => new CachedNeighbourSource(source, { ttlMs: 1, maxEntries: 1, reuseCosine: 1.5 })).toThrow(RangeError);
  });
});

describe('ShortCache memory', () => {
  it('drops expired entries at the head when a value is set, so only entries of the last ttlMs stay', () => {
    let now = 0;
    const cache = new ShortCache<string, number>({ ttlMs: 1000, maxEntries: 100, now: () => now });
    for (let i = 0; i < 10; i++) {
      cache.set(`k${i}`, i);
      now += 100;
    }
    expect(cache.size).toBe(10);
    // k0 was set 1000 ms ago, k1 900: setting k10 drops k0 only.
    cache.set('k10', 10);
    expect(cache.size).toBe(10);
    expect(cache.get('k1')).toBe(1);
    now += 5000;
    cache.set('late', 0);
    expect(cache.size).toBe(1);
    expect(cache.get('late')).toBe(0);
    // A key set again moves to the tail, with a new lifetime.
    cache.set('a', 1);
    now += 600;
    cache.set('b', 2);
    cache.set('a', 3);
    now += 500;
    cache.set('c', 4);
    expect([cache.get('late'), cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 3, 2, 4]);
    expect(cache.size).toBe(3);
  });
});
