import { CatalogService } from '../../engine/catalog/catalog-service.js';
import type { InteractionType, Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { AttributeVectorSource } from '../../engine/recommend/model-registry.js';
import { Recommender, type CampaignBoostSource, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import type { ShopperIndex } from '../../engine/recommend/shopper-index.js';
import { affinityAfter, affinityGain } from '../../engine/shoppers/logic/affinity.js';
import { tasteWeight } from '../../engine/shoppers/logic/event-weights.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { lookAlikeCatalog } from './grouped-shop.js';
import { afterInteraction, NOW } from './recommender-fixtures.js';

/**
 * The recommender's ranking steps under test (test/unit/recommender-ranking.test.ts,
 * recommender-reasons.test.ts): a shop on the attribute encoder whose recommender can be remade
 * with other options or sources, and shoppers folded in (vector, recent items, affinity) as the
 * engine does.
 */

export const DIM = 64;
export const AFFINITY_HALF_LIFE = 14 * 24 * 3600;

export const grouped: Item[] = lookAlikeCatalog();
export const ids = (list: RecommendationList) => list.items.map((item) => item.itemId);

export function shop(
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
export function shopperAfter(
  s: ReturnType<typeof shop>,
  steps: Array<[string, InteractionType]>,
  base: UserState = emptyUserState(),
  startTs = NOW - 60_000,
): UserState {
  let user = base;
  steps.forEach(([itemId, type], i) => {
    const ts = startTs + i * 1000;
    const affinity =
      affinityAfter(user.affinity, affinityGain([[s.catalog.get(itemId), tasteWeight[type]]]), ts, AFFINITY_HALF_LIFE) ?? user.affinity;
    user = { ...afterInteraction(user, s.index.get(itemId)!, itemId, type, ts), affinity };
  });
  return user;
}
