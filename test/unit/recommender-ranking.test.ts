import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { RecommendRequestSchema, type InteractionType, type Item, type RecommendationList } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { affinityAfter, affinityGain, brandKey } from '../../engine/shoppers/logic/affinity.js';
import { meanPairwiseSimilarity } from '../../engine/recommend/logic/diversity.js';
import { tasteWeight } from '../../engine/shoppers/logic/event-weights.js';
import { foldIn } from '../../engine/shoppers/logic/user-vector.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { AttributeVectorSource } from '../../engine/recommend/model-registry.js';
import { Recommender, type CampaignBoostSource, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import { ShopperIndex } from '../../engine/recommend/shopper-index.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';

/**
 * The ranking steps of issue 6 part C through the recommender itself: the affinity boost, the
 * "shoppers like you" source, the MMR diversity re-rank and a reason on every item.
 */

const DIM = 64;
const NOW = 1_750_000_000_000;
const HALF_LIFE = 6 * 3600;
const AFFINITY_HALF_LIFE = 14 * 24 * 3600;

/** Six groups of 15 look-alike items whose attributes share nothing across groups. */
const GROUPS = [
  { key: 'a', category: 'Home/Lamps', brand: 'Lumo', words: ['aurora', 'nimbus', 'solace'], noun: 'lamp', tag: 'lighting', price: 40 },
  { key: 'b', category: 'Garden/Tools', brand: 'Tergo', words: ['forged', 'ash', 'rustproof'], noun: 'spade', tag: 'steel', price: 65 },
  {
    key: 'c',
    category: 'Toys/Puzzles',
    brand: 'Pazl',
    words: ['wooden', 'tricky', 'colourful'],
    noun: 'puzzle',
    tag: 'brainteaser',
    price: 16,
  },
  {
    key: 'd',
    category: 'Office/Paper',
    brand: 'Notra',
    words: ['ruled', 'recycled', 'pocket'],
    noun: 'notebook',
    tag: 'stationery',
    price: 3,
  },
  {
    key: 'e',
    category: 'Sport/Running',
    brand: 'Velo',
    words: ['breathable', 'reflective', 'trail'],
    noun: 'shoe',
    tag: 'athletic',
    price: 130,
  },
  {
    key: 'f',
    category: 'Audio/Headphones',
    brand: 'Sonik',
    words: ['wireless', 'studio', 'quiet'],
    noun: 'headphone',
    tag: 'bluetooth',
    price: 280,
  },
];
const grouped: Item[] = GROUPS.flatMap((group) =>
  Array.from({ length: 15 }, (_, i) => ({
    itemId: `${group.key}-${String(i).padStart(2, '0')}`,
    // No shared words across groups (not even a number): only the shoppers link them.
    title: `${group.brand} ${group.words[i % 3]} ${group.noun}`,
    category: group.category,
    brand: group.brand,
    price: group.price + i,
    tags: [group.tag],
  })),
);
const groupOf = (itemId: string) => itemId.split('-')[0]!;
const ids = (list: RecommendationList) => list.items.map((item) => item.itemId);

function shop(
  catalogItems: Item[],
  options: Partial<RecommenderOptions> = {},
  extra: { shoppers?: ShopperIndex; boosts?: CampaignBoostSource } = {},
) {
  const encoder = new ContentEncoder({ dimension: DIM });
  const index = new ExactVectorIndex({ dimension: DIM });
  const catalog = new CatalogService({ index, encoder });
  for (const item of catalogItems) catalog.apply({ type: 'upsert', item });
  const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 24 * 3600 });
  const models = { current: () => ({ source: new AttributeVectorSource(encoder), index }) };
  const make = (more: Partial<RecommenderOptions> = {}, deps: { shoppers?: ShopperIndex; boosts?: CampaignBoostSource } = extra) =>
    new Recommender({
      catalog,
      index,
      stats,
      encoder,
      ...deps,
      options: { defaultK: 10, sessionGapSeconds: 1800, affinityHalfLifeSeconds: AFFINITY_HALF_LIFE, ...options, ...more },
    });
  return { encoder, index, catalog, stats, models, recommender: make(), make };
}

/** The shopper after `steps` (oldest first), vector, recent items and affinity folded in as the engine does. */
function shopperAfter(
  s: ReturnType<typeof shop>,
  steps: Array<[string, InteractionType]>,
  base: UserState = emptyUserState(),
  startTs = NOW - 60_000,
): UserState {
  let user = base;
  steps.forEach(([itemId, type], i) => {
    const ts = startTs + i * 1000;
    const next = foldIn(user, s.index.get(itemId)!, tasteWeight[type], ts, HALF_LIFE);
    const affinity =
      affinityAfter(user.affinity, affinityGain([[s.catalog.get(itemId), tasteWeight[type]]]), ts, AFFINITY_HALF_LIFE) ?? user.affinity;
    user = {
      ...user,
      vector: next.vector,
      strength: next.strength,
      updatedAt: next.updatedAt,
      version: user.version + 1,
      recent: [{ itemId, type, ts }, ...user.recent].slice(0, 50),
      bought: type === 'purchase' ? new Set([...user.bought, itemId]) : user.bought,
      affinity,
    };
  });
  return user;
}

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

