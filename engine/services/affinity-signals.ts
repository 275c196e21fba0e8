import type { Item } from '../contracts/schemas.js';
import { affinityBoost, likedCategory, likesAnything, shopperLikes } from '../logic/affinity-boost.js';
import type { RankingContext } from '../logic/ranking.js';
import type { UserState } from '../ports/user-state-store.js';
import { fillReason } from './list-fill.js';

export interface AffinitySignalOptions {
  /** Largest affinity boost, [0, 1] (AFFINITY_BOOST); 0 = none. */
  maxBoost: number;
  /** Half-life of affinity (s), to read it as of `now`. */
  halfLifeSeconds: number;
}

/**
 * The parts of a ranking context that come from the shopper's brand and category affinity and the
 * list's scope: the boost per item (affinity-boost.ts), the category "popular in" names (the
 * scope when the list has one, else the deepest level of the item's category the shopper likes),
 * and the reason of an item no signal speaks for.
 */
export function affinitySignals(
  user: UserState,
  itemOf: (itemId: string) => Item | undefined,
  options: AffinitySignalOptions,
  now: number,
  category: string | undefined,
): Pick<RankingContext, 'boostOf' | 'popularIn' | 'fallbackReason'> {
  const likes = shopperLikes(user.affinity, now, options.halfLifeSeconds);
  const liked = likesAnything(likes);
  return {
    ...(liked && options.maxBoost > 0 ? { boostOf: (itemId: string) => affinityBoost(itemOf(itemId), likes, options.maxBoost) } : {}),
    popularIn: (itemId) => category ?? (liked ? likedCategory(itemOf(itemId), likes) : undefined),
    fallbackReason: fillReason(category),
  };
}
