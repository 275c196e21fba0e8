import type { RecommendedItem } from '../../contracts/schemas.js';
import { BestScores, keepthBest, sortScored } from './score-order.js';
import { candidateCount, forEachCandidate, type Candidate, type Candidates } from './candidate.js';
import { type BlendWeights, contextWeights, type RankingContext } from './ranking-blend.js';
import { reasonFor } from './ranking-reasons.js';
import { clamp01, round } from './score-bounds.js';

export { checkRankingTuning, type RankingTuning } from './ranking-tuning.js';
export type { Candidate, CandidateSources } from './candidate.js';
export {
  STRENGTH_HALF_POINT,
  CROWD_COVISIT,
  CROWD_POPULAR,
  QUERY_SHARE,
  NEIGHBOUR_SHARE,
  SESSION_SHARE,
  FOLLOW_SHARE,
  COMPLEMENT_SHARE,
  type BlendWeights,
  blendWeights,
  type RankingContext,
  contextWeights,
} from './ranking-blend.js';
export { normaliseScores, mergeCandidates } from './candidate-merge.js';
export { reasonFor } from './ranking-reasons.js';

/**
 * Candidate merging and scoring. Pure: the recommender gathers the signals (index, stats,
 * catalog) and applies the filters; this module only blends and orders.
 *
 * Every signal is brought to [0, 1]:
 *   sim  = max(0, cosine to the shopper's vector)        (0 when the shopper has none)
 *   cov  = co-visitation with a recent item, each source list divided by its own best score,
 *          scaled by the recent item's recency (newest 1, then 0.75, 0.5, ...), best kept
 *   pop  = popularity relative to the shop's best item
 *   rel  = max(0, cosine to the search query's vector)   (only with a query)
 *   comp = complement of a just-bought item: its co-purchase and bought-after lists, each
 *          divided by its best, summed over the seeds and divided by the best sum (only with seeds)
 *
 * Blend (alpha grows with the evidence behind the shopper's vector):
 *   alpha    = strength / (strength + STRENGTH_HALF_POINT)      0 for a new shopper, ~0.9 at 20
 *   personal = alpha * sim
 *   crowd    = (1 - alpha) * (CROWD_COVISIT * cov + CROWD_POPULAR * pop)
 *   score    = personal + crowd                                 without a query
 *   score    = rel * (QUERY_SHARE + (1 - QUERY_SHARE) * (personal + crowd))   with a query
 * so a new shopper leans on what the crowd does in the session and overall, a regular one on
 * their own taste. A search gates everything: taste and crowd only reorder items relevant to it
 * (by up to 2x), so a runner searching "lamp" sees lamps, runner-ish ones first. Scores stay in [0, 1].
 * Ties break on itemId (ascending) so the same inputs always give the same list.
 *
 * Shoppers like you: when the shopper has neighbours (nearest shopper vectors, engine/recommend/shopper-index.ts),
 *   nbr      = the neighbours' similarity summed over those who hold the item, / the best item's
 *   personal = alpha * ((1 - NEIGHBOUR_SHARE) * sim + NEIGHBOUR_SHARE * nbr)
 * Complements: with complement seeds (a purchase, logic/complements.ts), `comp` takes
 * COMPLEMENT_SHARE of the non-query part and every other part is scaled by 1 - COMPLEMENT_SHARE:
 * after buying a TV, what goes with it outranks what is like it.
 * Affinity boost: the blended score times (1 + boostOf(item)), boostOf in [0, AFFINITY_BOOST]
 * (affinity-boost.ts), so scores stay in [0, 1 + AFFINITY_BOOST].
 *
 * Campaign boost: a running campaign's items, for a member in its audience, may take at most
 * floor(k * share) places (campaignSlots); the ones most like the shopper's taste are picked,
 * scored with the same blend and placed by score among the organic ones (campaignPicks,
 * withCampaignItems, in campaign-ranking.ts), reason `campaign <name>`.
 */

/** Component scores of a candidate under `weights`; they sum to its score (see the module comment). */
export function scoreParts(
  candidate: Candidate,
  weights: BlendWeights,
): {
  personal: number;
  neighbours: number;
  coVisitation: number;
  popularity: number;
  query: number;
  complement: number;
  sessions: number;
  follows: number;
} {
  const relevance = clamp01(candidate.queryRelevance ?? 0);
  // With a query, relevance gates the other signals; without one it is absent (gate 1).
  const gate = weights.query > 0 ? relevance : 1;
  return {
    personal: gate * weights.personal * clamp01(candidate.similarity ?? 0),
    neighbours: gate * weights.neighbours * clamp01(candidate.neighbours ?? 0),
    coVisitation: gate * weights.coVisitation * clamp01(candidate.coVisitation ?? 0),
    popularity: gate * weights.popularity * clamp01(candidate.popularity ?? 0),
    query: weights.query * relevance,
    complement: gate * weights.complement * clamp01(candidate.complement ?? 0),
    sessions: gate * weights.sessions * clamp01(candidate.sessions ?? 0),
    follows: gate * weights.follows * clamp01(candidate.follows ?? 0),
  };
}

