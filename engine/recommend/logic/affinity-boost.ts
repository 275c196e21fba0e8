import { categoryLevels } from '../../../models/content-encoder.js';
import { AFFINITY_LIMIT } from '../../shoppers/logic/state-limits.js';
import type { Affinity } from '../../shoppers/user-state-store.js';
import { brandKey, decayFactor, strongestKeys } from '../../shoppers/logic/affinity.js';

/**
 * Brand and category affinity as a ranking boost (pure). A shopper's affinity (affinity.ts,
 * decayed to now) becomes a "like" per category level and per brand in [0, 1]:
 *
 *   like(key) = weight(key) / max(best weight of its map, FULL_LIKE_WEIGHT)
 *
 * so the strongest category and brand count fully once they hold FULL_LIKE_WEIGHT of decayed
 * weight (three views, one add to cart), and an interest from long ago fades with its weight.
 * Negative weights (dislikes) like nothing. A candidate's boost is
 *
 *   boost = maxBoost * (CATEGORY_SHARE * category like + BRAND_SHARE * brand like)
 *
 * where the category like is the mean of the likes of every level of its path ('home' and
 * 'home/lamps'): an item in the very category liked counts fully, one that only shares the
 * ancestor half. The score is multiplied by (1 + boost): bounded, and an item nobody likes keeps
 * its score.
 */

/** Decayed weight at which the strongest category or brand counts as fully liked. */
export const FULL_LIKE_WEIGHT = 3;
/** Shares of the category and the brand in the boost: both liked gives the whole `maxBoost`. */
export const CATEGORY_SHARE = 0.5;
export const BRAND_SHARE = 0.5;
/** Default largest boost (engine config AFFINITY_BOOST): +15% of the score. */
export const DEFAULT_AFFINITY_BOOST = 0.15;

/** Likes in [0, 1] by category level (lower-cased, '/'-joined) and by brand key, positive only. */
export interface ShopperLikes {
  categories: ReadonlyMap<string, number>;
  brands: ReadonlyMap<string, number>;
}

/** What the boost reads of an item. */
export interface BoostedItem {
  category: string;
  brand?: string;
}

/** The shopper's likes at `now` (epoch ms) from their affinity. */
export function shopperLikes(affinity: Affinity, now: number, halfLifeSeconds: number): ShopperLikes {
  const categories = new Map<string, number>();
  const brands = new Map<string, number>();
  forEachLike(affinity.categories, affinity.landmark, now, halfLifeSeconds, (key, like) => categories.set(key, like));
  forEachLike(affinity.brands, affinity.landmark, now, halfLifeSeconds, (key, like) => brands.set(key, like));
  return { categories, brands };
}

/**
 * Calls `each(key, like)` for every key of one affinity map liked at `t` (epoch ms): of its
 * AFFINITY_LIMIT strongest positive scores (topCategories / topBrands), each weight as of `t` over
 * max(best weight, FULL_LIKE_WEIGHT), at most 1; weights that decayed to 0 like nothing.
 *
 * Ranking asks this once per list: when no more than AFFINITY_LIMIT scores are positive (always
 * for a stored state) every one of them is among the strongest, and the best is the highest score
 * (decay keeps the order), so one pass does without sorting. Keys come in map order.
 */
export function forEachLike(
  scores: ReadonlyMap<string, number>,
  landmark: number,
  t: number,
  halfLifeSeconds: number,
  each: (key: string, like: number) => void,
): void {
  const factor = decayFactor(landmark, t, halfLifeSeconds);
  let positive = 0;
  let highest = 0;
  for (const score of scores.values()) {
    if (!(score > 0)) continue;
    positive++;
    if (score > highest) highest = score;
  }
  const kept = positive > AFFINITY_LIMIT ? new Set(strongestKeys(scores, AFFINITY_LIMIT)) : undefined;
  const best = highest * factor;
  if (!(best > 0)) return;
  const scale = Math.max(best, FULL_LIKE_WEIGHT);
  for (const [key, score] of scores) {
    if (!(score > 0) || (kept && !kept.has(key))) continue;
    const weight = score * factor;
    if (weight > 0) each(key, Math.min(1, weight / scale));
  }
}

/**
 * What the boost and "popular in" read of an item, parsed once: ranking reads them for every
 * candidate of every list, so it keeps them per item, numbered (affinity-keys.ts).
 */
export interface BoostKeys {
  /** The item's category path as the catalog spells it. */
  category: string;
  /** Its lower-cased '/'-joined levels, leaf last (categoryLevels). */
  levels: readonly string[];
  /** brandKey of its brand; undefined without one. */
  brand: string | undefined;
}

/** The keys of an item (see BoostKeys). */
export function boostKeys(item: BoostedItem): BoostKeys {
  return {
    category: item.category,
    levels: categoryLevels(item.category),
    brand: item.brand === undefined ? undefined : brandKey(item.brand),
  };
}

/** The item's boost in [0, maxBoost]; 0 for an unknown item. `maxBoost` in [0, 1]. */
export function affinityBoost(item: BoostedItem | undefined, likes: ShopperLikes, maxBoost: number): number {
  return keysBoost(item && boostKeys(item), likes, maxBoost);
}

/** affinityBoost from an item's parsed keys (undefined: an unknown item). */
export function keysBoost(keys: BoostKeys | undefined, likes: ShopperLikes, maxBoost: number): number {
  if (!keys || !(maxBoost > 0)) return 0;
  const { levels } = keys;
  let category = 0;
  for (const level of levels) category += likes.categories.get(level) ?? 0;
  if (levels.length > 0) category /= levels.length;
  const brand = keys.brand === undefined ? 0 : (likes.brands.get(keys.brand) ?? 0);
  return maxBoost * (CATEGORY_SHARE * category + BRAND_SHARE * brand);
}

/**
 * The deepest level of the item's category the shopper likes, spelled as the catalog spells it
 * ('Home/Lamps' cut to 'Home' when only 'home' is liked), for "popular in <category>".
 */
export function likedCategory(item: BoostedItem | undefined, likes: ShopperLikes): string | undefined {
  return keysLikedCategory(item && boostKeys(item), likes);
}

/** likedCategory from an item's parsed keys (undefined: an unknown item). */
export function keysLikedCategory(keys: BoostKeys | undefined, likes: ShopperLikes): string | undefined {
  if (!keys) return undefined;
  const { levels } = keys;
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    if ((likes.categories.get(levels[depth]!) ?? 0) > 0) return spelled(keys.category, depth + 1);
  }
  return undefined;
}

/** The first `depth` non-empty parts of a category path, trimmed, joined with '/'. */
export function spelled(category: string, depth: number): string {
  return category
    .split(/[/>]/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .slice(0, depth)
    .join('/');
}

/** Checks a configured boost once (constructor time). */
export function checkAffinityBoost(maxBoost: number): number {
  if (!(maxBoost >= 0 && maxBoost <= 1)) throw new RangeError(`affinityBoost must be in [0, 1], got ${maxBoost}`);
  return maxBoost;
}