describe('reasons', () => {
  it('gives every item of every list a reason, over many random shoppers and requests', async () => {
    const demo = generateDemoCatalog({ count: 1500, seed: 9 });
    const random = mulberry32(17);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const shoppers = new ShopperIndex({
      models: {
        current: () => ({
          source: new AttributeVectorSource(new ContentEncoder({ dimension: DIM })),
          index: new ExactVectorIndex({ dimension: DIM }),
        }),
      },
      createIndex: (dimension) => new ExactVectorIndex({ dimension }),
      limit: 1000,
    });
    const boosts: CampaignBoostSource = {
      active: () => true,
      boostsFor: () => [{ name: 'Summer sale', itemIds: demo.slice(0, 40).map((item) => item.itemId) }],
    };
    const s = shop(demo, { affinityBoost: 0.15, diversity: 0.2 }, { shoppers, boosts });
    const categories = [...new Set(demo.map((item) => item.category))];
    const words = demo.slice(0, 50).map((item) => item.title.split(' ')[0]!);
    for (let e = 0; e < 300; e++) {
      const x = pick(demo).itemId;
      await s.stats.record(`seed-${e}`, { items: [[x, 1 + (e % 3)]], pairs: [[x, pick(demo).itemId, 1]], ts: NOW - e * 1000 });
    }
    const types: InteractionType[] = ['view', 'view', 'click', 'like', 'add_to_cart', 'purchase', 'dislike', 'remove_from_cart'];
    const seen = new Map<string, number>();
    let lists = 0;
    for (let u = 0; u < 80; u++) {
      const steps = Array.from({ length: Math.floor(random() * 10) }, () => [pick(demo).itemId, pick(types)] as [string, InteractionType]);
      const user = shopperAfter(s, steps);
      shoppers.update(`u${u}`, user);
      for (let r = 0; r < 4; r++) {
        const request = {
          k: 1 + Math.floor(random() * 30),
          ...(random() < 0.3 ? { category: pick(categories) } : {}),
          ...(random() < 0.25 ? { query: pick(words) } : {}),
          ...(random() < 0.4 ? { diversity: random() } : {}),
        };
        const member = random() < 0.3 ? ({ memberId: `u${u}`, tier: 'regular' } as StoredMember) : undefined;
        const list = await s.recommender.recommend(user, request, NOW, member, `u${u}`);
        lists++;
        for (const item of list.items) {
          expect(typeof item.reason === 'string' && item.reason.length > 0, `${item.itemId} in ${JSON.stringify(request)}`).toBe(true);
          const kind = item.reason!.replace(/^(like|often viewed with|popular in|for your search|campaign|more in) .*$/, '$1');
          seen.set(kind, (seen.get(kind) ?? 0) + 1);
        }
      }
    }
    expect(lists).toBe(320);
    // The sources and fill-ups all spoke at least once.
    for (const kind of [
      'like',
      'often viewed with',
      'popular now',
      'popular in',
      'for your search',
      'campaign',
      'shoppers like you also liked it',
    ]) {
      expect(seen.get(kind) ?? 0, `${kind}: ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    }
  });

  it('names the category in "popular in" only for the list\'s scope or a category the shopper likes, and fills with "more in <category>"', async () => {
    const s = shop(grouped);
    await s.stats.record('p1', {
      items: [
        ['a-05', 5],
        ['c-05', 5],
      ],
      pairs: [],
      ts: NOW - 1000,
    });
    // A shopper with no taste vector yet but an affinity for lamps (from a purchase long ago).
    const likesLamps = { ...emptyUserState(), affinity: shopperAfter(s, [['a-09', 'purchase']]).affinity };
    const list = await s.recommender.recommend(likesLamps, { k: 5 }, NOW);
    const reason = (id: string) => list.items.find((item) => item.itemId === id)?.reason;
    expect(reason('a-05')).toBe('popular in Home/Lamps');
    expect(reason('c-05')).toBe('popular now');
    // Scoped to puzzles: the scope is named; past the popular ones the scope fills the list.
    const scoped = await s.recommender.recommend(emptyUserState(), { k: 15, category: 'Toys/Puzzles' }, NOW);
    expect(scoped.items).toHaveLength(15);
    expect(scoped.items[0]).toMatchObject({ itemId: 'c-05', reason: 'popular in Toys/Puzzles' });
    for (const item of scoped.items.slice(1)) expect(item.reason).toBe('more in Toys/Puzzles');
    const shopWide = await s.recommender.recommend(emptyUserState(), { k: 10 }, NOW);
    expect(shopWide.items.filter((item) => item.score === 0).every((item) => item.reason === 'to explore the shop')).toBe(true);
  });
});
