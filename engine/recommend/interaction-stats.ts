/** One event's contribution to the shop-wide aggregates. */
export interface InteractionUpdate {
  /** Popularity increments: [itemId, weight]. */
  items: Array<[string, number]>;
  /** Co-visitation increments, applied in both directions: [itemA, itemB, weight]. */
  pairs: Array<[string, string, number]>;
  /** Co-purchase increments (lines of one purchase), applied in both directions: [itemA, itemB, weight]. */
  coPurchases?: Array<[string, string, number]>;
  /** Bought-after increments, one direction only: [earlier, later, weight] (`later` was bought after `earlier`). */
  boughtAfter?: Array<[string, string, number]>;
  /** Epoch ms of the event: popularity decays with event time, not wall time. */
  ts: number;
}

/**
 * Shop-wide aggregates behind the crowd candidates: time-decayed popularity, session
 * co-visitation (substitutes and complements alike), and the two purchase relations that say
 * "goes with" rather than "is like": co-purchase and bought-after (Redis keys under one `{g}`
 * hash tag). Each neighbour list keeps its best entries (the adapter's `maxNeighbours`).
 */
export interface InteractionStats {
  /** Applies the update once per `eventKey` (idempotent, all of it or none); true when it was new. */
  record(eventKey: string, update: InteractionUpdate): Promise<boolean>;
  /**
   * Applies many events' updates as one, once per `batchKey` (idempotent, all or none): the
   * adapter folds them (logic/aggregate-fold.ts) and writes once. The result equals recording
   * each update alone, except that neighbour lists are trimmed once at the end. True when new.
   */
  recordMany(batchKey: string, updates: readonly InteractionUpdate[]): Promise<boolean>;
  /** Whether `key` (an event key or a batch key) was recorded, within the dedupe TTL. */
  wasRecorded(key: string): Promise<boolean>;
  /** Most popular items, best first, scores in (0, 1] relative to the best. */
  popular(limit: number): Promise<Array<[string, number]>>;
  /** Items most co-visited with `itemId`, best first, raw scores. */
  coVisited(itemId: string, limit: number): Promise<Array<[string, number]>>;
  /** Items most often in one purchase with `itemId`, best first, raw scores. */
  coPurchased(itemId: string, limit: number): Promise<Array<[string, number]>>;
  /** Items most often bought (by the same shopper, within the window) after `itemId`, best first, raw scores. */
  boughtAfter(itemId: string, limit: number): Promise<Array<[string, number]>>;
}
