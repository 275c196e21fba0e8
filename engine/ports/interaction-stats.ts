/** One event's contribution to the shop-wide aggregates. */
export interface InteractionUpdate {
  /** Popularity increments: [itemId, weight]. */
  items: Array<[string, number]>;
  /** Co-visitation increments, applied in both directions: [itemA, itemB, weight]. */
  pairs: Array<[string, string, number]>;
  /** Epoch ms of the event: popularity decays with event time, not wall time. */
  ts: number;
}

/**
 * Shop-wide aggregates behind the cold-start candidates: time-decayed popularity and
 * session co-visitation (Redis keys under one `{agg}` hash tag).
 */
export interface InteractionStats {
  /** Applies the update once per `eventKey` (idempotent); true when it was new. */
  record(eventKey: string, update: InteractionUpdate): Promise<boolean>;
  /** Most popular items, best first, scores in (0, 1] relative to the best. */
  popular(limit: number): Promise<Array<[string, number]>>;
  /** Items most co-visited with `itemId`, best first, raw scores. */
  coVisited(itemId: string, limit: number): Promise<Array<[string, number]>>;
}
