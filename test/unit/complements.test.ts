import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { RecommendationList, StoredEvent } from '../../engine/contracts/schemas.js';
import { afterPurchase, complementList, complementSeeds, purchaseRelations } from '../../engine/recommend/logic/complements.js';
import { blendWeights, mergeCandidates, rankCandidates, type RankingContext } from '../../engine/recommend/logic/ranking.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { Recommender, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { tvShopCatalog, tvShopStream, type ShopEvent } from '../helpers/tv-shop.js';

const DAY = 86_400_000;
const T = Date.UTC(2025, 2, 1);
const purchase = (id: string, ts: number, ...itemIds: string[]): StoredEvent => ({
  id,
  userId: 'u',
  type: 'purchase',
  items: itemIds.map((itemId) => ({ itemId, quantity: 1, price: 1 })),
  ts,
  receivedAt: ts,
});
const recent = (...entries: Array<[string, RecentInteraction['type'], number]>): RecentInteraction[] =>
  entries.map(([itemId, type, ts]) => ({ itemId, type, ts }));

describe('purchase relations (logic/complements.ts)', () => {
  it('pairs the lines of one purchase, each pair weighing 1/sqrt(lines - 1)', () => {
    const { coPurchases, boughtAfter } = purchaseRelations(
      { recent: [], bought: new Set() },
      purchase('p', T, 'a', 'b', 'c'),
      ['a', 'b', 'c'],
      30 * 86_400,
    );
    expect(coPurchases).toEqual([
      ['a', 'b', 1 / Math.sqrt(2)],
      ['a', 'c', 1 / Math.sqrt(2)],
      ['b', 'c', 1 / Math.sqrt(2)],
    ]);
    expect(boughtAfter).toEqual([]);
  });

  it('counts new lines as bought after the earlier purchases in the window, never a re-order or a view', () => {
    const state = {
      recent: recent(
        ['viewed', 'view', T - DAY],
        ['tv', 'purchase', T - 2 * DAY],
        ['cable', 'purchase', T - 2 * DAY],
        ['old', 'purchase', T - 40 * DAY],
      ),
      bought: new Set(['tv', 'cable', 'old']),
    };
    const { boughtAfter } = purchaseRelations(state, purchase('p', T, 'bracket', 'cable'), ['bracket', 'cable'], 30 * 86_400);
    expect(boughtAfter).toEqual([
      ['tv', 'bracket', 1 / Math.sqrt(2)],
      ['cable', 'bracket', 1 / Math.sqrt(2)],
    ]);
    expect(
      purchaseRelations(state, { id: 'v', userId: 'u', type: 'view', itemId: 'bracket', ts: T, receivedAt: T }, ['bracket'], 30 * 86_400),
    ).toEqual({ coPurchases: [], boughtAfter: [] });
  });

  it('names the just-bought items only while the purchase is the newest interaction in the session window', () => {
    const bought = recent(['tv', 'purchase', T - 60_000], ['bracket', 'purchase', T - 60_000], ['tv', 'view', T - 120_000]);
    expect(afterPurchase(bought, T, 1800)).toEqual(['tv', 'bracket']);
    expect(afterPurchase(bought, T + 1800_000, 1800)).toBeUndefined();
    expect(afterPurchase([{ itemId: 'x', type: 'view', ts: T }, ...bought], T, 1800)).toBeUndefined();
    expect(complementSeeds(bought, T, { scope: 'session', maxSeeds: 1, sessionGapSeconds: 1800 })).toEqual([{ itemId: 'tv', weight: 1 }]);
  });

  it('seeds from the newest purchases of any age in history scope, each older purchase weighing half', () => {
    const history = recent(
      ['x', 'view', T],
      ['a', 'purchase', T - 9 * DAY],
      ['b', 'purchase', T - 9 * DAY],
      ['c', 'purchase', T - 20 * DAY],
      ['a', 'purchase', T - 30 * DAY],
    );
    expect(complementSeeds(history, T, { scope: 'history', maxSeeds: 10, sessionGapSeconds: 1800 })).toEqual([
      { itemId: 'a', weight: 1 },
      { itemId: 'b', weight: 1 },
      { itemId: 'c', weight: 0.5 },
    ]);
    expect(complementSeeds(history, T, { scope: 'session', maxSeeds: 10, sessionGapSeconds: 1800 })).toEqual([]);
  });

  it("combines a seed's co-purchase and bought-after lists, each divided by its best", () => {
    expect(
      complementList(
        [
          ['a', 4],
          ['b', 2],
        ],
        [
          ['b', 1],
          ['c', 0.5],
        ],
      ),
    ).toEqual([
      ['b', 1.5],
      ['a', 1],
      ['c', 0.5],
    ]);
    expect(complementList([], [])).toEqual([]);
  });
});

