import type { EngineConfig } from '../config.js';
import type { RankingTuning } from './logic/ranking.js';
import type { CandidateSources } from './logic/candidate.js';
import { SessionIndex } from './logic/session-neighbours.js';
import type { ComplementOptions } from './complement-lists.js';
import { ListEvidence } from './list-evidence.js';

/**
 * What a Recommender is told (RecommenderOptions) and what an engine serves with, from its
 * configuration: the served ranking's settings, the session index and the re-visit evidence.
 * Split from recommender.ts, which re-exports all of it.
 */

export interface RecommenderOptions {
  /** List length when the request names none. */
  defaultK: number;
  /** Recent items older than this (seconds before `now`) no longer seed co-visitation candidates. */
  sessionGapSeconds: number;
  /** Overrides the `modelVersion` stamped on every list (default: the serving model's version). */
  modelVersion?: () => string;
  /** How many recent items exclude themselves from lists. Default 20. */
  excludeRecent?: number;
  /** How long the shop-wide popularity list is reused, in ms (wall clock). Default 1000. */
  popularCacheMs?: number;
  /**
   * How long an item's co-visitation, co-purchase and bought-after lists are reused, in ms (wall
   * clock), so a burst of events around popular items reads each list once (cached-neighbour-lists.ts);
   * 0 reads them for every list. Default `popularCacheMs`: a caller that needs fresh aggregates
   * (the evaluation's replay sets popularCacheMs 0) gets fresh lists too.
   */
  statsCacheMs?: number;
  /** Lists of each kind (co-visitation, co-purchase, bought-after) held by that cache at most. Default 2000. */
  statsCacheItems?: number;
  /**
   * How long a shopper's "shoppers like you" answer is reused while their vector barely moves, in
   * ms (wall clock; CachedNeighbourSource in shopper-index.ts); 0 searches the shopper index for
   * every list. Default `popularCacheMs`.
   */
  neighbourCacheMs?: number;
  /** Shoppers whose "shoppers like you" answer that cache holds at most. Default 2000. */
  neighbourCacheUsers?: number;
  /**
   * Shoppers whose last taste search is remembered so their next list may reuse its graph walk
   * when the index proves the answer unchanged (search-memos.ts; ~0.6 KB each). 0: every list
   * walks. Default 20000.
   */
  searchMemoUsers?: number;
  /** Newest distinct recent items of the session whose co-visitation lists become candidates. Default 3. */
  coVisitSeeds?: number;
  /**
   * Which recent items may seed co-visitation: `session` (default) only those inside the session
   * window; `history` the newest ones of any age (a returning buyer's last order still says what
   * goes with it).
   */
  coVisitSeedScope?: 'session' | 'history';
  /**
   * What a seed's recency weight counts: `item` (default) each distinct recent item is one step
   * older; `event` the items of one event (a basket) share a step.
   */
  coVisitRecencyBy?: 'item' | 'event';
  /** Changes to the ranking blend (see ranking.ts); default none. */
  ranking?: RankingTuning;
  /** Largest share of a member's list that running campaigns' items may take, [0, 1]. Default 0.2. */
  campaignShare?: number;
  /** Largest brand/category affinity boost, [0, 1] (affinity-boost.ts). Default 0: none. */
  affinityBoost?: number;
  /** Half-life of affinity (s), to read it as of now. Default 14 days. */
  affinityHalfLifeSeconds?: number;
  /** MMR diversity of lists that ask for none, [0, 1] (diversity.ts). Default 0: ranking order. */
  diversity?: number;
  /** Share of the normalised BM25 score in a query's relevance, [0, 1]; the query vector's cosine has the rest (search-relevance.ts). Default DEFAULT_SEARCH_TEXT_SHARE. */
  searchTextShare?: number;
  /** Complements of just-bought items and the substitutes held back after a purchase (complements.ts). Default: on, right after a purchase. */
  complements?: ComplementOptions;
  /** The candidate sources used (evaluation: e.g. `['vector']` alone). Default all. */
  sources?: ReadonlyArray<keyof CandidateSources>;
  /**
   * The shopper's own recent items in a list: `evidence` (default) they come back where the shop's
   * stream shows they beat the fresh item they would displace (logic/revisits.ts; needs
   * `RecommenderDeps.evidence`, else none comes back); `hide` never (the last `excludeRecent` are out).
   */
  revisits?: 'evidence' | 'hide';
  /** Whether items the shopper bought may be listed when the request does not say (`includeBought`). Default false (the contract's rule). */
  includeBoughtByDefault?: boolean;
}

