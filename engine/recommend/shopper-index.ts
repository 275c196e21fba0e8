import type { EventType } from '../contracts/schemas.js';
import { cosine, isUsableVector, normalized } from './logic/vector-math.js';
import { UNVERSIONED_VECTOR_VERSION, type UserState } from '../shoppers/user-state-store.js';
import type { VectorIndex } from './vector-index.js';
import type { ServingModels } from './model-registry.js';
import { ShortCache, type ShortCacheOptions } from '../platform/short-cache.js';
import { OldestFirst } from '../platform/oldest-first.js';

/** What the recommender asks of the shopper index ("shoppers like you"). */
export interface ShopperNeighbourSource {
  /**
   * Recent positive items of the `neighbours` shoppers whose vectors are nearest `vector` (a
   * unit vector in the space of model `version`), `exclude` (the asking shopper) left out, and
   * those less than half as similar as the nearest one. Each item scores the sum of the
   * similarities of the neighbours who hold it, best first (ties by itemId). Empty when the index
   * holds another model's space.
   */
  likedByNeighbours(vector: Float32Array, version: string, neighbours: number, exclude?: string): Array<[string, number]>;
}

export interface ShopperIndexOptions {
  /** The serving model: vectors of another version are not indexed, and a swap clears the index. */
  models: ServingModels;
  /** A fresh, empty index of `dimension` for shopper vectors (HNSW in the engine). */
  createIndex: (dimension: number) => VectorIndex;
  /** Shoppers kept at most; past it the least recently updated one goes. */
  limit: number;
  /** Newest distinct positive items kept per shopper. Default 5. */
  itemsPerShopper?: number;
  /**
   * A stored vector at least this close (cosine) to the shopper's new one is kept rather than
   * re-inserted, in [0, 1]; 1 re-inserts whenever the vector moved. Default UNCHANGED_COSINE.
   */
  keepCosine?: number;
}

/** What the shopper index keeps of a user's state (see ShopperIndex.entryOf): ~0.5 KB with 64 dimensions. */
export interface ShopperEntry {
  readonly vector: Float32Array | null;
  readonly vectorVersion: string | undefined;
  /** Newest distinct positive items, newest first. */
  readonly items: readonly string[];
}

/** Interactions that say the shopper liked an item. */
const POSITIVE: ReadonlySet<EventType> = new Set<EventType>(['view', 'click', 'like', 'add_to_cart', 'purchase']);
/** Neighbours less similar than this share of the nearest one's similarity are left out. */
const RELATIVE_FLOOR = 0.5;
/**
 * Default `keepCosine`: a stored vector at least this close (cosine) to the shopper's new one
 * stays in the graph: re-inserting costs an HNSW update (~0.15 ms at 1,000 shoppers, ~0.25-0.5 ms
 * at 100,000 on the reference machine), and a view moves a regular shopper's vector (strength ~20)
 * by less than that, so their neighbours barely change. The stored vector is always within this
 * cosine of the one the shopper was last updated with.
 */
export const UNCHANGED_COSINE = 0.995;

/**
 * Shopper vectors of the users this engine has processed, in memory, for "shoppers like you":
 * a {@link VectorIndex} keyed by userId plus, per shopper, their newest few positive items, so
 * finding neighbours and their items needs no Redis read. Bounded by `limit` (least recently
 * updated evicted). Vectors live in the serving model's space: the first update or query after a
 * model swap clears the index, which refills as shoppers act (a vector of the old space cannot be
 * compared with one of the new). With several engines, each knows the shoppers of the partitions
 * it consumes, so neighbours come from those. Synchronous, like the index.
 */
export class ShopperIndex implements ShopperNeighbourSource {
  private readonly options: Required<ShopperIndexOptions>;
  private space: { version: string; index: VectorIndex } | undefined;
  /** userId -> newest positive items; Map order = least recently updated first. */
  private readonly entries = new Map<string, readonly string[]>();
  /** The least recently updated entry without walking the holes the updates leave (oldest-first.ts). */
  private readonly order = new OldestFirst(this.entries);

  constructor(options: ShopperIndexOptions) {
    this.options = { itemsPerShopper: 5, keepCosine: UNCHANGED_COSINE, ...options };
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
    if (!Number.isInteger(this.options.itemsPerShopper) || this.options.itemsPerShopper < 1)
      throw new RangeError('itemsPerShopper must be a positive integer');
    if (!(this.options.keepCosine >= 0 && this.options.keepCosine <= 1))
      throw new RangeError(`keepCosine must be in [0, 1], got ${this.options.keepCosine}`);
  }

  /** Shoppers held. */
  get size(): number {
    return this.entries.size;
  }

