import type { EventType } from '../contracts/schemas.js';
import { cosine, isUsableVector, normalized } from '../logic/vector-math.js';
import { UNVERSIONED_VECTOR_VERSION, type UserState } from '../ports/user-state-store.js';
import type { VectorIndex } from '../ports/vector-index.js';
import type { ServingModels } from './model-registry.js';
import { ShortCache, type ShortCacheOptions } from './short-cache.js';

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
}

/** Interactions that say the shopper liked an item. */
const POSITIVE: ReadonlySet<EventType> = new Set<EventType>(['view', 'click', 'like', 'add_to_cart', 'purchase']);
/** Neighbours less similar than this share of the nearest one's similarity are left out. */
const RELATIVE_FLOOR = 0.5;
/**
 * A stored vector at least this close (cosine) to the shopper's new one stays in the graph:
 * re-inserting costs an HNSW update (~0.25-0.5 ms on the reference machine), and a view moves a
 * regular shopper's vector (strength ~20) by less than that, so their neighbours barely change.
 * The stored vector is always within this cosine of the shopper's current one.
 */
const UNCHANGED_COSINE = 0.995;

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

  constructor(options: ShopperIndexOptions) {
    this.options = { itemsPerShopper: 5, ...options };
    if (!Number.isInteger(options.limit) || options.limit < 1) throw new RangeError(`limit must be a positive integer, got ${options.limit}`);
    if (!Number.isInteger(this.options.itemsPerShopper) || this.options.itemsPerShopper < 1) throw new RangeError('itemsPerShopper must be a positive integer');
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
   * shopper without a vector in the serving space or without positive items is dropped.
   */
  update(userId: string, state: UserState): void {
    const { index, version } = this.current();
    const vector = state.vector;
    const items = positiveItems(state, this.options.itemsPerShopper);
    const inSpace = vector !== null && vector.length === index.dimension && (state.vectorVersion ?? UNVERSIONED_VECTOR_VERSION) === version && isUsableVector(vector);
    if (!inSpace || items.length === 0) {
      this.drop(userId);
      return;
    }
    if (!((index.similarity(userId, normalized(vector)) ?? -1) >= UNCHANGED_COSINE)) index.upsert(userId, vector);
    this.entries.delete(userId);
    this.entries.set(userId, items);
    while (this.entries.size > this.options.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.drop(oldest);
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
    const own = exclude === undefined ? -1 : found.findIndex((neighbour) => neighbour.id === exclude);
    if (own >= 0) found.splice(own, 1);
    if (found.length > neighbours) found.length = neighbours;
    // Many weak neighbours must not outvote a few close ones (unrelated vectors are not at 0 in
    // every space: attribute vectors of 64 dims sit around ±0.1-0.3), so only shoppers at least
    // half as similar as the nearest count.
    const floor = Math.max(0, (found[0]?.similarity ?? 0) * RELATIVE_FLOOR);
    const scores = new Map<string, number>();
    for (const { id, similarity } of found) {
      if (!(similarity > 0) || similarity < floor) continue;
      for (const itemId of this.entries.get(id) ?? []) scores.set(itemId, (scores.get(itemId) ?? 0) + similarity);
    }
    return [...scores].sort(([ia, a], [ib, b]) => b - a || (ia < ib ? -1 : ia > ib ? 1 : 0));
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
 * A cached "shoppers like you" answer is reused while the asker's vector stays at least this
 * close (cosine; ~11 degrees) to the one it was found for: a regular shopper's events move it
 * less (median ~0.997 between two lists), a new shopper's first events more, and those ask again.
 */
const REUSE_COSINE = 0.98;

/**
 * "Shoppers like you" per asking shopper, reused for a short time (`ttlMs`, wall clock): the
 * lookup is a search of the shopper index per list, and the neighbours of a shopper change little
 * between two events a second apart. An answer is reused for the same shopper (`exclude`), model
 * version and neighbour count while their vector stays within REUSE_COSINE of the one it was
 * found for; asks without an `exclude` are never cached. Answers are shared between callers:
 * never mutate them.
 */
export class CachedNeighbourSource implements ShopperNeighbourSource {
  private readonly cache: ShortCache<string, CachedNeighbours>;

  /** @param options ttlMs per answer; maxEntries: shoppers whose answer is kept. */
  constructor(
    private readonly source: ShopperNeighbourSource,
    options: ShortCacheOptions,
  ) {
    this.cache = new ShortCache(options);
  }

  likedByNeighbours(vector: Float32Array, version: string, neighbours: number, exclude?: string): Array<[string, number]> {
    if (exclude === undefined || !this.cache.enabled) return this.source.likedByNeighbours(vector, version, neighbours, exclude);
    const cached = this.cache.get(exclude);
    if (cached && cached.version === version && cached.neighbours === neighbours && cached.vector.length === vector.length && cosine(cached.vector, vector) >= REUSE_COSINE) return cached.items;
    const items = this.source.likedByNeighbours(vector, version, neighbours, exclude);
    this.cache.set(exclude, { version, neighbours, vector: Float32Array.from(vector), items });
    return items;
  }
}