describe('the complement signal (logic/ranking.ts)', () => {
  const context: RankingContext = { strength: 20, titleOf: (id) => `title of ${id}`, nearestRecent: () => undefined, complements: true };

  it('takes its share of the score only when there are complement seeds', () => {
    expect(blendWeights(20, false, {}, false, true)).toMatchObject({ complement: 0.5 });
    expect(blendWeights(20, false, {}, false, false).complement).toBe(0);
    const w = blendWeights(20, false, {}, false, true);
    expect(w.personal + w.coVisitation + w.popularity + w.complement).toBeCloseTo(1, 12);
    expect(blendWeights(20, false, { complementShare: 0.8 }, false, true).complement).toBeCloseTo(0.8, 12);
  });

  it('ranks a complement of the bought item above a closer look-alike, with the reason "often bought with"', () => {
    const merged = mergeCandidates({
      vector: [
        { id: 'lookalike', similarity: 0.95 },
        { id: 'bracket', similarity: 0.3 },
      ],
      complements: [
        {
          via: 'tv',
          items: [
            ['bracket', 3],
            ['soundbar', 1.5],
          ],
        },
      ],
    });
    expect(merged.get('bracket')).toMatchObject({ complement: 1, complementOf: 'tv' });
    expect(merged.get('soundbar')?.complement).toBeCloseTo(0.5, 12);
    const ranked = rankCandidates(merged.values(), 3, context);
    expect(ranked.map((item) => item.itemId)).toEqual(['bracket', 'lookalike', 'soundbar']);
    expect(ranked[0]?.reason).toBe('often bought with title of tv');
    expect(rankCandidates(merged.values(), 3, { ...context, complements: false })[0]?.itemId).toBe('lookalike');
  });

  it('sums a candidate over seeds (weighted), named after its largest part', () => {
    const merged = mergeCandidates({
      complements: [
        {
          via: 'a',
          items: [
            ['x', 1],
            ['y', 2],
          ],
          weight: 1,
        },
        { via: 'b', items: [['x', 4]], weight: 0.5 },
      ],
    });
    // x: 0.5 (from a) + 0.5 (from b); y: 1 (from a); both normalised by the best sum 1
    expect(merged.get('x')).toMatchObject({ complement: 1, complementOf: 'a' });
    expect(merged.get('y')).toMatchObject({ complement: 1, complementOf: 'a' });
  });
});

/**
 * The whole path in process: the TV shop's stream through the engine's EventProcessor (memory
 * state and stats), then a new shopper's lists from the Recommender before and after buying a TV.
 */
