import type { InteractionType, RecommendedItem } from '../contracts/schemas.js';
import type { RecentInteraction } from '../ports/user-state-store.js';
import { mergeComplements } from './complements.js';
import { keepthBest, sortScored } from './score-order.js';
import type { RankingTuning } from './ranking-tuning.js';
import type { Candidate, CandidateSources } from './candidate.js';

export { checkRankingTuning, type RankingTuning } from './ranking-tuning.js';
export type { Candidate, CandidateSources } from './candidate.js';

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
 * Shoppers like you: when the shopper has neighbours (nearest shopper vectors, services/shopper-index.ts),
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

/** Strength at which the shopper's own vector and the crowd weigh equally. */
export const STRENGTH_HALF_POINT = 2;
/** Within the crowd signal: session co-visitation is more specific than popularity. */
export const CROWD_COVISIT = 0.6;
export const CROWD_POPULAR = 0.4;
/** Share of a searched query's relevance in the score; the rest is taste and crowd, scaled by relevance. */
export const QUERY_SHARE = 0.5;
/** Share of "shoppers like you" in the personal signal, when the shopper has neighbours. */
export const NEIGHBOUR_SHARE = 0.3;
/** Share of "sessions like yours" in the session part of the crowd signal (the rest is co-visitation), when such sessions exist. */
export const SESSION_SHARE = 0.5;
/** Share of sequential rules ("often viewed after") in what "sessions like yours" leave to co-visitation, when rules exist. */
export const FOLLOW_SHARE = 0.4;
/** Share of the complement signal in the non-query part of the score when complement seeds exist. */
export const COMPLEMENT_SHARE = 0.5;
/** Weight of the i-th most recent item's co-visitation list (newest first). */
const RECENCY_WEIGHTS = [1, 0.75, 0.5, 0.35, 0.25];

export interface BlendWeights {
  /** Weight of `sim`. */
  personal: number;
  coVisitation: number;
  popularity: number;
  /** Weight of `rel` (0 without a query). */
  query: number;
  /** Weight of `nbr` (0 when the shopper has no neighbours). */
  neighbours: number;
  /** Weight of `comp` (0 without complement seeds). */
  complement: number;
  /** Weight of `ses` (0 when no session is like the shopper's). */
  sessions: number;
  /** Weight of `fol` (0 when nothing is known to follow the shopper's newest item). */
  follows: number;
}

/** The blend for a shopper of the given strength; see the module comment. */
export function blendWeights(
  strength: number,
  hasQuery: boolean,
  tuning: RankingTuning = {},
  hasNeighbours = false,
  hasComplements = false,
  hasSessions = false,
  hasFollows = false,
): BlendWeights {
  const s = Number.isFinite(strength) && strength > 0 ? strength : 0;
  const alpha = Math.min(tuning.maxPersonal ?? 1, s / (s + (tuning.strengthHalfPoint ?? STRENGTH_HALF_POINT)));
  const complementShare = hasComplements ? (tuning.complementShare ?? COMPLEMENT_SHARE) : 0;
  const rest = (hasQuery ? 1 - QUERY_SHARE : 1) * (1 - complementShare);
  const coVisit = tuning.crowdCoVisit ?? CROWD_COVISIT;
  const popular = tuning.crowdCoVisit === undefined ? CROWD_POPULAR : 1 - tuning.crowdCoVisit;
  const neighbours = hasNeighbours ? NEIGHBOUR_SHARE : 0;
  const sessions = hasSessions ? (tuning.sessionShare ?? SESSION_SHARE) : 0;
  // Sequential rules take their share of what is left to co-visitation.
  const follows = hasFollows ? (1 - sessions) * (tuning.followShare ?? FOLLOW_SHARE) : 0;
  return {
    personal: rest * alpha * (1 - neighbours),
    neighbours: rest * alpha * neighbours,
    sessions: rest * (1 - alpha) * coVisit * sessions,
    follows: rest * (1 - alpha) * coVisit * follows,
    coVisitation: rest * (1 - alpha) * coVisit * (1 - sessions - follows),
    popularity: rest * (1 - alpha) * popular,
    query: hasQuery ? QUERY_SHARE : 0,
    complement: (hasQuery ? 1 - QUERY_SHARE : 1) * complementShare,
  };
}

/** A list scaled so its best score is 1 (scores <= 0 and non-finite ones are dropped). */
export function normaliseScores(list: ReadonlyArray<readonly [string, number]>): Array<[string, number]> {
  const best = bestScore(list);
  if (best === 0) return [];
  const out: Array<[string, number]> = [];
  for (const [id, score] of list) if (Number.isFinite(score) && score > 0) out.push([id, score / best]);
  return out;
}

