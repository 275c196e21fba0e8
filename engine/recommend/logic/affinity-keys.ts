import type { Affinity } from '../../shoppers/user-state-store.js';
import { boostKeys, CATEGORY_SHARE, BRAND_SHARE, forEachLike, spelled, type BoostedItem } from './affinity-boost.js';
import { ItemKeyRows } from './item-key-rows.js';

/**
 * The affinity boost (affinity-boost.ts) with every key as a small integer id, so that ranking a
 * candidate reads arrays instead of hashing and comparing strings: an item's category levels and
 * brand key are parsed and numbered once per item object, and a shopper's likes are laid out once
 * per list in arrays indexed by those numbers. The results are exactly those of `keysBoost` and
 * `keysLikedCategory`: the same likes, summed in the same order.
 */

/** Numbers strings 0, 1, 2... in first-seen order. */
export class KeyIds {
  private readonly ids = new Map<string, number>();

  /** Keys numbered so far. */
  get size(): number {
    return this.ids.size;
  }

  /** The id of `key`, numbered on first sight. One Map read (and a write the first time). */
  idOf(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) this.ids.set(key, (id = this.ids.size));
    return id;
  }
}

/** An item's boost keys (affinity-boost.ts BoostKeys) as ids of a {@link KeySpace}. */
export interface ItemKeyIds {
  /** The item's category path as the catalog spells it. */
  category: string;
  /** Ids of its category levels (KeySpace.categories), root first. */
  levels: readonly number[];
  /** Id of its brand key (KeySpace.brands); -1 without a brand. */
  brand: number;
}

/**
 * A shopper's likes (affinity-boost.ts ShopperLikes) by key id, for one list: `categories[id]` is
 * the like of the category level numbered `id`, a hole (or an id past the end) likes nothing.
 * Plain arrays: dense while the ids are few, V8 keeps them sparse (a hash) past large gaps.
 */
export interface LikesById {
  categories: ReadonlyArray<number | undefined>;
  brands: ReadonlyArray<number | undefined>;
}

/**
 * Ids for category levels and brand keys, and each item's keys as ids, kept per Item object: a
 * catalog upsert replaces the object, so a changed item is parsed again and a removed one is
 * collected with its keys. The ids only grow; the owner starts a new space when `size` is large.
 *
 * `byId` holds them by item id as well, laid out flat (item-key-rows.ts): the ranking's path.
 */
export class KeySpace {
  readonly categories = new KeyIds();
  readonly brands = new KeyIds();
  private readonly items = new WeakMap<BoostedItem, ItemKeyIds>();
  /** Items' keys by item id, numbered in this space. */
  readonly byId = new ItemKeyRows(this.categories, this.brands);

  /** Keys numbered so far, categories and brands. */
  get size(): number {
    return this.categories.size + this.brands.size;
  }

  /** The keys of `item` as ids: one WeakMap read once parsed. */
  keysOf(item: BoostedItem): ItemKeyIds {
    let keys = this.items.get(item);
    if (!keys) this.items.set(item, (keys = this.parse(item)));
    return keys;
  }

  /**
   * The shopper's likes at `now` (epoch ms) by id, as affinity-boost.ts `shopperLikes` gives them
   * by key; undefined when the shopper likes nothing. Every liked key gets an id, so an item
   * numbered later in the list still finds its like. Cost: one pass over each affinity map.
   */
  likesOf(affinity: Affinity, now: number, halfLifeSeconds: number): LikesById | undefined {
    const categories: number[] = [];
    const brands: number[] = [];
    let any = false;
    forEachLike(affinity.categories, affinity.landmark, now, halfLifeSeconds, (key, like) => {
      categories[this.categories.idOf(key)] = like;
      any = true;
    });
    forEachLike(affinity.brands, affinity.landmark, now, halfLifeSeconds, (key, like) => {
      brands[this.brands.idOf(key)] = like;
      any = true;
    });
    return any ? { categories, brands } : undefined;
  }

  private parse(item: BoostedItem): ItemKeyIds {
    const { category, levels, brand } = boostKeys(item);
    return {
      category,
      levels: levels.map((level) => this.categories.idOf(level)),
      brand: brand === undefined ? -1 : this.brands.idOf(brand),
    };
  }
}

/** affinity-boost.ts `keysBoost` by ids (undefined: an unknown item). Cost: a few array reads. */
export function idBoost(keys: ItemKeyIds | undefined, likes: LikesById, maxBoost: number): number {
  if (!keys || !(maxBoost > 0)) return 0;
  const { levels } = keys;
  const liked = likes.categories;
  let category = 0;
  for (let i = 0; i < levels.length; i++) category += liked[levels[i]!] ?? 0;
  if (levels.length > 0) category /= levels.length;
  const brand = keys.brand < 0 ? 0 : (likes.brands[keys.brand] ?? 0);
  return maxBoost * (CATEGORY_SHARE * category + BRAND_SHARE * brand);
}

/** affinity-boost.ts `keysLikedCategory` by ids (undefined: an unknown item). */
export function idLikedCategory(keys: ItemKeyIds | undefined, likes: LikesById): string | undefined {
  if (!keys) return undefined;
  const { levels } = keys;
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    if ((likes.categories[levels[depth]!] ?? 0) > 0) return spelled(keys.category, depth + 1);
  }
  return undefined;
}
