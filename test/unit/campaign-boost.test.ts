import { describe, expect, it } from 'vitest';
import { ContentEncoder } from '../../models/content-encoder.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { Recommender, type CampaignBoost, type CampaignBoostSource, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import { campaignPicks, campaignSlots, withCampaignItems } from '../../engine/campaigns/logic/campaign-ranking.js';
import { foldIn } from '../../engine/shoppers/logic/user-vector.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';

const DIM = 64;
const NOW = 1_750_000_000_000;
const items = generateDemoCatalog({ count: 3000, seed: 42 });
const member: StoredMember = {
  memberId: 'm1',
  email: 'm1@example.com',
  name: 'M',
  tier: 'regular',
  points: 0,
  lifetimePoints: 0,
  createdAt: NOW - 1000,
};

/** A fixed set of boosting campaigns, as the registry would give them for this member. */
class FixedBoosts implements CampaignBoostSource {
  calls = 0;
  constructor(private readonly boosts: CampaignBoost[]) {}
  active(): boolean {
    return this.boosts.length > 0;
  }
  boostsFor(): CampaignBoost[] {
    this.calls++;
    return this.boosts;
  }
}

function shop(boosts: CampaignBoost[], options: Partial<RecommenderOptions> = {}) {
  const encoder = new ContentEncoder({ dimension: DIM });
  const index = new ExactVectorIndex({ dimension: DIM });
  const catalog = new CatalogService({ index, encoder });
  for (const item of items) catalog.apply({ type: 'upsert', item });
  const source = new FixedBoosts(boosts);
  const recommender = new Recommender({
    catalog,
    index,
    encoder,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 24 * 3600 }),
    boosts: source,
    options: { defaultK: 10, sessionGapSeconds: 1800, ...options },
  });
  return { index, catalog, recommender, source };
}

function viewer(index: ExactVectorIndex, itemIds: string[]): UserState {
  let user: UserState = emptyUserState();
  itemIds.forEach((itemId, i) => {
    const ts = NOW - 60_000 + i * 1000;
    const next = foldIn(user, index.get(itemId)!, 1, ts, 6 * 3600);
    user = { ...user, ...next, version: user.version + 1, recent: [{ itemId, type: 'view', ts }, ...user.recent] };
  });
  return user;
}

const visibleInStock = items.filter((item) => item.minTier === undefined && item.inStock !== false);
const category = (name: string) => visibleInStock.filter((item) => item.category === name).map((item) => item.itemId);
const categories = [...new Set(visibleInStock.map((item) => item.category))];
const campaignOf = (name: string, itemIds: string[]): CampaignBoost => ({ name, itemIds });
const campaignItems = (list: { items: Array<{ itemId: string; reason?: string }> }, name: string) =>
  list.items.filter((item) => item.reason === `campaign ${name}`).map((item) => item.itemId);

