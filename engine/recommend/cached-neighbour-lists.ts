import type { InteractionStats } from './interaction-stats.js';
import { ShortCache, type ShortCacheOptions } from '../platform/short-cache.js';

/** The per-item neighbour lists of the shop-wide aggregates that ranking reads. */
export type NeighbourLists = Pick<InteractionStats, 'coVisited' | 'coPurchased' | 'boughtAfter'>;

type ListName = keyof NeighbourLists;

interface CachedList {
  /** The limit it was read with. */
  limit: number;
  read: Promise<Array<[string, number]>>;
  /** The list once read. */
  items?: Array<[string, number]>;
}

/**
 * The co-visitation, co-purchase and bought-after lists of each item, reused for a short time
 * (`ttlMs`, wall clock) so a burst of events on popular items reads each list once (every read is
 * a Redis round trip in the engine). Concurrent reads of one list share the request. A list read
 * with a limit answers every smaller limit (its prefix, as the store would return) and, when it
 * came back shorter than its limit (the whole list), every larger one. A failed read is not kept.
 * Lists are returned as read and shared between callers: never mutate them. With ttlMs 0 every
 * read goes to the store.
 */
export class CachedNeighbourLists implements NeighbourLists {
  private readonly caches: Record<ListName, ShortCache<string, CachedList>>;

  /** @param options ttlMs per list; maxEntries per kind of list. */
  constructor(
    private readonly stats: NeighbourLists,
    options: ShortCacheOptions,
  ) {
    this.caches = { coVisited: new ShortCache(options), coPurchased: new ShortCache(options), boughtAfter: new ShortCache(options) };
  }

  coVisited(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.read('coVisited', itemId, limit);
  }

  coPurchased(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.read('coPurchased', itemId, limit);
  }

  boughtAfter(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.read('boughtAfter', itemId, limit);
  }

  private read(name: ListName, itemId: string, limit: number): Promise<Array<[string, number]>> {
    const cache = this.caches[name];
    // A bad limit goes to the store, which rejects it.
    if (!cache.enabled || !Number.isInteger(limit) || limit < 0) return this.stats[name](itemId, limit);
    const cached = cache.get(itemId);
    if (cached !== undefined) {
      const { items } = cached;
      if (items !== undefined && (cached.limit >= limit || items.length < cached.limit))
        return Promise.resolve(items.length > limit ? items.slice(0, limit) : items);
      if (items === undefined && cached.limit >= limit)
        return cached.read.then((list) => (list.length > limit ? list.slice(0, limit) : list));
    }
    const entry: CachedList = { limit, read: this.stats[name](itemId, limit) };
    entry.read.then(
      (list) => {
        entry.items = list;
      },
      () => cache.delete(itemId, entry),
    );
    cache.set(itemId, entry);
    return entry.read;
  }
}