/** The best finite positive score of a list; 0 when none is. */
function bestScore(list: ReadonlyArray<readonly [string, number]>): number {
  let best = 0;
  for (const [, score] of list) if (Number.isFinite(score) && score > best) best = score;
  return best;
}

/** Merges the sources into one candidate per item, each carrying every signal it was seen with. */
export function mergeCandidates(sources: CandidateSources, tuning: RankingTuning = {}): Map<string, Candidate> {
  const merged = new Map<string, Candidate>();
  for (const { id, similarity } of sources.vector ?? []) entryIn(merged, id).similarity = similarity;
  const recencyWeights = tuning.coVisitRecency ?? RECENCY_WEIGHTS;
  const sum = tuning.coVisitCombine === 'sum';
  /** With `sum`: the best single contribution per candidate, which names it (`coVisitedWith`). */
  const bestPart = sum ? new Map<string, number>() : undefined;
  const coVisited = sources.coVisited ?? [];
  for (let index = 0; index < coVisited.length; index++) {
    const { via, items, position = index } = coVisited[index]!;
    const recency = recencyWeights[Math.min(position, recencyWeights.length - 1)]!;
    // normaliseScores inline (no array per list): each usable score divided by the list's best.
    const best = bestScore(items);
    if (best === 0) continue;
    for (const [id, score] of items) {
      if (!(Number.isFinite(score) && score > 0)) continue;
      const value = (score / best) * recency;
      const candidate = entryIn(merged, id);
      if (bestPart) {
        candidate.coVisitation = (candidate.coVisitation ?? 0) + value;
        if (value > (bestPart.get(id) ?? 0)) {
          bestPart.set(id, value);
          candidate.coVisitedWith = via;
        }
      } else if (value > (candidate.coVisitation ?? 0)) {
        candidate.coVisitation = value;
        candidate.coVisitedWith = via;
      }
    }
  }
  if (sum) {
    let best = 0;
    for (const candidate of merged.values()) best = Math.max(best, candidate.coVisitation ?? 0);
    if (best > 0) for (const candidate of merged.values()) if (candidate.coVisitation !== undefined) candidate.coVisitation /= best;
  }
  for (const [id, score] of sources.popular ?? []) {
    if (Number.isFinite(score) && score > 0) entryIn(merged, id).popularity = Math.min(1, score);
  }
  for (const { id, similarity } of sources.query ?? []) entryIn(merged, id).queryRelevance = similarity;
  const neighbours = sources.neighbours ?? [];
  const bestNeighbour = bestScore(neighbours);
  if (bestNeighbour > 0)
    for (const [id, score] of neighbours) if (Number.isFinite(score) && score > 0) entryIn(merged, id).neighbours = score / bestNeighbour;
  const sessions = sources.sessions ?? [];
  const bestSession = bestScore(sessions);
  if (bestSession > 0)
    for (const [id, score] of sessions) if (Number.isFinite(score) && score > 0) entryIn(merged, id).sessions = score / bestSession;
  const follows = sources.follows;
  const bestFollow = follows ? bestScore(follows.items) : 0;
  if (follows && bestFollow > 0) {
    for (const [id, score] of follows.items) {
      if (!(Number.isFinite(score) && score > 0)) continue;
      const candidate = entryIn(merged, id);
      candidate.follows = score / bestFollow;
      candidate.followsAfter = follows.after;
    }
  }
  // (No complement lists, the usual case: no closure, and none of mergeComplements' maps.)
  const complements = sources.complements ?? [];
  if (complements.length > 0) mergeComplements(complements, (itemId) => entryIn(merged, itemId));
  return merged;
}

/** The candidate of `itemId` in `merged`, added (no signal yet) when absent. */
function entryIn(merged: Map<string, Candidate>, itemId: string): Candidate {
  let candidate = merged.get(itemId);
  if (!candidate) {
    // Every field present from the start (undefined until a source sets it), in one order: all
    // candidates share one object shape, which keeps scoring them fast.
    candidate = {
      itemId,
      similarity: undefined,
      coVisitation: undefined,
      coVisitedWith: undefined,
      popularity: undefined,
      queryRelevance: undefined,
      neighbours: undefined,
      complement: undefined,
      complementOf: undefined,
      sessions: undefined,
      follows: undefined,
      followsAfter: undefined,
    };
    merged.set(itemId, candidate);
  }
  return candidate;
}