/** A ranked candidate before its reason is written (the reason is built for the shown items only). */
export interface ScoredCandidate {
  itemId: string;
  /** Its blended score, rounded (see scoreOf). */
  score: number;
  candidate: Candidate;
}

/**
 * The best `k` candidates, best first (ties by itemId ascending), each with its score and a
 * reason named after the signal that contributed most to it.
 */
export function rankCandidates(candidates: Iterable<Candidate>, k: number, context: RankingContext): RecommendedItem[] {
  return withReasons(scoreCandidates(candidates, k, context), context);
}

/**
 * The best `k` candidates with their scores, best first (ties by itemId ascending): the order of
 * {@link rankCandidates} without the reasons, which {@link withReasons} adds once the list is cut.
 */
export function scoreCandidates(
  candidates: ReadonlyMap<string, Candidate> | Iterable<Candidate>,
  k: number,
  context: Pick<
    RankingContext,
    'strength' | 'query' | 'tuning' | 'neighbours' | 'complements' | 'sessions' | 'follows' | 'boostOf' | 'maxBoost'
  >,
): ScoredCandidate[] {
  const weights = contextWeights(context);
  // As slice(0, k): k truncated, below 0 (or NaN) none.
  const keep = Math.max(0, Math.trunc(k) || 0);
  // The candidates, their sums and scores in scratch every list reuses (only [0, n) is read):
  // three arrays grown per list for its ~400 candidates were ~13 KB of a pushed list's
  // allocation (heap sampling at 1,000 events/s). A Map is read through forEach (no iterator result per
  // candidate). No callback runs while the scratch is in use.
  const list: Candidates =
    candidates instanceof Map || Array.isArray(candidates) ? (candidates as Candidates) : [...(candidates as Iterable<Candidate>)];
  const size = candidateCount(list);
  if (sumScratch.length < size) {
    sumScratch = new Float64Array(Math.max(size, 2 * sumScratch.length));
    scoreScratch = new Float64Array(sumScratch.length);
  }
  const all = candidateScratch;
  const sums = sumScratch;
  let n = 0;
  const add = (candidate: Candidate): void => {
    all[n] = candidate;
    sums[n++] = blendedSum(candidate, weights);
  };
  forEachCandidate(list, add);
  try {
    return scoreCollected(all as Candidate[], sums, n, keep, context);
  } finally {
    all.fill(undefined, 0, n);
  }
}

/** scoreCandidates' scratch (see there), grown as needed. */
const candidateScratch: Array<Candidate | undefined> = [];
let sumScratch = new Float64Array(512);
let scoreScratch = new Float64Array(512);