  /** The items kept for a shopper (newest first), if they are held. */
  itemsOf(userId: string): readonly string[] | undefined {
    return this.entries.get(userId);
  }

  /**
   * Records a shopper's state after an applied event: their vector and newest positive items. A
   * shopper without a vector in the serving space or without positive items is dropped. Cost: a
   * cosine with the stored vector (~1 us), plus an HNSW re-insert (~0.15 ms at 1,000 shoppers)
   * when the vector moved past `keepCosine`.
   */
  update(userId: string, state: UserState): void {
    this.put(userId, this.entryOf(state));
  }

  /**
   * What the index keeps of a state (its vector, the vector's space, the newest positive items):
   * what a caller holds while a shopper's update waits (ShoppersStage), instead of the whole state.
   */
  entryOf(state: UserState): ShopperEntry {
    return { vector: state.vector, vectorVersion: state.vectorVersion, items: positiveItems(state, this.options.itemsPerShopper) };
  }

  /** {@link update} with an {@link entryOf} taken earlier. */
  put(userId: string, entry: ShopperEntry): void {
    const { index, version } = this.current();
    const { vector, items } = entry;
    const inSpace =
      vector !== null &&
      vector.length === index.dimension &&
      (entry.vectorVersion ?? UNVERSIONED_VECTOR_VERSION) === version &&
      isUsableVector(vector);
    if (!inSpace || items.length === 0) {
      this.drop(userId);
      return;
    }
    if (!((index.similarity(userId, normalized(vector)) ?? -1) >= this.options.keepCosine)) index.upsert(userId, vector);
    this.entries.delete(userId);
    this.entries.set(userId, items);
    while (this.entries.size > this.options.limit) {
      const oldest = this.order.shift();
      if (oldest === undefined) break;
      this.space?.index.remove(oldest);
    }
  }

  /** Forgets a shopper (merged into a member, evicted). */
  drop(userId: string): void {
    if (this.entries.delete(userId)) this.space?.index.remove(userId);
  }

  likedByNeighbours(vector: Float32Array, version: string, neighbours: number, exclude?: string): Array<[string, number]> {
    const { index, version: serving } = this.current();
    if (serving !== version || index.size === 0 || neighbours < 1 || vector.length !== index.dimension) return [];
    // One more than asked, the asker dropped here: no filter call per id inside the search.
    const found = index.search(vector, exclude === undefined ? neighbours : neighbours + 1);
    // Found by a loop (no closure per list).
    let own = -1;
    if (exclude !== undefined) for (let i = 0; i < found.length && own < 0; i++) if (found[i]!.id === exclude) own = i;
    if (own >= 0) found.splice(own, 1);
    if (found.length > neighbours) found.length = neighbours;
    // Many weak neighbours must not outvote a few close ones (unrelated vectors are not at 0 in
    // every space: attribute vectors of 64 dims sit around ±0.1-0.3), so only shoppers at least
    // half as similar as the nearest count.
    const floor = Math.max(0, (found[0]?.similarity ?? 0) * RELATIVE_FLOOR);
    return this.itemScores(found, floor);
  }

  /**
   * The items of the neighbours at least `floor` similar, each scored the sum of their
   * similarities (added in `found` order), best first, ties by itemId. Each item's [id, score]
   * pair is made once and summed in place (no Map-to-array copy). `found` is best first, so the
   * pairs come nearly in order (an item only gains after it is met): sorted by insertion, which
   * reads them ~once instead of Array.sort's ~n log n comparator calls (byScore is a total order
   * on distinct ids: the same order). ~100 items for 20 neighbours: ~10 us replayed, was ~16 with
   * Array.sort (in recommend-micro, old and new alternating in one process: median ~40 us, was ~49).
   */
  private itemScores(found: ReadonlyArray<{ id: string; similarity: number }>, floor: number): Array<[string, number]> {
    const byItem = new Map<string, [string, number]>();
    const scored: Array<[string, number]> = [];
    for (let n = 0; n < found.length; n++) {
      const { id, similarity } = found[n]!;
      if (!(similarity > 0) || similarity < floor) continue;
      const items = this.entries.get(id);
      if (items === undefined) continue;
      for (let i = 0; i < items.length; i++) {
        const itemId = items[i]!;
        const pair = byItem.get(itemId);
        if (pair !== undefined) pair[1] += similarity;
        else {
          const fresh: [string, number] = [itemId, similarity];
          byItem.set(itemId, fresh);
          scored.push(fresh);
        }
      }
    }
    if (scored.length > INSERTION_SORT_MAX) return scored.sort(byScore);
    sortByScore(scored);
    return scored;
  }

