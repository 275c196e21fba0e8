import { afterPurchase, complementList, complementSeeds, type ComplementSeed } from './logic/complements.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { VectorIndex } from './vector-index.js';
import type { NeighbourLists } from './cached-neighbour-lists.js';
import type { CatalogService } from '../catalog/catalog-service.js';

/**
 * The complement candidates of a list and the substitutes it holds back (logic/complements.ts
 * says what each is). Reads the co-purchase, bought-after and co-visitation lists of the seeds
 * (one call each, in parallel) and the catalog's leaf categories; the recommender merges the
 * lists as the `complements` source and adds `heldBack` to its filter, so a list with substitutes
 * held back is still k long (the filter runs inside the index search).
 */

export interface ComplementOptions {
  /** Which purchases seed complements: `session` (default) right after a purchase only; `history` the newest purchases of any age. */
  seedScope?: 'session' | 'history';
  /** Largest number of seed items. Default 10. */
  seeds?: number;
  /**
   * Right after a purchase (the newest recent interaction, inside the session window), hold back
   * its substitutes: items of a bought item's leaf category (unless that category holds more than
   * SUBSTITUTE_CATEGORY_SHARE of the catalog: a department, not one kind of thing), items at least
   * `substituteSimilarity` alike, and items co-visited with it but never co-bought; complements of
   * it are never held. Default true.
   */
  holdBackSubstitutes?: boolean;
  /** Cosine to a just-bought item at or above which an item is a substitute, (0, 1]. Default 0.9. */
  substituteSimilarity?: number;
}

export interface Complements {
  /** One complement list per seed (raw scores, best first) with the seed's weight; empty without seeds. */
  sources: Array<{ via: string; items: Array<[string, number]>; weight: number }>;
  /** Whether an item is held back as a substitute of a just-bought one; absent when nothing is. */
  heldBack?: (itemId: string) => boolean;
}

export interface ComplementFinderDeps {
  /** The neighbour lists read (the recommender passes its short-lived cache of them). */
  stats: NeighbourLists;
  catalog: CatalogService;
  /** The session window (s): how long after a purchase its substitutes are held back. */
  sessionGapSeconds: number;
  options?: ComplementOptions;
}

/** Entries of a just-bought item's co-visitation list checked for "co-visited, never co-bought". */
const SUBSTITUTE_COVISITED = 20;
/** A leaf category above this share of the catalog is too broad to hold back whole. */
export const SUBSTITUTE_CATEGORY_SHARE = 0.25;
const NONE: Complements = Object.freeze({ sources: [] }) as Complements;

export class ComplementFinder {
  private readonly stats: NeighbourLists;
  private readonly catalog: CatalogService;
  private readonly sessionGapSeconds: number;
  private readonly options: Required<ComplementOptions>;

  constructor(deps: ComplementFinderDeps) {
    this.stats = deps.stats;
    this.catalog = deps.catalog;
    this.sessionGapSeconds = deps.sessionGapSeconds;
    this.options = { seedScope: 'session', seeds: 10, holdBackSubstitutes: true, substituteSimilarity: 0.9, ...deps.options };
    const { seedScope, seeds, substituteSimilarity } = this.options;
    if (seedScope !== 'session' && seedScope !== 'history') throw new RangeError('complements.seedScope must be session or history');
    if (!Number.isInteger(seeds) || seeds < 0) throw new RangeError('complements.seeds must be an integer >= 0');
    if (!(substituteSimilarity > 0 && substituteSimilarity <= 1))
      throw new RangeError('complements.substituteSimilarity must be in (0, 1]');
  }

  /** The complement lists (at most `limit` entries per list read) and the substitutes held back, for `user` at `now` (epoch ms). */
  async find(user: UserState, now: number, index: VectorIndex, limit: number): Promise<Complements> {
    const seeds = complementSeeds(user.recent, now, {
      scope: this.options.seedScope,
      maxSeeds: this.options.seeds,
      sessionGapSeconds: this.sessionGapSeconds,
    });
    const justBought = this.options.holdBackSubstitutes
      ? (afterPurchase(user.recent, now, this.sessionGapSeconds) ?? []).slice(0, Math.max(1, this.options.seeds))
      : [];
    if (seeds.length === 0 && justBought.length === 0) return NONE;
    const lists = new Map<string, Promise<Array<[string, number]>>>();
    const listOf = (itemId: string) => {
      let list = lists.get(itemId);
      if (!list) lists.set(itemId, (list = this.complementsOf(itemId, limit)));
      return list;
    };
    const [sources, heldBack] = await Promise.all([
      Promise.all(seeds.map(async ({ itemId, weight }: ComplementSeed) => ({ via: itemId, items: await listOf(itemId), weight }))),
      justBought.length > 0 ? this.substitutesOf(justBought, index, listOf) : undefined,
    ]);
    return heldBack ? { sources, heldBack } : { sources };
  }

  /** One item's complement list: co-purchase and bought-after combined (complementList). */
  private async complementsOf(itemId: string, limit: number): Promise<Array<[string, number]>> {
    const [coPurchased, boughtAfter] = await Promise.all([this.stats.coPurchased(itemId, limit), this.stats.boughtAfter(itemId, limit)]);
    return complementList(coPurchased, boughtAfter);
  }

  /** The hold-back test for the substitutes of the just-bought items (see ComplementOptions). */
  private async substitutesOf(
    bought: readonly string[],
    index: VectorIndex,
    listOf: (itemId: string) => Promise<Array<[string, number]>>,
  ): Promise<(itemId: string) => boolean> {
    const [complementLists, coVisitedLists] = await Promise.all([
      Promise.all(bought.map(listOf)),
      Promise.all(bought.map((itemId) => this.stats.coVisited(itemId, SUBSTITUTE_COVISITED))),
    ]);
    const complements = new Set(complementLists.flatMap((list) => list.map(([id]) => id)));
    const coViewedOnly = new Set(coVisitedLists.flatMap((list) => list.map(([id]) => id)).filter((id) => !complements.has(id)));
    const categories: Array<ReadonlySet<string>> = [];
    const vectors: Float32Array[] = [];
    for (const itemId of bought) {
      const item = this.catalog.get(itemId);
      const leaf = item ? this.catalog.itemsInCategory(item.category) : undefined;
      if (leaf && leaf.size <= this.catalog.size * SUBSTITUTE_CATEGORY_SHARE) categories.push(leaf);
      const vector = index.get(itemId);
      if (vector) vectors.push(vector);
    }
    const threshold = this.options.substituteSimilarity;
    // Part of the list's filter, so called per candidate: loops, no closure per call.
    return (itemId) => {
      if (complements.has(itemId)) return false;
      if (coViewedOnly.has(itemId)) return true;
      for (const ids of categories) if (ids.has(itemId)) return true;
      for (const vector of vectors) if ((index.similarity(itemId, vector) ?? -1) >= threshold) return true;
      return false;
    };
  }
}
