import type { Item } from '../contracts/schemas.js';
import { boostKeys, keysBoost, keysLikedCategory, likesAnything, shopperLikes, type BoostKeys } from '../logic/affinity-boost.js';
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
 *
 * Each item's category levels and brand key are parsed once, kept in a WeakMap keyed by the Item
 * object: a catalog upsert replaces the object, so a changed item is parsed again and a removed
 * one is collected with its keys.
 */
export class AffinitySignals {
  private readonly keys = new WeakMap<Item, BoostKeys>();

  constructor(
    private readonly itemOf: (itemId: string) => Item | undefined,
    private readonly options: AffinitySignalOptions,
  ) {}

  /** The context parts for `user`'s list at `now` (epoch ms), scoped to `category` when given. */
  forList(user: UserState, now: number, category: string | undefined): Pick<RankingContext, 'boostOf' | 'maxBoost' | 'popularIn' | 'fallbackReason'> {
    const likes = shopperLikes(user.affinity, now, this.options.halfLifeSeconds);
    const liked = likesAnything(likes);
    const maxBoost = this.options.maxBoost;
    return {
      // keysBoost never exceeds maxBoost (every like is at most 1).
      ...(liked && maxBoost > 0 ? { boostOf: (itemId: string) => keysBoost(this.keysOf(itemId), likes, maxBoost), maxBoost } : {}),
      popularIn: (itemId) => category ?? (liked ? keysLikedCategory(this.keysOf(itemId), likes) : undefined),
      fallbackReason: fillReason(category),
    };
  }

  /** The parsed keys of an item; undefined for an unknown one. */
  private keysOf(itemId: string): BoostKeys | undefined {
    const item = this.itemOf(itemId);
    if (!item) return undefined;
    let keys = this.keys.get(item);
    if (!keys) this.keys.set(item, (keys = boostKeys(item)));
    return keys;
  }
}
