import { boostKeys, BRAND_SHARE, CATEGORY_SHARE, spelled, type BoostedItem } from './affinity-boost.js';

/**
 * Items' boost keys (affinity-keys.ts) held by item id, laid out flat (pure). Ranking asks for the
 * boost of ~40 candidates per list; reached through the catalog entry, the item, a WeakMap and the
 * keys' objects, each boost was ~1.4 us of pointer chasing (`npx tsx scripts/bench/recommend-micro.ts
 * --items 3000 --lists 3000 --users 1000`, boosts timed alone on a loaded machine). Here
 * an item's keys are one Map read (id to row number) and one row of a Float64Array:
 *
 *   [version checked at, level count, brand id (-1: none), level ids root first (INLINE_LEVELS)]
 *
 * (deeper categories keep their level ids aside). A row is trusted while the caller's version (the
 * catalog's, which changes with every change) stands; under a new one the item is read once and
 * parsed again only when it is a new object, into a new row (rows only grow; the owner starts a new
 * KeySpace when there are many). Results are exactly those of affinity-keys.ts idBoost and
 * idLikedCategory: the same likes summed in the same order.
 */

/** Numbers keys (affinity-keys.ts KeyIds). */
interface KeyNumbering {
  idOf(key: string): number;
}

/** A shopper's likes by key id (affinity-keys.ts LikesById, which is this shape). */
interface LikesById {
  categories: ReadonlyArray<number | undefined>;
  brands: ReadonlyArray<number | undefined>;
}

/** Level ids held in the row itself; deeper categories keep theirs in `deep`. */
const INLINE_LEVELS = 5;
const STRIDE = 3 + INLINE_LEVELS;
const CHECKED = 0;
const LEVELS = 1;
const BRAND = 2;
const FIRST_LEVEL = 3;

export class ItemKeyRows {
  private readonly rowById = new Map<string, number>();
  private data = new Float64Array(STRIDE * 256);
  /** Per row: the item object parsed, and its category as the catalog spells it. */
  private readonly items: BoostedItem[] = [];
  private readonly categoryOf: string[] = [];
  /** Level ids of rows with more than INLINE_LEVELS levels. */
  private readonly deep = new Map<number, readonly number[]>();

  constructor(
    private readonly categories: KeyNumbering,
    private readonly brands: KeyNumbering,
  ) {}

  /** Rows laid out so far (every parse adds one). */
  get size(): number {
    return this.items.length;
  }

  /**
   * The row of the keys of `itemOf(itemId)`, -1 for an unknown item. `version` must change
   * whenever any item `itemOf` gives changes. Cost while it stands: one Map read.
   */
  rowOf(itemId: string, itemOf: (itemId: string) => BoostedItem | undefined, version: number): number {
    const row = this.rowById.get(itemId);
    if (row !== undefined && this.data[row * STRIDE + CHECKED] === version) return row;
    const item = itemOf(itemId);
    if (item === undefined) {
      if (row !== undefined) this.rowById.delete(itemId);
      return -1;
    }
    if (row !== undefined && this.items[row] === item) {
      this.data[row * STRIDE + CHECKED] = version;
      return row;
    }
    const added = this.add(item, version);
    this.rowById.set(itemId, added);
    return added;
  }

  /** idBoost of the row's keys (-1: an unknown item, 0). */
  boost(row: number, likes: LikesById, maxBoost: number): number {
    if (row < 0 || !(maxBoost > 0)) return 0;
    const data = this.data;
    const at = row * STRIDE;
    const count = data[at + LEVELS]!;
    const liked = likes.categories;
    let category = 0;
    if (count <= INLINE_LEVELS) for (let i = 0; i < count; i++) category += liked[data[at + FIRST_LEVEL + i]!] ?? 0;
    else for (const level of this.deep.get(row)!) category += liked[level] ?? 0;
    if (count > 0) category /= count;
    const brandId = data[at + BRAND]!;
    const brand = brandId < 0 ? 0 : (likes.brands[brandId] ?? 0);
    return maxBoost * (CATEGORY_SHARE * category + BRAND_SHARE * brand);
  }

  /** idLikedCategory of the row's keys (-1: an unknown item, undefined). */
  likedCategory(row: number, likes: LikesById): string | undefined {
    if (row < 0) return undefined;
    const at = row * STRIDE;
    const count = this.data[at + LEVELS]!;
    const deep = count > INLINE_LEVELS ? this.deep.get(row)! : undefined;
    for (let depth = count - 1; depth >= 0; depth--) {
      const level = deep ? deep[depth]! : this.data[at + FIRST_LEVEL + depth]!;
      if ((likes.categories[level] ?? 0) > 0) return spelled(this.categoryOf[row]!, depth + 1);
    }
    return undefined;
  }

  private add(item: BoostedItem, version: number): number {
    const { category, levels, brand } = boostKeys(item);
    const row = this.items.length;
    if ((row + 1) * STRIDE > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = row * STRIDE;
    const ids = levels.map((level) => this.categories.idOf(level));
    this.data[at + CHECKED] = version;
    this.data[at + LEVELS] = ids.length;
    this.data[at + BRAND] = brand === undefined ? -1 : this.brands.idOf(brand);
    if (ids.length > INLINE_LEVELS) this.deep.set(row, ids);
    else for (let i = 0; i < ids.length; i++) this.data[at + FIRST_LEVEL + i] = ids[i]!;
    this.items.push(item);
    this.categoryOf.push(category);
    return row;
  }
}