  /** The index of the serving model's space; a new, empty one after a swap. */
  private current(): { version: string; index: VectorIndex } {
    const model = this.options.models.current();
    const version = model.source.version;
    const dimension = model.index.dimension;
    if (!this.space || this.space.version !== version || this.space.index.dimension !== dimension) {
      this.entries.clear();
      this.space = { version, index: this.options.createIndex(dimension) };
    }
    return this.space;
  }
}

/** Best score first, ties by itemId: a total order, so the result does not depend on insertion order. */
function byScore(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Items up to this many are sorted by insertion (sortByScore), more by Array.sort. */
const INSERTION_SORT_MAX = 256;

/** Sorts `pairs` in byScore's order by insertion: O(n + inversions) comparisons, inline. */
function sortByScore(pairs: Array<[string, number]>): void {
  for (let i = 1; i < pairs.length; i++) {
    const pair = pairs[i]!;
    const score = pair[1];
    const id = pair[0];
    let j = i - 1;
    for (; j >= 0; j--) {
      const other = pairs[j]!;
      // Whether `pair` goes before `other` (byScore(pair, other) < 0).
      if (!(score > other[1] || (score === other[1] && id < other[0]))) break;
      pairs[j + 1] = other;
    }
    pairs[j + 1] = pair;
  }
}

/** Newest distinct positive items of the shopper, at most `limit`. */
function positiveItems(state: UserState, limit: number): string[] {
  const out: string[] = [];
  for (const entry of state.recent) {
    if (out.length >= limit) break;
    if (POSITIVE.has(entry.type) && !out.includes(entry.itemId)) out.push(entry.itemId);
  }
  return out;
}

interface CachedNeighbours {
  version: string;
  neighbours: number;
  /** A copy of the vector the items were found for. */
  vector: Float32Array;
  items: Array<[string, number]>;
}

/**
 * Default reuse bound: a cached "shoppers like you" answer is reused while the asker's vector
 * stays at least this close (cosine; ~11 degrees) to the one it was found for: a regular
 * shopper's events move it less (median ~0.997 between two lists), a new shopper's first events
 * more, and those ask again.
 */
const REUSE_COSINE = 0.98;

/**
 * "Shoppers like you" per asking shopper, reused for a few seconds (`ttlMs`, wall clock; the
 * engine's NEIGHBOUR_CACHE_MS, default 5 s): a miss is a search of the shopper index plus the
 * items' scoring (~0.1 ms at 1,000 shoppers), a hit a cosine (~1 us), and the neighbours of a
 * shopper change little within seconds. An answer is reused for the same shopper (`exclude`),
 * model version and neighbour count while their vector stays within `reuseCosine` (default
 * REUSE_COSINE) of the one it was found for, so a shopper whose taste turns asks again at once; what it shows is at most
 * `ttlMs` older than the shopper index (itself up to SHOPPER_INDEX_INTERVAL_MS behind each
 * neighbour). Asks without an `exclude` are never cached. Answers are shared between callers:
 * never mutate them.
 */
export class CachedNeighbourSource implements ShopperNeighbourSource {
  private readonly cache: ShortCache<string, CachedNeighbours>;
  private readonly reuseCosine: number;

  /**
   * @param options ttlMs per answer; maxEntries: shoppers whose answer is kept; reuseCosine: how
   * close (cosine) the asker's vector must stay to the one an answer was found for, default REUSE_COSINE.
   */
  constructor(
    private readonly source: ShopperNeighbourSource,
    options: ShortCacheOptions & { reuseCosine?: number },
  ) {
    this.cache = new ShortCache(options);
    this.reuseCosine = options.reuseCosine ?? REUSE_COSINE;
    if (!(this.reuseCosine >= -1 && this.reuseCosine <= 1)) throw new RangeError(`reuseCosine must be in [-1, 1], got ${this.reuseCosine}`);
  }

  likedByNeighbours(vector: Float32Array, version: string, neighbours: number, exclude?: string): Array<[string, number]> {
    if (exclude === undefined || !this.cache.enabled) return this.source.likedByNeighbours(vector, version, neighbours, exclude);
    const cached = this.cache.get(exclude);
    if (
      cached &&
      cached.version === version &&
      cached.neighbours === neighbours &&
      cached.vector.length === vector.length &&
      cosine(cached.vector, vector) >= this.reuseCosine
    )
      return cached.items;
    const items = this.source.likedByNeighbours(vector, version, neighbours, exclude);
    this.cache.set(exclude, { version, neighbours, vector: Float32Array.from(vector), items });
    return items;
  }
}
