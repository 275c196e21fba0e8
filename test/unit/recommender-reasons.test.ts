import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { InteractionType } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import { AttributeVectorSource } from '../../engine/recommend/model-registry.js';
import type { CampaignBoostSource } from '../../engine/recommend/recommender.js';
import { ShopperIndex } from '../../engine/recommend/shopper-index.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { DIM, grouped, shop, shopperAfter } from '../helpers/ranking-fixtures.js';
import { NOW } from '../helpers/recommender-fixtures.js';

/** A reason on every item of every list, and how "popular in" and "more in" name a category (split from recommender-ranking.test.ts). */

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
