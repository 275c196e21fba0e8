import type { RecentInteraction } from '../../shoppers/user-state-store.js';
import type { RankingTuning } from './ranking-tuning.js';

/** The blend of the ranking signals: see the module comment of ranking.ts. */

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
