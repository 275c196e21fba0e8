import { normaliseScores } from '../../recommend/logic/ranking.js';

/**
 * How a search query meets the catalog, in two places. Pure.
 *
 * Relevance of an item to `recommend {query}`, in [0, 1], from the item's BM25 score normalised
 * by the best match's (text-index.ts) and the cosine of its vector to the query's vector (the
 * content tower's encoding of the words):
 *
 *   rel = share * bm25 / best + (1 - share) * max(0, cosine)
 *
 * with `share` = SEARCH_TEXT_SHARE. A query no item's text matches keeps the cosine alone, a
 * query the tower cannot encode the BM25 part alone. ranking.ts then lets `rel` gate taste and
 * crowd as before.
 *
 * A `search` event folds the query into the shopper's vector with the search weight (1.5), shared
 * out: SEARCH_MATCH_SHARE of it goes to the item vectors of the query's best BM25 matches (at most
 * SEARCH_MATCHES, each in proportion to its normalised score), the rest to the query's own vector.
 * Matched items say what the words mean in this shop better than the words' vector does (for a
 * new shopper the two are the same list; for a learned model the items carry what buyers did).
 */

/**
 * Default share of the normalised BM25 score in a query's relevance; the query vector's cosine has
 * the rest. Chosen by `npm run eval -- --search` (README): on Online Retail 0.75 has the best mean
 * next-invoice P@10 of a new and a returning shopper, with the learned tower and with the attribute
 * encoder; BM25 alone is 0.8 points better for returning shoppers only, the tower alone far behind.
 */
export const DEFAULT_SEARCH_TEXT_SHARE = 0.75;
/** Share of a search event's weight that goes to its best-matching items' vectors (the rest to the query's vector). */
export const SEARCH_MATCH_SHARE = 0.75;
/** Best BM25 matches of a search event whose item vectors move the shopper's. */
export const SEARCH_MATCHES = 10;

/**
 * Relevance of one item to a query (see the module comment).
 * @param text the item's BM25 score divided by the best match's, [0, 1]; undefined: not a match.
 * @param cosine cosine of the item's vector to the query's; undefined: the query has no usable vector.
 * @param queryMatchesText whether any item matched the query's words at all.
 */
export function searchRelevance(text: number | undefined, cosine: number | undefined, share: number, queryMatchesText: boolean): number {
  const similarity = cosine === undefined || !Number.isFinite(cosine) ? undefined : Math.max(0, Math.min(1, cosine));
  if (!queryMatchesText) return similarity ?? 0;
  const lexical = Math.max(0, Math.min(1, text ?? 0));
  if (similarity === undefined) return lexical;
  return share * lexical + (1 - share) * similarity;
}

/** Text matches (id, raw BM25 score) as id -> score / best score, in (0, 1]. */
export function normalisedMatches(matches: ReadonlyArray<{ id: string; score: number }>): Map<string, number> {
  return new Map(normaliseScores(matches.map(({ id, score }) => [id, score] as const)));
}

/** How a search event's weight is shared between the query's vector and its matched items (see the module comment). */
export interface SearchFold {
  /** Weight of the query's own vector. */
  query: number;
  /** Weight of each matched item's vector, best match first. */
  items: Array<{ itemId: string; weight: number }>;
}

/**
 * Shares `weight` out between the query's vector and the best `SEARCH_MATCHES` of `matches`
 * (raw BM25 scores, best first) that have a vector (`hasVector`); without such a match the query
 * vector takes it all.
 */
export function searchFold(
  weight: number,
  matches: ReadonlyArray<{ id: string; score: number }>,
  hasVector: (itemId: string) => boolean,
): SearchFold {
  const usable = matches.filter((match) => hasVector(match.id)).slice(0, SEARCH_MATCHES);
  const normalised = normaliseScores(usable.map(({ id, score }) => [id, score] as const));
  const total = normalised.reduce((sum, [, score]) => sum + score, 0);
  if (total === 0) return { query: weight, items: [] };
  const itemsWeight = weight * SEARCH_MATCH_SHARE;
  return { query: weight - itemsWeight, items: normalised.map(([itemId, score]) => ({ itemId, weight: (itemsWeight * score) / total })) };
}

/** Checks a text share once (constructor time). */
export function checkSearchTextShare(share: number): number {
  if (!(share >= 0 && share <= 1)) throw new RangeError(`searchTextShare must be in [0, 1], got ${share}`);
  return share;
}
