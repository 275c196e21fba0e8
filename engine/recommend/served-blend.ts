import type { CampaignBoostSource, CampaignCandidate } from '../campaigns/logic/campaign-ranking.js';
import type { CatalogService } from '../catalog/catalog-service.js';
import type { RecommendedItem, RecommendRequest } from '../contracts/schemas.js';
import type { StoredMember } from '../members/member-store.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { ListEvidence } from './list-evidence.js';
import type { Filter } from './list-filters.js';
import type { Candidate } from './logic/ranking.js';
import { mergeRevisits, revisitCandidates } from './logic/revisits.js';
import type { RecommenderSettings } from './recommender-settings.js';

/**
 * What joins the fresh ranking in the list a shopper is served: the items of the campaigns a
 * member is in the audience of, and the shopper's own recent items, merged by the re-visit
 * evidence (list-evidence.ts, logic/revisits.ts), which this also feeds with each default list.
 */
export class ServedBlend {
  constructor(
    private readonly catalog: CatalogService,
    /** Campaign items for members in a running campaign's audience; without it no list is boosted. */
    private readonly boosts: CampaignBoostSource | undefined,
    /** Re-visit evidence: default lists are remembered there and recent items merged by it. */
    private readonly evidence: ListEvidence | undefined,
    private readonly options: Pick<RecommenderSettings, 'revisits' | 'sessionGapSeconds'>,
  ) {}

  /** Whether a member's list may carry campaign items now (callers read the member record only then). */
  boosting(now: number): boolean {
    return this.boosts?.active(now) ?? false;
  }

  /** The items of the member's boosting campaigns that pass the list's filters, once each (first campaign names it). */
  campaignCandidates(
    member: StoredMember,
    user: UserState,
    now: number,
    filter: Filter,
    merged: Map<string, Candidate>,
  ): CampaignCandidate[] {
    if (!this.boosts?.active(now)) return [];
    const out = new Map<string, CampaignCandidate>();
    for (const { name, itemIds } of this.boosts.boostsFor(member, user, now)) {
      for (const itemId of itemIds) {
        if (out.has(itemId) || !filter(itemId)) continue;
        out.set(itemId, { ...merged.get(itemId), itemId, campaign: name });
      }
    }
    return [...out.values()];
  }

  /**
   * The fresh ranking with the shopper's own recent items merged in by evidence (logic/revisits.ts).
   * A default list (no category, channel or query) is remembered as the shopper's last fresh
   * ranking, so their next event tells where in it they went. Recent items pass the list's other
   * filters (tier, stock, bought, channel, scope, campaign picks).
   */
  withRevisits(
    fresh: RecommendedItem[],
    slots: number,
    user: UserState,
    request: RecommendRequest,
    now: number,
    scope: ReadonlySet<string> | undefined,
    picked: ReadonlySet<string> | undefined,
    userId: string | undefined,
  ): RecommendedItem[] {
    const evidence = this.evidence;
    if (!evidence || this.options.revisits !== 'evidence') return fresh;
    if (userId !== undefined && scope === undefined && request.channel === undefined)
      evidence.remember(
        userId,
        fresh.map((item) => item.itemId),
        fresh.map((item) => item.score),
      );
    if (user.recent.length === 0) return fresh;
    const recommendable = this.catalog.recommendableIds(user.tier);
    const channel = request.channel;
    const candidates = revisitCandidates(user.recent, now, this.options.sessionGapSeconds).filter(
      ({ itemId }) =>
        recommendable.has(itemId) &&
        (request.includeBought || !user.bought.has(itemId)) &&
        (scope === undefined || scope.has(itemId)) &&
        (channel === undefined || this.catalog.inChannel(itemId, channel)) &&
        !picked?.has(itemId),
    );
    return candidates.length === 0 ? fresh : mergeRevisits(fresh, candidates, slots, evidence.revisits);
  }
}
