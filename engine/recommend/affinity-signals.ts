import type { Item } from '../contracts/schemas.js';
import { idBoost, idLikedCategory, KeySpace, type LikesById } from './logic/affinity-keys.js';
import type { RankingContext } from './logic/ranking.js';
import type { UserState } from '../shoppers/user-state-store.js';
import { fillReason } from './list-fill.js';

/** Category levels and brands numbered before a list starts a fresh KeySpace (a few MB of keys at most). */
export const MAX_KEY_IDS = 100_000;
/** Item rows laid out (KeySpace.byId, ~0.2 KB each) before a list starts a fresh KeySpace: removed and replaced items' rows go then. */
export const MAX_ITEM_ROWS = 500_000;

export interface AffinitySignalOptions {
  /** Largest affinity boost, [0, 1] (AFFINITY_BOOST); 0 = none. */
  maxBoost: number;
  /** Half-life of affinity (s), to read it as of `now`. */
  halfLifeSeconds: number;
  /** Keys numbered before a list starts a fresh KeySpace; default MAX_KEY_IDS. */
  maxKeyIds?: number;
  /**
   * A number that changes whenever any item `itemOf` gives changes (CatalogService.version): with
   * it, an item's keys are read by id while it stands (KeySpace.byId, logic/item-key-rows.ts);
   * without it, `itemOf` is read for every item asked for.
   */
  version?: () => number;
}

/**
 * The parts of a ranking context that come from the shopper's brand and category affinity and the
 * list's scope: the boost per item (affinity-boost.ts), the category "popular in" names (the
 * scope when the list has one, else the deepest level of the item's category the shopper likes),
 * and the reason of an item no signal speaks for.
 *
 * Ranking asks for the boost of most candidates of every list, so keys are numbers here
 * (logic/affinity-keys.ts): each item's category levels and brand are parsed and numbered once,
 * kept per Item object (a catalog upsert replaces the object, so a changed item is parsed again),
 * and the shopper's likes are laid out once per list by those numbers. A candidate's boost is then
 * a Map read by its id and one flat row while the catalog's version stands (logic/item-key-rows.ts;
 * without a version, a catalog read, a WeakMap read and the keys' objects), and a few array reads.
 */
export class AffinitySignals {
  private keys = new KeySpace();

  constructor(
    private readonly itemOf: (itemId: string) => Item | undefined,
    private readonly options: AffinitySignalOptions,
  ) {}

  /** The context parts for `user`'s list at `now` (epoch ms), scoped to `category` when given. */
  forList(
    user: UserState,
    now: number,
    category: string | undefined,
  ): Pick<RankingContext, 'boostOf' | 'maxBoost' | 'popularIn' | 'fallbackReason'> {
    // Numbers are never reused: a catalog whose categories and brands keep changing gets a fresh
    // space now and then (its items are parsed again), so the ids stay few.
    if (this.keys.size > (this.options.maxKeyIds ?? MAX_KEY_IDS) || this.keys.byId.size > MAX_ITEM_ROWS) this.keys = new KeySpace();
    // The list keeps the space its likes are numbered in, whatever later lists do.
    const keys = this.keys;
    const likes = keys.likesOf(user.affinity, now, this.options.halfLifeSeconds);
    const maxBoost = this.options.maxBoost;
    const { version } = this.options;
    // Each reader is made by a function that returns it: no per-list name to set on it (tsx's keepNames).
    const parts: Pick<RankingContext, 'boostOf' | 'maxBoost' | 'popularIn' | 'fallbackReason'> = {
      popularIn: popularInReader(keys, this.itemOf, version, category, likes),
      fallbackReason: fillReason(category),
    };
    // The boost never exceeds maxBoost (every like is at most 1).
    if (likes && maxBoost > 0) {
      parts.boostOf = boostReader(keys, this.itemOf, version, likes, maxBoost);
      parts.maxBoost = maxBoost;
    }
    return parts;
  }
}

/**
 * An item's boost under `likes`: by item id (logic/item-key-rows.ts: one Map read and a row while
 * the catalog's `version` stands), or without a version through `itemOf` and the item's keys.
 */
function boostReader(
  keys: KeySpace,
  itemOf: (itemId: string) => Item | undefined,
  version: (() => number) | undefined,
  likes: LikesById,
  maxBoost: number,
): (itemId: string) => number {
  if (version !== undefined) {
    const rows = keys.byId;
    return (itemId) => rows.boost(rows.rowOf(itemId, itemOf, version()), likes, maxBoost);
  }
  return (itemId) => {
    const item = itemOf(itemId);
    return idBoost(item && keys.keysOf(item), likes, maxBoost);
  };
}

/** The category "popular in" names for an item: the list's `category` when it has one, else the deepest one the shopper likes. */
function popularInReader(
  keys: KeySpace,
  itemOf: (itemId: string) => Item | undefined,
  version: (() => number) | undefined,
  category: string | undefined,
  likes: LikesById | undefined,
): (itemId: string) => string | undefined {
  if (category !== undefined) return () => category;
  if (likes === undefined) return () => undefined;
  if (version !== undefined) {
    const rows = keys.byId;
    return (itemId) => rows.likedCategory(rows.rowOf(itemId, itemOf, version()), likes);
  }
  return (itemId) => {
    const item = itemOf(itemId);
    return idLikedCategory(item && keys.keysOf(item), likes);
  };
}