describe('campaign share of a list', () => {
  it('takes exactly floor(k x CAMPAIGN_SHARE) places when enough campaign items pass, reason `campaign <name>`', async () => {
    const offered = visibleInStock.slice(100, 130).map((item) => item.itemId);
    const { index, recommender } = shop([campaignOf('Spring', offered)]);
    const user = viewer(index, category(categories[0]!).slice(0, 3));
    const list = await recommender.recommend(user, {}, NOW, member);
    expect(list.items).toHaveLength(10);
    expect(new Set(list.items.map((item) => item.itemId)).size).toBe(10);
    expect(campaignItems(list, 'Spring')).toHaveLength(2);
    expect(
      (await recommender.recommend(user, { k: 5 }, NOW, member)).items.filter((item) => item.reason?.startsWith('campaign ')),
    ).toHaveLength(1);
    expect(
      (await recommender.recommend(user, { k: 4 }, NOW, member)).items.filter((item) => item.reason?.startsWith('campaign ')),
    ).toHaveLength(0);
    const half = shop([campaignOf('Spring', offered)], { campaignShare: 0.5 });
    expect(campaignItems(await half.recommender.recommend(user, { k: 10 }, NOW, member), 'Spring')).toHaveLength(5);
    const none = shop([campaignOf('Spring', offered)], { campaignShare: 0 });
    expect(campaignItems(await none.recommender.recommend(user, {}, NOW, member), 'Spring')).toHaveLength(0);
  });

  it('picks the campaign items most like the shopper’s taste', async () => {
    const [liked, other] = [category(categories[0]!), category(categories[1]!)];
    const offered = [...other.slice(0, 6), ...liked.slice(10, 12), ...other.slice(6, 12)];
    const { index, recommender } = shop([campaignOf('Mixed', offered)]);
    const user = viewer(index, liked.slice(0, 4));
    const picked = campaignItems(await recommender.recommend(user, {}, NOW, member), 'Mixed');
    expect(picked.sort()).toEqual(liked.slice(10, 12).sort());
  });

  it('never boosts an item the list filters out: above the tier, out of stock, bought, just viewed, outside the asked category', async () => {
    const vipOnly = items
      .filter((item) => item.minTier === 'vip' && item.inStock !== false)
      .slice(0, 3)
      .map((item) => item.itemId);
    const outOfStock = items
      .filter((item) => item.inStock === false)
      .slice(0, 3)
      .map((item) => item.itemId);
    const bought = visibleInStock[500]!.itemId;
    const viewed = visibleInStock[501]!.itemId;
    const fine = visibleInStock[502]!.itemId;
    const { index, recommender } = shop([campaignOf('Filtered', [...vipOnly, ...outOfStock, bought, viewed, fine])]);
    const user = { ...viewer(index, [viewed]), bought: new Set([bought]) };
    expect(campaignItems(await recommender.recommend(user, {}, NOW, member), 'Filtered')).toEqual([fine]);
    // A VIP sees the VIP-only ones (up to the share), still never the out-of-stock ones.
    const vip = campaignItems(await recommender.recommend({ ...user, tier: 'vip' }, {}, NOW, member), 'Filtered');
    expect(vip).toHaveLength(2);
    for (const id of vip) expect([...vipOnly, fine]).toContain(id);
    // With a category asked for, only campaign items in it.
    const inFine = items.find((item) => item.itemId === fine)!.category;
    const scoped = await recommender.recommend(user, { category: inFine }, NOW, member);
    expect(campaignItems(scoped, 'Filtered')).toEqual([fine]);
  });

  it('names each item after the first campaign offering it, and boosts nothing without a member', async () => {
    // Two distinct items, two places: both are picked, whatever their similarity.
    const shared = visibleInStock.slice(200, 202).map((item) => item.itemId);
    const { index, recommender, source } = shop([campaignOf('First', shared.slice(0, 1)), campaignOf('Second', shared)]);
    const user = viewer(index, [visibleInStock[0]!.itemId]);
    const list = await recommender.recommend(user, {}, NOW, member);
    expect(campaignItems(list, 'First')).toEqual([shared[0]]);
    expect(campaignItems(list, 'Second')).toEqual([shared[1]]);
    const anonymous = await recommender.recommend(user, {}, NOW);
    expect(anonymous.items.filter((item) => item.reason?.startsWith('campaign '))).toEqual([]);
    expect(source.calls).toBe(1);
    expect(recommender.boosting(NOW)).toBe(true);
    expect(shop([]).recommender.boosting(NOW)).toBe(false);
  });
});

describe('campaign ranking helpers', () => {
  it('campaignSlots is floor(k x share) without floating-point surprises', () => {
    expect(campaignSlots(10, 0.2)).toBe(2);
    expect(campaignSlots(5, 0.2)).toBe(1);
    expect(campaignSlots(4, 0.2)).toBe(0);
    expect(campaignSlots(10, 0.3)).toBe(3);
    expect(campaignSlots(3, 1)).toBe(3);
  });

  it('picks by similarity (unknown last, ties by id) and places picks by score among organic items', () => {
    const picks = campaignPicks(
      [
        { itemId: 'c', similarity: 0.2, campaign: 'X' },
        { itemId: 'a', campaign: 'X' },
        { itemId: 'b', similarity: 0.9, campaign: 'X' },
        { itemId: 'd', similarity: 0.2, campaign: 'X' },
      ],
      3,
      { strength: 100 },
    );
    expect(picks.map((item) => item.itemId)).toEqual(['b', 'c', 'd']);
    expect(picks.every((item) => item.reason === 'campaign X')).toBe(true);
    const organic = [
      { itemId: 'o1', score: 0.95 },
      { itemId: 'b', score: 0.9 },
      { itemId: 'o2', score: 0.1 },
      { itemId: 'o3', score: 0.05 },
    ];
    const list = withCampaignItems(organic, picks, 5);
    expect(list.map((item) => item.itemId)).toEqual(['o1', 'b', 'c', 'd', 'o2']);
    expect(list.find((item) => item.itemId === 'b')!.reason).toBe('campaign X');
  });
});