describe('after a purchase the list turns from substitutes to complements', () => {
  const shop = tvShopCatalog();
  const NOW = Date.UTC(2025, 5, 1, 12);
  const encoder = new ContentEncoder({ dimension: 32 });
  const index = new ExactVectorIndex({ dimension: 32 });
  const catalog = new CatalogService({ index, encoder });
  for (const item of shop.items) catalog.apply({ type: 'upsert', item });
  const users = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 });
  const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 86_400 });
  const recommender = (options: Partial<RecommenderOptions> = {}) =>
    new Recommender({ catalog, index, encoder, stats, options: { defaultK: 10, sessionGapSeconds: 1800, ...options } });
  let clock = 0;
  const processor = new EventProcessor({
    users,
    stats,
    vectors: { item: (id) => index.get(id), text: (q) => encoder.encodeText(q) },
    notifier: { pushToUser: () => undefined, pushToAll: () => undefined },
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    now: () => clock,
    itemAttributes: (id) => catalog.get(id),
    options: {
      defaultK: 10,
      tasteHalfLifeSeconds: 6 * 3600,
      sessionGapSeconds: 1800,
      coVisitWindow: 5,
      recentLimit: 50,
      pushMaxAgeMs: -1,
      retryDelayMs: 10,
    },
  });
  const apply = async (event: ShopEvent) => {
    clock = event.ts;
    await processor.process({ ...event, receivedAt: event.ts } as StoredEvent);
  };
  const tvs = new Set(shop.tvs);
  const goesWithTv = new Set([...shop.brackets, ...shop.soundbars]);
  const ids = (list: RecommendationList) => list.items.map((item) => item.itemId);

  beforeAll(async () => {
    for (const event of tvShopStream(shop, { start: NOW - 20 * DAY })) await apply(event);
  });

  it('learned the TV shop: TVs co-viewed, brackets and soundbars co-bought and bought after', async () => {
    const tv = shop.tvs[0]!;
    const coViewed = (await stats.coVisited(tv, 10)).map(([id]) => id);
    expect(coViewed.filter((id) => tvs.has(id)).length).toBeGreaterThanOrEqual(5);
    const after = (await stats.boughtAfter(tv, 20)).map(([id]) => id);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((id) => goesWithTv.has(id))).toBe(true);
    expect((await stats.coPurchased(tv, 20)).every(([id]) => shop.brackets.includes(id))).toBe(true);
  });

  it('shows TVs while the shopper compares them, brackets and soundbars (and no TV) once one is bought', async () => {
    const [a, b, c] = [shop.tvs[1]!, shop.tvs[6]!, shop.tvs[3]!];
    let ts = NOW - 10 * 60_000;
    for (const itemId of [a, b, c]) await apply({ id: `n-view-${itemId}`, userId: 'newcomer', type: 'view', itemId, ts: (ts += 60_000) });
    const before = await recommender().recommend(await users.load('newcomer'), {}, ts + 1000);
    expect(
      ids(before)
        .slice(0, 5)
        .filter((id) => tvs.has(id)).length,
    ).toBeGreaterThanOrEqual(4);

    await apply({ id: 'n-buy', userId: 'newcomer', type: 'purchase', items: [{ itemId: c, quantity: 1, price: 600 }], ts: (ts += 60_000) });
    const state = await users.load('newcomer');
    const after = await recommender().recommend(state, {}, ts + 1000);
    expect(after.items).toHaveLength(10);
    expect(ids(after).filter((id) => tvs.has(id))).toEqual([]);
    expect(
      ids(after)
        .slice(0, 5)
        .every((id) => goesWithTv.has(id)),
    ).toBe(true);
    const title = catalog.get(c)!.title;
    for (const item of after.items.slice(0, 3)) expect(item.reason).toBe(`often bought with ${title}`);

    // Held back for a while only: past the session window the shopper's TV taste shows again.
    const later = await recommender().recommend(state, {}, ts + 1801_000);
    expect(ids(later).some((id) => tvs.has(id))).toBe(true);
    // Asked for TVs, or searching, the shopper gets them at once.
    const scoped = await recommender().recommend(state, { category: 'electronics/tvs' }, ts + 1000);
    expect(ids(scoped).filter((id) => tvs.has(id)).length).toBe(scoped.items.length);
  });

  it('leaves the list alone with complements switched off (sources without them)', async () => {
    const state = await users.load('newcomer');
    const off = await recommender({ sources: ['vector', 'coVisited', 'popular'] }).recommend(state, {}, state.updatedAt + 1000);
    expect(ids(off).some((id) => tvs.has(id))).toBe(true);
    expect(off.items.every((item) => !item.reason?.startsWith('often bought with'))).toBe(true);
  });

  it('is the same list for a shopper who never bought', async () => {
    const state = { ...emptyUserState(), recent: recent(['tv-01', 'view', NOW]) };
    const withComplements = await recommender().recommend(state, {}, NOW + 1000);
    const without = await recommender({ sources: ['vector', 'coVisited', 'popular', 'query', 'neighbours'] }).recommend(
      state,
      {},
      NOW + 1000,
    );
    expect(withComplements.items).toEqual(without.items);
  });
});
