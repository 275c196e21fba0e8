import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { RecommendRequestSchema, type RecommendationList } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { brandKey } from '../../engine/shoppers/logic/affinity.js';
import { meanPairwiseSimilarity } from '../../engine/recommend/logic/diversity.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import type { CampaignBoostSource } from '../../engine/recommend/recommender.js';
import { ShopperIndex } from '../../engine/recommend/shopper-index.js';
import { grouped, ids, shop, shopperAfter } from '../helpers/ranking-fixtures.js';
import { NOW } from '../helpers/recommender-fixtures.js';
import { groupOf } from '../helpers/grouped-shop.js';

/**
 * The ranking steps of issue 6 part C through the recommender itself: the affinity boost, the
 * "shoppers like you" source, the MMR diversity re-rank and a reason on every item.
 */

describe('affinity boost in the recommender', () => {
  const demo = generateDemoCatalog({ count: 3000, seed: 42 });

  it('lifts items of the brand the shopper likes, each score at most AFFINITY_BOOST above its own', async () => {
    const s = shop(demo);
    const byId = new Map(demo.map((item) => [item.itemId, item]));
    // Lamps viewed: the taste; a brand bought often elsewhere (weeks ago): the affinity alone.
    const category = demo.find((item) => item.category.toLowerCase().includes('lamp'))?.category ?? demo[0]!.category;
    const viewed = demo
      .filter((item) => item.category === category && item.inStock !== false && !item.minTier)
      .slice(0, 3)
      .map((item) => item.itemId);
    const taste = shopperAfter(
      s,
      viewed.map((id) => [id, 'view']),
    );
    const plain = await s.recommender.recommend(taste, { k: 30 }, NOW);
    // The brand most present in places 11..30 of the plain list and least in its top 10.
    const brandsOf = (list: RecommendationList, from: number, to: number) =>
      list.items.slice(from, to).map((item) => byId.get(item.itemId)!.brand!);
    const tail = brandsOf(plain, 10, 30);
    const brand = [...new Set(tail)].sort(
      (x, y) => tail.filter((b) => b === y).length - tail.filter((b) => b === x).length || x.localeCompare(y),
    )[0]!;
    const brandItems = demo
      .filter((item) => item.brand === brand && item.category !== category && item.inStock !== false && !item.minTier)
      .slice(0, 4)
      .map((item) => item.itemId);
    const fan = shopperAfter(
      s,
      brandItems.map((id) => [id, 'purchase']),
      emptyUserState(),
      NOW - 20 * 24 * 3600 * 1000,
    );
    const user: UserState = { ...taste, affinity: fan.affinity };
    expect(user.affinity.brands.has(brandKey(brand))).toBe(true);

    const unboosted = await s.recommender.recommend(user, { k: 10 }, NOW);
    const boosted = await s.make({ affinityBoost: 0.15 }).recommend(user, { k: 10 }, NOW);
    const count = (list: RecommendationList) => brandsOf(list, 0, 10).filter((b) => b === brand).length;
    expect(count(boosted)).toBeGreaterThan(count(unboosted));
    // Bounded: every boosted item's score is its own unboosted score times at most 1.15.
    const wide = await s.recommender.recommend(user, { k: 100 }, NOW);
    const own = new Map(wide.items.map((item) => [item.itemId, item.score]));
    for (const item of boosted.items) {
      const base = own.get(item.itemId)!;
      expect(item.score).toBeGreaterThanOrEqual(base - 1e-6);
      expect(item.score).toBeLessThanOrEqual(base * 1.15 + 1e-6);
    }
  });
});