/** The Recommender options an engine runs with, from its configuration (the engine and `npm run eval` share them). */
export function recommenderOptionsFrom(
  config: Pick<
    EngineConfig,
    | 'defaultK'
    | 'sessionGapSeconds'
    | 'campaignShare'
    | 'affinityBoost'
    | 'affinityHalfLifeSeconds'
    | 'diversity'
    | 'searchTextShare'
    | 'revisitMaxShare'
    | 'listBoughtItems'
  >,
): RecommenderOptions {
  const { defaultK, sessionGapSeconds, campaignShare, affinityBoost, affinityHalfLifeSeconds, diversity, searchTextShare } = config;
  return {
    ...SERVED_RANKING,
    defaultK,
    sessionGapSeconds,
    campaignShare,
    affinityBoost,
    affinityHalfLifeSeconds,
    diversity,
    searchTextShare,
    revisits: config.revisitMaxShare > 0 ? 'evidence' : 'hide',
    includeBoughtByDefault: config.listBoughtItems,
  };
}

/**
 * The ranking an engine serves (`npm run eval` measures exactly this list; its README section
 * gives the figures and what each setting moved): co-visitation seeded by the shopper's 20 newest
 * distinct items of any age, their lists summed with each older event weighing half; the
 * shopper's own vector at most half of the score; the crowd signal 0.8 from what goes with the
 * shopper's items ("sessions like yours" half of it, then what follows their newest item 0.4 of
 * the rest, co-visitation the remainder) and 0.2 from popularity.
 * The Recommender class's own defaults (3 session seeds, no cap) stay the plain blend of ranking.ts
 * for tools and tests that build one directly.
 */
export const SERVED_RANKING = Object.freeze({
  coVisitSeeds: 20,
  coVisitSeedScope: 'history',
  coVisitRecencyBy: 'event',
  ranking: Object.freeze({
    coVisitCombine: 'sum',
    maxPersonal: 0.5,
    crowdCoVisit: 0.8,
    sessionShare: 0.5,
    followShare: 0.4,
    coVisitRecency: Object.freeze(Array.from({ length: 20 }, (_, i) => Number((2 ** -i).toPrecision(3)))),
  }),
} as const satisfies Partial<RecommenderOptions>);

/** The shop's recent sessions an engine keeps ("sessions like yours"), from its configuration; undefined when off. */
export function sessionIndexFrom(config: Pick<EngineConfig, 'sessionGapSeconds' | 'sessionIndexLimit'>): SessionIndex | undefined {
  return config.sessionIndexLimit > 0
    ? new SessionIndex({ maxSessions: config.sessionIndexLimit, sessionGapMs: config.sessionGapSeconds * 1000 })
    : undefined;
}

/** The re-visit evidence an engine keeps (list-evidence.ts), from its configuration; undefined when recent items never come back. */
export function listEvidenceFrom(
  config: Pick<EngineConfig, 'sessionGapSeconds' | 'revisitMaxShare' | 'revisitMinEvidence'>,
): ListEvidence | undefined {
  if (!(config.revisitMaxShare > 0)) return undefined;
  return new ListEvidence({
    sessionGapSeconds: config.sessionGapSeconds,
    maxShare: config.revisitMaxShare,
    minEvidence: config.revisitMinEvidence,
  });
}
