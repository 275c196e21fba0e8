/** A ranking candidate and the sources it is merged from (types, and how to walk a list's candidates; ranking.ts merges and scores them, complements.ts feeds them). */

/** A list's candidates as the ranking steps take them: the merge's Map, or an array of some of them. */
export type Candidates = ReadonlyMap<string, Candidate> | readonly Candidate[];

/** How many `candidates` hold. */
export function candidateCount(candidates: Candidates): number {
  return Array.isArray(candidates) ? candidates.length : (candidates as ReadonlyMap<string, Candidate>).size;
}

/**
 * Calls `visit` on each candidate in order: an array by index, a Map through `forEach` (no
 * iterator result object per candidate, as `for...of` over `values()` makes).
 */
export function forEachCandidate(candidates: Candidates, visit: (candidate: Candidate) => void): void {
  if (Array.isArray(candidates)) for (let i = 0; i < candidates.length; i++) visit(candidates[i]!);
  else (candidates as ReadonlyMap<string, Candidate>).forEach(visit);
}

export interface Candidate {
  itemId: string;
  /** Cosine to the shopper's vector, [-1, 1]; absent when the shopper has none. */
  similarity?: number;
  /** Normalised co-visitation, [0, 1]. */
  coVisitation?: number;
  /** The recent item behind `coVisitation`. */
  coVisitedWith?: string;
  /** Popularity relative to the best item, [0, 1]. */
  popularity?: number;
  /** Cosine to the query's vector, [-1, 1]. */
  queryRelevance?: number;
  /** How much the shopper's nearest shoppers liked it, relative to the best item, [0, 1]. */
  neighbours?: number;
  /** Normalised complement score, [0, 1]: goes with an item the shopper just bought. */
  complement?: number;
  /** The bought item behind `complement`. */
  complementOf?: string;
  /** How much the sessions most like the shopper's current one hold it, relative to the best item, [0, 1]. */
  sessions?: number;
  /** How often it followed the shopper's newest item in other sessions, relative to the best item, [0, 1]. */
  follows?: number;
  /** The item it follows (`follows`). */
  followsAfter?: string;
}

export interface CandidateSources {
  /** Neighbours of the shopper's vector: similarity is the cosine to it. */
  vector?: ReadonlyArray<{ id: string; similarity: number }>;
  /**
   * Co-visitation lists of the recent items, newest recent item first; raw scores. `position`
   * picks the recency weight (0 = newest; default: the list's index), so the items of one basket
   * can share one.
   */
  coVisited?: ReadonlyArray<{ via: string; items: ReadonlyArray<readonly [string, number]>; position?: number }>;
  /** Popularity in [0, 1]. */
  popular?: ReadonlyArray<readonly [string, number]>;
  /** Neighbours of the query's vector: similarity is the cosine to the query. */
  query?: ReadonlyArray<{ id: string; similarity: number }>;
  /** Items of the nearest shoppers with raw scores (shopper-index.ts), normalised here. */
  neighbours?: ReadonlyArray<readonly [string, number]>;
  /** Complement lists of just-bought items (raw scores), each weighted by its seed's `weight` (default 1). */
  complements?: ReadonlyArray<{ via: string; items: ReadonlyArray<readonly [string, number]>; weight?: number }>;
  /** Items of the sessions most like the shopper's current one (session-neighbours.ts), raw scores, normalised here. */
  sessions?: ReadonlyArray<readonly [string, number]>;
  /** What followed the shopper's newest item `after` in other sessions (sequential rules), raw scores, normalised here. */
  follows?: { after: string; items: ReadonlyArray<readonly [string, number]> };
}