describe('shoppers like you', () => {
  it("turns the nearest shoppers' recent items into candidates with their reason", async () => {
    const s = shop(grouped);
    const shoppers = new ShopperIndex({ models: s.models, createIndex: (dimension) => new ExactVectorIndex({ dimension }), limit: 1000 });
    const withNeighbours = s.make({}, { shoppers });
    // Six shoppers who viewed lamps and then spades (nothing in their attributes links the two),
    // and six who only looked at puzzles.
    for (let n = 0; n < 6; n++) {
      shoppers.update(
        `lamp-and-spade-${n}`,
        shopperAfter(s, [
          ['a-00', 'view'],
          ['a-01', 'view'],
          ['a-02', 'view'],
          [`b-0${n}`, 'view'],
          [`b-0${(n + 1) % 6}`, 'like'],
        ]),
      );
      shoppers.update(
        `puzzles-${n}`,
        shopperAfter(s, [
          ['c-00', 'view'],
          [`c-0${n + 1}`, 'view'],
        ]),
      );
    }
    const me = shopperAfter(s, [
      ['a-00', 'view'],
      ['a-01', 'view'],
      ['a-02', 'view'],
    ]);
    shoppers.update('me', me);
    const alone = await s.recommender.recommend(me, { k: 15 }, NOW);
    expect(ids(alone).filter((id) => groupOf(id) === 'b')).toEqual([]);
    const list = await withNeighbours.recommend(me, { k: 15 }, NOW, undefined, 'me');
    const spades = list.items.filter((item) => groupOf(item.itemId) === 'b');
    expect(spades.length).toBeGreaterThan(0);
    for (const item of spades) expect(item.reason).toBe('shoppers like you also liked it');
    // No puzzle: those shoppers are not like me. Nothing I viewed myself.
    expect(ids(list).filter((id) => groupOf(id) === 'c')).toEqual([]);
    expect(ids(list)).not.toContain('a-00');
  });
});

describe('diversity in the recommender', () => {
  it('lowers the mean pairwise similarity of the list, keeps the top item, and leaves campaign picks placed by score', async () => {
    const s = shop(grouped);
    const vectorOf = (id: string) => s.index.get(id);
    // A shopper mostly into lamps, a little into spades and puzzles.
    const user = shopperAfter(s, [
      ['c-00', 'view'],
      ['b-00', 'view'],
      ['a-00', 'view'],
      ['a-01', 'view'],
      ['a-02', 'like'],
    ]);
    const focused = await s.recommender.recommend(user, { k: 10, diversity: 0 }, NOW);
    const diverse = await s.recommender.recommend(user, { k: 10, diversity: 0.5 }, NOW);
    expect(diverse.items).toHaveLength(10);
    expect(diverse.items[0]).toEqual(focused.items[0]);
    const before = meanPairwiseSimilarity(ids(focused), vectorOf);
    const after = meanPairwiseSimilarity(ids(diverse), vectorOf);
    expect(after).toBeLessThan(before - 0.1);
    expect(new Set(ids(diverse).map(groupOf)).size).toBeGreaterThan(new Set(ids(focused).map(groupOf)).size);
    expect(diverse.context).toEqual({ k: 10, diversity: 0.5 });
    // The engine's default applies to a request without the option.
    const byDefault = await s.make({ diversity: 0.5 }).recommend(user, { k: 10 }, NOW);
    expect(ids(byDefault)).toEqual(ids(diverse));

    // Campaign picks: the same items and scores with and without diversity.
    const member = { memberId: 'm1', tier: 'regular' } as StoredMember;
    const boosts: CampaignBoostSource = { active: () => true, boostsFor: () => [{ name: 'Spring', itemIds: ['d-00', 'd-01', 'd-02'] }] };
    const campaigned = s.make({}, { boosts });
    const picks = (list: RecommendationList) => list.items.filter((item) => item.reason === 'campaign Spring');
    const plainPicks = picks(await campaigned.recommend(user, { k: 10, diversity: 0 }, NOW, member));
    const diversePicks = picks(await campaigned.recommend(user, { k: 10, diversity: 0.8 }, NOW, member));
    expect(plainPicks).toHaveLength(2);
    expect(diversePicks).toEqual(plainPicks);
  });

  it('takes `diversity` from the socket payload and the query string, and refuses values outside [0, 1]', () => {
    expect(RecommendRequestSchema.parse({ diversity: 0.3 })).toEqual({ diversity: 0.3 });
    expect(RecommendRequestSchema.parse({ k: '5', diversity: '0.6' })).toEqual({ k: 5, diversity: 0.6 });
    for (const bad of [1.5, -0.1, 'lots']) expect(RecommendRequestSchema.safeParse({ diversity: bad }).success).toBe(false);
  });
});
