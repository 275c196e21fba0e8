import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { InteractionType, Item, Tier } from '../../engine/contracts/schemas.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { dot } from '../../engine/recommend/logic/vector-math.js';
import { Recommender, type RecommenderOptions } from '../../engine/recommend/recommender.js';
import { tasteWeight } from '../../engine/shoppers/logic/event-weights.js';
import { foldIn } from '../../engine/shoppers/logic/user-vector.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';
import { ContentEncoder } from '../../models/content-encoder.js';

/**
 * A shop on the 3,000-item demo catalog for the recommender and catalog tests
 * (test/unit/recommender.test.ts, catalog-service.test.ts): catalog, exact index, stats and
 * recommender on the attribute encoder, and users folded in as the engine does.
 */

const DIM = 64;
export const NOW = 1_750_000_000_000;
const HALF_LIFE = 6 * 3600;
export const items = generateDemoCatalog({ count: 3000, seed: 42 });
export const byId = new Map(items.map((item) => [item.itemId, item]));

export function shop(options: Partial<RecommenderOptions> = {}, catalogItems: Item[] = items) {
  const encoder = new ContentEncoder({ dimension: DIM });
  const index = new ExactVectorIndex({ dimension: DIM });
  const catalog = new CatalogService({ index, encoder });
  for (const item of catalogItems) catalog.apply({ type: 'upsert', item });
  const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 7 * 24 * 3600 });
  const recommender = new Recommender({
    catalog,
    index,
    stats,
    encoder,
    options: { defaultK: 10, sessionGapSeconds: 1800, modelVersion: () => 'content-v1', ...options },
  });
  return { encoder, index, catalog, stats, recommender };
}

export function emptyUser(tier: Tier = 'regular'): UserState {
  return { ...emptyUserState(), tier };
}

/** The user after interacting with `itemIds` (oldest first), as the engine would fold them in. */
export function userAfter(
  index: ExactVectorIndex,
  itemIds: string[],
  type: InteractionType = 'view',
  base: UserState = emptyUser(),
  startTs = NOW - 60_000,
): UserState {
  let user = base;
  itemIds.forEach((itemId, i) => {
    user = afterInteraction(user, index.get(itemId)!, itemId, type, startTs + i * 1000);
  });
  return user;
}

/**
 * `user` after one interaction at `ts` with `itemId` (whose vector is `vector`), as the engine
 * folds it in: taste vector, version, recent items and what was bought.
 */
export function afterInteraction(user: UserState, vector: Float32Array, itemId: string, type: InteractionType, ts: number): UserState {
  const next = foldIn(user, vector, tasteWeight[type], ts, HALF_LIFE);
  return {
    ...user,
    vector: next.vector,
    strength: next.strength,
    updatedAt: next.updatedAt,
    version: user.version + 1,
    recent: [{ itemId, type, ts }, ...user.recent].slice(0, 50),
    bought: type === 'purchase' ? new Set([...user.bought, itemId]) : user.bought,
  };
}

export function meanSimilarity(index: ExactVectorIndex, ids: string[], to: string): number {
  const target = index.get(to)!;
  return ids.reduce((sum, id) => sum + dot(index.get(id)!, target), 0) / ids.length;
}
