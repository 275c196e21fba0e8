import type { CatalogService } from '../catalog/catalog-service.js';
import type { RecommendRequest } from '../contracts/schemas.js';
import type { RecentInteraction, UserState } from '../shoppers/user-state-store.js';
import { AffinitySignals } from './affinity-signals.js';
import type { Candidate, RankingContext } from './logic/ranking.js';
import { RecentReasons } from './recent-reasons.js';
import type { RecommenderSettings } from './recommender-settings.js';
import type { VectorIndex } from './vector-index.js';

/**
 * Each list's RankingContext: what scoring and the reasons read besides the candidates (the
 * shopper's strength, the query, titles and the nearest recent item for "like X you viewed",
 * which candidate sources the list has, the affinity boost of the shopper's categories and brands).
 */
export class RankingContexts {
  private readonly affinity: AffinitySignals;
  /** An item's title for the reasons, made once (not per list). */
  private readonly titleOf: (itemId: string) => string | undefined;

  constructor(
    private readonly catalog: CatalogService,
    private readonly options: Pick<RecommenderSettings, 'ranking' | 'affinityBoost' | 'affinityHalfLifeSeconds'>,
  ) {
    this.affinity = new AffinitySignals((itemId) => this.catalog.get(itemId), {
      maxBoost: options.affinityBoost,
      halfLifeSeconds: options.affinityHalfLifeSeconds,
      version: () => this.catalog.version,
    });
    this.titleOf = (itemId) => this.catalog.get(itemId)?.title;
  }

  /** The context of `user`'s list at `now` over its merged candidates; `searching`: the query found something to search with. */
  forList(
    merged: Map<string, Candidate>,
    user: UserState,
    request: RecommendRequest,
    searching: boolean,
    now: number,
    index: VectorIndex,
  ): RankingContext {
    const reasons = new RecentReasons(user.recent, index);
    let hasNeighbours = false;
    let hasComplements = false;
    let hasSessions = false;
    let hasFollows = false;
    for (const candidate of merged.values()) {
      if (candidate.follows !== undefined) hasFollows = true;
      if (candidate.neighbours !== undefined) hasNeighbours = true;
      if (candidate.complement !== undefined) hasComplements = true;
      if (candidate.sessions !== undefined) hasSessions = true;
    }
    // Built in place, no spread copies; the per-list closures come from functions returning them
    // (under tsx's keepNames a closure assigned to a name or property gets an Object.defineProperty
    // per list). forList per list: median ~11 us CPU, was ~21 (recommend-micro --items 3000
    // --users 1000, old and new alternating list by list in one process).
    const affinity = this.affinity.forList(user, now, request.category);
    const context: RankingContext = {
      strength: user.strength,
      titleOf: this.titleOf,
      nearestRecent: nearestIn(reasons),
      tuning: this.options.ranking,
      neighbours: hasNeighbours,
      complements: hasComplements,
      sessions: hasSessions,
      follows: hasFollows,
      popularIn: affinity.popularIn,
      fallbackReason: affinity.fallbackReason,
    };
    if (request.query !== undefined && searching) context.query = request.query;
    if (affinity.boostOf !== undefined) {
      context.boostOf = affinity.boostOf;
      context.maxBoost = affinity.maxBoost;
    }
    return context;
  }
}

/** The recent item of `reasons` most like an item ("like <title> you viewed"). */
function nearestIn(reasons: RecentReasons): (itemId: string) => RecentInteraction | undefined {
  return (itemId) => reasons.nearest(itemId);
}
