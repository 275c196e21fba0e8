import type { CatalogService } from '../catalog/catalog-service.js';
import type { RecommendRequest } from '../contracts/schemas.js';
import type { UserState } from '../shoppers/user-state-store.js';
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

  constructor(
    private readonly catalog: CatalogService,
    private readonly options: Pick<RecommenderSettings, 'ranking' | 'affinityBoost' | 'affinityHalfLifeSeconds'>,
  ) {
    this.affinity = new AffinitySignals((itemId) => this.catalog.get(itemId), {
      maxBoost: options.affinityBoost,
      halfLifeSeconds: options.affinityHalfLifeSeconds,
      version: () => this.catalog.version,
    });
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
    return {
      strength: user.strength,
      ...(request.query !== undefined && searching ? { query: request.query } : {}),
      titleOf: (itemId: string) => this.catalog.get(itemId)?.title,
      nearestRecent: (itemId: string) => reasons.nearest(itemId),
      tuning: this.options.ranking,
      neighbours: hasNeighbours,
      complements: hasComplements,
      sessions: hasSessions,
      follows: hasFollows,
      ...this.affinity.forList(user, now, request.category),
    };
  }
}