export interface RankingContext {
  /** Decayed strength of the shopper's vector. */
  strength: number;
  /** The search text, when the request had one. */
  query?: string;
  /** Title of an item for reasons; undefined for unknown items. */
  titleOf(itemId: string): string | undefined;
  /** The shopper's recent interaction most like `itemId`, for "like <title> you viewed". */
  nearestRecent(itemId: string): RecentInteraction | undefined;
  /** Changes to the blend (tuning); default none. */
  tuning?: RankingTuning;
  /** Whether the shopper has neighbours ("shoppers like you"): the blend gives them NEIGHBOUR_SHARE. */
  neighbours?: boolean;
  /** Whether complement seeds exist (the shopper just bought): `comp` takes COMPLEMENT_SHARE. */
  complements?: boolean;
  /** Whether sessions like the shopper's exist: `ses` takes SESSION_SHARE of the co-visitation weight. */
  sessions?: boolean;
  /** Whether something is known to follow the shopper's newest item: `fol` takes FOLLOW_SHARE of what co-visitation keeps. */
  follows?: boolean;
  /** Affinity boost of an item, [0, 1]: its score is multiplied by 1 + boost. Default none. */
  boostOf?(itemId: string): number;
  /**
   * The most `boostOf` ever returns, [0, 1] (default 1): ranking skips asking for the boost of a
   * candidate that could not reach the list even with it.
   */
  maxBoost?: number;
  /** The category to name in "popular in <category>" (the list's scope, or one the shopper likes). */
  popularIn?(itemId: string): string | undefined;
  /** Reason of an item no signal speaks for (score 0). Default 'to explore the shop'. */
  fallbackReason?: string;
}