/** scoreCandidates over the collected [0, n) of `all` and their blended `sums`. */
function scoreCollected(
  all: readonly Candidate[],
  sums: Float64Array,
  n: number,
  keep: number,
  context: Pick<RankingContext, 'boostOf' | 'maxBoost'>,
): ScoredCandidate[] {
  const boostOf = context.boostOf;
  const scored: ScoredCandidate[] = [];
  const scores = scoreScratch;
  if (boostOf === undefined || keep >= n) {
    // Rounded before sorting, so equal printed scores are always in itemId order.
    for (let i = 0; i < n; i++) scores[i] = boostOf === undefined ? round(sums[i]!) : boostedScore(sums[i]!, all[i]!.itemId, boostOf);
    // Only the best `keep` are sorted (score-order.ts): every candidate scoring at least the
    // keep-th best score, ties included, then cut after the sort.
    const threshold = keep < n ? keepthBest(scores.subarray(0, n), keep) : -Infinity;
    for (let i = 0; i < n; i++) if (scores[i]! >= threshold) scored.push({ itemId: all[i]!.itemId, score: scores[i]!, candidate: all[i]! });
  } else {
    // A boost only raises a score, by at most maxBoost. The best `keep` by blended sum (ties
    // included) are boosted first: the keep-th best of their scores bounds the list's keep-th
    // best score from below, so any other candidate whose best possible score (its sum times
    // 1 + maxBoost) is under that bound cannot be kept, and its boost (an item lookup) is
    // skipped. The others are boosted best sum first, each raising the bound, until the next one's
    // best possible score is under it (so are all after it). Rounding is monotone: the candidates
    // kept and their scores are exactly those of boosting all. (recommend-micro at 3,000 items,
    // keep 30 of ~375 candidates: ~38 boosts per list, were 48 with the first bound kept; with the
    // boosts read by id (item-key-rows.ts) scoreCandidates costs ~84 us CPU per list, was ~160:
    // `npx tsx scripts/bench/recommend-micro.ts --items 3000 --lists 3000 --users 1000`, the call
    // timed alone, load ~11 on 2 cores.)
    const most = 1 + clamp01(context.maxBoost ?? 1);
    const first = keepthBest(sums.subarray(0, n), keep);
    // A candidate's score once boosted; NaN: never boosted, it cannot be kept.
    scores.fill(Number.NaN, 0, n);
    const best = new BestScores(keep);
    for (let i = 0; i < n; i++) {
      if (!(sums[i]! >= first)) continue;
      const score = boostedScore(sums[i]!, all[i]!.itemId, boostOf);
      scores[i] = score;
      best.offer(score);
    }
    const bound = best.min;
    const rest: number[] = [];
    for (let i = 0; i < n; i++) {
      const sum = sums[i]!;
      if (!(sum >= first) && !(round(sum * most) < bound)) rest.push(i);
    }
    sortBySumDescending(rest, sums);
    for (let r = 0; r < rest.length; r++) {
      const i = rest[r]!;
      const sum = sums[i]!;
      if (round(sum * most) < best.min) break;
      const score = boostedScore(sum, all[i]!.itemId, boostOf);
      scores[i] = score;
      best.offer(score);
    }
    const threshold = best.min;
    for (let i = 0; i < n; i++) {
      const score = scores[i]!;
      if (score >= threshold) scored.push({ itemId: all[i]!.itemId, score, candidate: all[i]! });
    }
  }
  sortScored(scored);
  if (scored.length > keep) scored.length = keep;
  return scored;
}

/** The scored candidates as list items, in the given order, each with its reason (reasonFor). */
export function withReasons(scored: readonly ScoredCandidate[], context: RankingContext): RecommendedItem[] {
  const weights = contextWeights(context);
  const out: RecommendedItem[] = new Array(scored.length);
  for (let i = 0; i < scored.length; i++) {
    const { candidate, score } = scored[i]!;
    out[i] = { itemId: candidate.itemId, score, reason: reasonFor(candidate, weights, context) };
  }
  return out;
}

/** A candidate's score: its blended parts times (1 + affinity boost), rounded. */
export function scoreOf(candidate: Candidate, weights: BlendWeights, context: Pick<RankingContext, 'boostOf'>): number {
  const boost = context.boostOf ? clamp01(context.boostOf(candidate.itemId)) : 0;
  return round(blendedSum(candidate, weights) * (1 + boost));
}

/** Sorts candidate positions by their sum, highest first (the order of equal sums does not matter). */
function sortBySumDescending(positions: number[], sums: ArrayLike<number>): void {
  // Usually a few dozen: by insertion, inline; a long run by Array.sort.
  if (positions.length > 64) {
    positions.sort((a, b) => sums[b]! - sums[a]!);
    return;
  }
  for (let i = 1; i < positions.length; i++) {
    const position = positions[i]!;
    const sum = sums[position]!;
    let j = i - 1;
    for (; j >= 0 && sums[positions[j]!]! < sum; j--) positions[j + 1] = positions[j]!;
    positions[j + 1] = position;
  }
}

/** A blended sum times (1 + the item's boost), rounded: its score. */
function boostedScore(sum: number, itemId: string, boostOf: (itemId: string) => number): number {
  return round(sum * (1 + clamp01(boostOf(itemId))));
}

/**
 * The sum of a candidate's blended parts: scoreParts' products, summed in the same order,
 * without building its object (this runs for every candidate of every list).
 */
function blendedSum(candidate: Candidate, weights: BlendWeights): number {
  const relevance = clamp01(candidate.queryRelevance ?? 0);
  const gate = weights.query > 0 ? relevance : 1;
  const personal = gate * weights.personal * clamp01(candidate.similarity ?? 0);
  const neighbours = gate * weights.neighbours * clamp01(candidate.neighbours ?? 0);
  const coVisitation = gate * weights.coVisitation * clamp01(candidate.coVisitation ?? 0);
  const popularity = gate * weights.popularity * clamp01(candidate.popularity ?? 0);
  const query = weights.query * relevance;
  const complement = gate * weights.complement * clamp01(candidate.complement ?? 0);
  const sessions = gate * weights.sessions * clamp01(candidate.sessions ?? 0);
  const follows = gate * weights.follows * clamp01(candidate.follows ?? 0);
  return personal + neighbours + coVisitation + popularity + query + complement + sessions + follows;
}
