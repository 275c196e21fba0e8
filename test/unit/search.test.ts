import { describe, expect, it } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { RecommenderOptions } from '../../engine/recommend/recommender.js';
import { eventEffect, type EffectOptions } from '../../engine/shoppers/logic/event-effect.js';
import {
  DEFAULT_SEARCH_TEXT_SHARE,
  normalisedMatches,
  searchFold,
  searchRelevance,
  SEARCH_MATCHES,
} from '../../engine/catalog/logic/search-relevance.js';
import { foldIn } from '../../engine/shoppers/logic/user-vector.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { shop as catalogShop } from '../helpers/recommender-fixtures.js';

const NOW = 1_750_000_000_000;
const _DIM = 64;

describe('search relevance and the search fold', () => {
  it('blends normalised BM25 with the query vector’s cosine, each alone when the other is missing', () => {
    expect(searchRelevance(1, 0.4, 0.5, true)).toBeCloseTo(0.7, 12);
    expect(searchRelevance(undefined, 0.4, 0.25, true)).toBeCloseTo(0.3, 12);
    expect(searchRelevance(0.5, -0.3, 0.5, true)).toBeCloseTo(0.25, 12);
    // No item matched the words: the cosine alone (as before BM25); no usable query vector: BM25 alone.
    expect(searchRelevance(undefined, 0.4, 0.5, false)).toBeCloseTo(0.4, 12);
    expect(searchRelevance(0.6, undefined, 0.5, true)).toBeCloseTo(0.6, 12);
    expect([
      ...normalisedMatches([
        { id: 'a', score: 4 },
        { id: 'b', score: 1 },
      ]),
    ]).toEqual([
      ['a', 1],
      ['b', 0.25],
    ]);
  });

  it('shares a search’s weight between the query vector and its best matches by normalised score', () => {
    const fold = searchFold(
      1.5,
      [
        { id: 'a', score: 2 },
        { id: 'gone', score: 1.5 },
        { id: 'b', score: 1 },
      ],
      (id) => id !== 'gone',
    );
    // Items take 0.75 of 1.5, in proportion to 1 : 0.5.
    expect(fold.query).toBeCloseTo(0.375, 12);
    expect(fold.items).toEqual([
      { itemId: 'a', weight: expect.closeTo(0.75, 12) },
      { itemId: 'b', weight: expect.closeTo(0.375, 12) },
    ]);
    expect(searchFold(1.5, [], () => true)).toEqual({ query: 1.5, items: [] });
    const many = Array.from({ length: 30 }, (_, i) => ({ id: `i${i}`, score: 30 - i }));
    expect(searchFold(1.5, many, () => true).items).toHaveLength(SEARCH_MATCHES);
  });
});

describe('a search event', () => {
  const options: EffectOptions = { tasteHalfLifeSeconds: 3600, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 50 };
  const unit = (i: number) => Float32Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
  const items: Record<string, Float32Array> = { a: unit(0), b: unit(1), c: unit(2) };
  const search = (query: string): StoredEvent =>
    ({ id: 's1', type: 'search', query, userId: 'u1', ts: 1000, receivedAt: 1000 }) as StoredEvent;

  it('moves the shopper toward the matched items’ vectors, weighted by their scores, and the query’s own', () => {
    const vectors = {
      item: (id: string) => items[id],
      text: () => unit(3),
      textMatches: () => [
        { id: 'a', score: 2 },
        { id: 'b', score: 1 },
      ],
    };
    const effect = eventEffect(emptyUserState(), search('lamp'), vectors, options);
    // 0.75·(2/3)·1.5 on a, 0.75·(1/3)·1.5 on b, 0.25·1.5 on the query: (0.75, 0.375, 0, 0.375), normalised.
    const expected = [0.75, 0.375, 0, 0.375];
    const length = Math.hypot(...expected);
    expect([...effect.change.vector!.slice(0, 4)].map((x) => Math.round(x * 1e6) / 1e6)).toEqual(
      expected.map((x) => Math.round((x / length) * 1e6) / 1e6),
    );
    expect(effect.change.strength).toBeCloseTo(1.5, 12);
    expect(effect.next.recent).toEqual([]);
    // Without matches the query's vector takes it all; without a usable query vector the matches do.
    const textOnly = eventEffect(emptyUserState(), search('lamp'), { item: vectors.item, text: () => unit(3) }, options);
    expect(cosine(textOnly.change.vector!, unit(3))).toBeCloseTo(1, 6);
    const itemsOnly = eventEffect(emptyUserState(), search('lamp'), { ...vectors, text: () => new Float32Array(8) }, options);
    expect(cosine(itemsOnly.change.vector!, unit(0))).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(itemsOnly.change.strength).toBeCloseTo(1.5, 12);
    const nothing = eventEffect(emptyUserState(), search('the'), { item: vectors.item, text: () => new Float32Array(8) }, options);
    expect(nothing.change.vector).toBeUndefined();
    expect(nothing.change.strength).toBe(0);
  });
});