const VERB: Record<InteractionType, string> = {
  view: 'viewed',
  click: 'viewed',
  search: 'viewed',
  like: 'liked',
  add_to_cart: 'added to your cart',
  remove_from_cart: 'viewed',
  purchase: 'bought',
  dislike: 'viewed',
};

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
  candidates: Iterable<Candidate>,
  k: number,
  context: Pick<
    RankingContext,
    'strength' | 'query' | 'tuning' | 'neighbours' | 'complements' | 'sessions' | 'follows' | 'boostOf' | 'maxBoost'
  >,
): ScoredCandidate[] {
  const weights = contextWeights(context);
  // As slice(0, k): k truncated, below 0 (or NaN) none.
  const keep = Math.max(0, Math.trunc(k) || 0);
  // Plain arrays: a typed array per list costs more to allocate than these cost to fill.
  const all: Candidate[] = [];
  const sums: number[] = [];
  for (const candidate of candidates) {
    all.push(candidate);
    sums.push(blendedSum(candidate, weights));
  }
  const n = all.length;
  // Rounded before sorting, so equal printed scores are always in itemId order.
  const scores: number[] = new Array(n);
  const boostOf = context.boostOf;
  if (boostOf === undefined) {
    for (let i = 0; i < n; i++) scores[i] = round(sums[i]!);
  } else if (keep >= n) {
    for (let i = 0; i < n; i++) scores[i] = boostedScore(sums[i]!, all[i]!.itemId, boostOf);
  } else {
    // A boost only raises a score, by at most maxBoost. The best `keep` by blended sum (ties
    // included) are boosted first: the keep-th best of their scores bounds the list's keep-th
    // best score from below, so any other candidate whose best possible score (its sum times
    // 1 + maxBoost) is under that bound cannot be kept, and its boost (an item lookup) is
    // skipped. Rounding is monotone: the candidates kept and their scores are exactly those of
    // boosting all. (~15% fewer boosts asked for than with the unboosted bound: 46 of 151 per list
    // in recommend-micro at 3,000 items, keep 30.)
    const most = 1 + clamp01(context.maxBoost ?? 1);
    const first = keepthBest(sums, keep);
    const firstScores: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!(sums[i]! >= first)) continue;
      scores[i] = boostedScore(sums[i]!, all[i]!.itemId, boostOf);
      firstScores.push(scores[i]!);
    }
    const bound = keepthBest(firstScores, keep);
    for (let i = 0; i < n; i++) {
      const sum = sums[i]!;
      if (!(sum >= first)) scores[i] = round(sum * most) < bound ? -Infinity : boostedScore(sum, all[i]!.itemId, boostOf);
    }
  }
  // Only the best `keep` are sorted (score-order.ts): every candidate scoring at least the
  // keep-th best score, ties included, then cut after the sort.
  const threshold = keep < n ? keepthBest(scores, keep) : -Infinity;
  const scored: ScoredCandidate[] = [];
  for (let i = 0; i < n; i++) {
    const score = scores[i]!;
    if (score >= threshold) scored.push({ itemId: all[i]!.itemId, score, candidate: all[i]! });
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

/** The blend of a ranking context. */
export function contextWeights(
  context: Pick<RankingContext, 'strength' | 'query' | 'tuning' | 'neighbours' | 'complements' | 'sessions' | 'follows'>,
): BlendWeights {
  return blendWeights(
    context.strength,
    context.query !== undefined,
    context.tuning,
    context.neighbours === true,
    context.complements === true,
    context.sessions === true,
    context.follows === true,
  );
}

/** A candidate's score: its blended parts times (1 + affinity boost), rounded. */
export function scoreOf(candidate: Candidate, weights: BlendWeights, context: Pick<RankingContext, 'boostOf'>): number {
  const boost = context.boostOf ? clamp01(context.boostOf(candidate.itemId)) : 0;
  return round(blendedSum(candidate, weights) * (1 + boost));
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

/**
 * The reason of the largest score component; on a tie, the earlier one in this order: query,
 * complement, personal, neighbours, co-visitation, popularity. An item no signal speaks for gets the context's
 * fallback reason: every listed item says why.
 */
export function reasonFor(candidate: Candidate, weights: BlendWeights, context: RankingContext): string {
  // scoreParts' products, in the order above, without building its object (every shown item).
  const relevance = clamp01(candidate.queryRelevance ?? 0);
  const gate = weights.query > 0 ? relevance : 1;
  const query = weights.query * relevance;
  const complement = gate * weights.complement * clamp01(candidate.complement ?? 0);
  const personal = gate * weights.personal * clamp01(candidate.similarity ?? 0);
  const neighbours = gate * weights.neighbours * clamp01(candidate.neighbours ?? 0);
  const coVisitation = gate * weights.coVisitation * clamp01(candidate.coVisitation ?? 0);
  const popularity = gate * weights.popularity * clamp01(candidate.popularity ?? 0);
  const sessions = gate * weights.sessions * clamp01(candidate.sessions ?? 0);
  const follows = gate * weights.follows * clamp01(candidate.follows ?? 0);
  // The first largest positive part wins: a later one must be strictly larger.
  let best: ReasonPart | undefined = query > 0 ? 'query' : undefined;
  let bestValue = query > 0 ? query : 0;
  if (complement > bestValue) [best, bestValue] = ['complement', complement];
  if (personal > bestValue) [best, bestValue] = ['personal', personal];
  if (neighbours > bestValue) [best, bestValue] = ['neighbours', neighbours];
  if (coVisitation > bestValue) [best, bestValue] = ['coVisitation', coVisitation];
  if (sessions > bestValue) [best, bestValue] = ['sessions', sessions];
  if (follows > bestValue) [best, bestValue] = ['follows', follows];
  if (popularity > bestValue) [best, bestValue] = ['popularity', popularity];
  return best === undefined ? (context.fallbackReason ?? 'to explore the shop') : reasonText(best, candidate, context);
}

/** A score component a reason can name. */
type ReasonPart = 'query' | 'complement' | 'personal' | 'neighbours' | 'coVisitation' | 'sessions' | 'follows' | 'popularity';

/** The reason text of the component that contributed most. */
function reasonText(part: ReasonPart, candidate: Candidate, context: RankingContext): string {
  switch (part) {
    case 'query':
      return `for your search '${context.query ?? ''}'`;
    case 'personal': {
      const recent = context.nearestRecent(candidate.itemId);
      const title = recent ? context.titleOf(recent.itemId) : undefined;
      return recent && title ? `like ${title} you ${VERB[recent.type]}` : 'matches your taste';
    }
    case 'complement': {
      const title = candidate.complementOf ? context.titleOf(candidate.complementOf) : undefined;
      return title ? `often bought with ${title}` : 'often bought together';
    }
    case 'neighbours':
      return 'shoppers like you also liked it';
    case 'sessions':
      return 'in sessions like yours';
    case 'follows': {
      const title = candidate.followsAfter ? context.titleOf(candidate.followsAfter) : undefined;
      return title ? `often viewed after ${title}` : 'often viewed next';
    }
    case 'coVisitation': {
      const title = candidate.coVisitedWith ? context.titleOf(candidate.coVisitedWith) : undefined;
      return title ? `often viewed with ${title}` : 'often viewed together';
    }
    case 'popularity': {
      const category = context.popularIn?.(candidate.itemId);
      return category ? `popular in ${category}` : 'popular now';
    }
  }
}

/** value in [0, 1]; 0 for NaN and +-Infinity. Branches only: six per candidate per list. */
function clamp01(value: number): number {
  return value > 0 ? (value < 1 ? value : value === Infinity ? 0 : 1) : 0;
}

/** Scores travel as JSON: 6 decimals are plenty and keep payloads short. */
function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