describe('recommend {query} and {channel}', () => {
  const catalogItems = generateDemoCatalog({ count: 3000, seed: 42 }).map((item, i): Item => {
    // 2% of items in the app (some of them lamps), 60% on the web only, the rest everywhere.
    const app = i % 50 === 0 || (item.category === 'home/lamps' && i % 3 === 0);
    return app ? { ...item, channels: ['app', 'web'] } : i % 5 < 3 ? { ...item, channels: ['web'] } : item;
  });
  const byId = new Map(catalogItems.map((item) => [item.itemId, item]));

  const shop = (options: Partial<RecommenderOptions> = {}) => catalogShop(options, catalogItems);
  const s = shop();
  const runner = (): UserState => {
    let user: UserState = emptyUserState();
    const runs = catalogItems.filter((item) => item.category === 'sports/running').slice(0, 4);
    runs.forEach((item, i) => {
      const next = foldIn(user, s.index.get(item.itemId)!, 1, NOW - 60_000 + i, 6 * 3600);
      user = { ...user, ...next, recent: [{ itemId: item.itemId, type: 'view', ts: NOW - 60_000 + i }, ...user.recent] };
    });
    return user;
  };

  it('ranks a new shopper’s search by the blend of normalised BM25 and the query vector’s cosine', async () => {
    const query = 'brass lamp';
    const list = await s.recommender.recommend(emptyUserState(), { query, k: 10 }, NOW);
    const text = normalisedMatches(s.catalog.textMatches(query, 1000, (id) => s.catalog.isRecommendable(id, 'regular')));
    const vector = s.encoder.encodeText(query);
    const relevance = (id: string) => searchRelevance(text.get(id), s.index.similarity(id, vector), DEFAULT_SEARCH_TEXT_SHARE, true);
    expect(list.items).toHaveLength(10);
    for (const { itemId, score, reason } of list.items) {
      // A new shopper without crowd signals: score = relevance x QUERY_SHARE (0.5).
      expect(score).toBeCloseTo(0.5 * relevance(itemId), 5);
      expect(reason).toBe(`for your search '${query}'`);
      expect(byId.get(itemId)!.title.toLowerCase()).toContain('brass');
    }
    // Nothing passing the filters ranks above the list's last item.
    const last = list.items[list.items.length - 1]!.score;
    for (const id of s.catalog.ids())
      if (s.catalog.isRecommendable(id, 'regular') && !list.items.some((i) => i.itemId === id))
        expect(0.5 * relevance(id)).toBeLessThanOrEqual(last + 1e-6);
    // The text share moves the order: BM25 alone and the vector alone give other lists.
    const bm25 = await shop({ searchTextShare: 1 }).recommender.recommend(emptyUserState(), { query, k: 10 }, NOW);
    const tower = await shop({ searchTextShare: 0 }).recommender.recommend(emptyUserState(), { query, k: 10 }, NOW);
    const bm25Ids = s.catalog.textMatches(query, 10, (id) => s.catalog.isRecommendable(id, 'regular')).map((m) => m.id);
    expect(bm25.items.map((i) => i.itemId)).toEqual(bm25Ids);
    expect(tower.items.map((i) => i.itemId)).not.toEqual(bm25Ids);
    expect(() => shop({ searchTextShare: 1.5 })).toThrow(RangeError);
  });

  it('finds an item by a word the query vector does not know, and keeps the taste gated by relevance', async () => {
    const list = await s.recommender.recommend(runner(), { query: 'lamp', k: 10 }, NOW);
    expect(list.items.filter(({ itemId }) => byId.get(itemId)!.category === 'home/lamps')).toHaveLength(10);
    // "lam" is no word of the encoder's vocabulary (its vector points nowhere near lamps); BM25's prefix finds them.
    const prefix = await s.recommender.recommend(emptyUserState(), { query: 'lam', k: 10 }, NOW);
    expect(prefix.items.filter(({ itemId }) => byId.get(itemId)!.title.toLowerCase().includes('lamp')).length).toBeGreaterThanOrEqual(9);
    expect(prefix.items[0]!.reason).toBe("for your search 'lam'");
  });

  it('returns k items of the asked channel, alone and with a category or a query', async () => {
    const inApp = (id: string) => byId.get(id)!.channels?.includes('app') ?? true;
    const appShare = catalogItems.filter((item) => inApp(item.itemId)).length / catalogItems.length;
    expect(appShare).toBeLessThan(0.45);
    for (const [user, request] of [
      [emptyUserState(), { channel: 'app', k: 20 }],
      [runner(), { channel: 'APP', k: 20 }],
      [runner(), { channel: 'app', category: 'home/lamps', k: 20 }],
      [runner(), { channel: 'app', query: 'lamp', k: 20 }],
    ] as const) {
      const list = await s.recommender.recommend(user, request, NOW);
      expect(list.items).toHaveLength(20);
      for (const { itemId } of list.items) {
        expect(inApp(itemId)).toBe(true);
        if ('category' in request) expect(byId.get(itemId)!.category).toBe('home/lamps');
      }
    }
    // The web-only items are out of the app and in the web.
    const web = await s.recommender.recommend(runner(), { channel: 'web', k: 30 }, NOW);
    expect(web.items).toHaveLength(30);
    const unknown = await s.recommender.recommend(runner(), { channel: 'kiosk', k: 30 }, NOW);
    expect(unknown.items).toHaveLength(30);
    for (const { itemId } of unknown.items) expect(byId.get(itemId)!.channels).toBeUndefined();
  });
});
