import type { RecommendedItem } from '../../contracts/schemas.js';
import type { StoredMember } from '../../members/member-store.js';
import type { UserState } from '../../shoppers/user-state-store.js';
import { contextWeights, scoreOf, type Candidate, type RankingContext } from '../../recommend/logic/ranking.js';

/**
 * Campaign items in a member's list (pure): a running campaign's items, for a member in its
 * audience, take at most floor(k * share) places; the ones most like the shopper's taste are
 * picked, scored with the same blend as the organic ones (ranking.ts) and placed by score among
 * them, reason `campaign <name>`.
 */

/** List slots campaign items may take in a list of `k`: floor(k * share), share in [0, 1]. */
export function campaignSlots(k: number, share: number): number {
  // The epsilon keeps 0.2 * 10 at 2 despite floating point (0.1 * 3 = 0.30000000000000004 is fine either way).
  return Math.max(0, Math.min(k, Math.floor(k * share + 1e-9)));
}

/** A campaign's item as a candidate for the boosted share of a list. */
export interface CampaignCandidate extends Candidate {
  /** The campaign's name, for the reason `campaign <name>`. */
  campaign: string;
}

/**
 * The campaign items that take the boosted share of a list: at most `slots`, the ones most like
 * the shopper's taste first (similarity, then itemId), each scored with the same blend as the rest
 * and with the reason `campaign <name>`.
 */
export function campaignPicks(
  candidates: Iterable<CampaignCandidate>,
  slots: number,
  context: Pick<RankingContext, 'strength' | 'query' | 'tuning' | 'neighbours' | 'complements' | 'boostOf'>,
): RecommendedItem[] {
  // Most lists have no campaign slot or no campaign item: nothing to sort.
  if (!(slots > 0)) return [];
  const ordered = [...candidates];
  if (ordered.length === 0) return [];
  const weights = contextWeights(context);
  ordered.sort((a, b) => similarityOf(b) - similarityOf(a) || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
  return ordered.slice(0, slots).map((candidate) => ({
    itemId: candidate.itemId,
    score: scoreOf(candidate, weights, context),
    reason: `campaign ${candidate.campaign}`,
  }));
}

/** A candidate's similarity for ordering picks; -2 (below any cosine) when it has none. */
function similarityOf(candidate: Candidate): number {
  return Number.isFinite(candidate.similarity) ? candidate.similarity! : -2;
}

/**
 * One list of `k` from the organic ranking (best first) and the campaign picks: every pick (the
 * caller keeps them to their share), then organic items that are not picks up to `k`. The picks
 * are placed by score (ties by itemId) among the organic items, whose own order is kept.
 */
export function withCampaignItems(organic: readonly RecommendedItem[], picks: readonly RecommendedItem[], k: number): RecommendedItem[] {
  if (picks.length === 0) return organic.slice(0, k);
  const picked = new Set(picks.map((item) => item.itemId));
  const rest = organic.filter((item) => !picked.has(item.itemId)).slice(0, Math.max(0, k - picks.length));
  const placed = [...picks].sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0)).slice(0, k);
  const out: RecommendedItem[] = [];
  let r = 0;
  for (const pick of placed) {
    while (r < rest.length && (rest[r]!.score > pick.score || (rest[r]!.score === pick.score && rest[r]!.itemId < pick.itemId)))
      out.push(rest[r++]!);
    out.push(pick);
  }
  return out.concat(rest.slice(r));
}

/** A running campaign whose items a member's lists may carry. */
export interface CampaignBoost {
  name: string;
  itemIds: readonly string[];
}

/** Where the recommender learns which campaigns boost a member's list (engine/campaigns/campaign-boosts.ts implements it). */
export interface CampaignBoostSource {
  /** Whether any running campaign offers items; in memory, so callers read a member record only then. */
  active(now: number): boolean;
  /** The running campaigns with items whose audience holds the member now, in a stable order. */
  boostsFor(member: StoredMember, user: UserState, now: number): CampaignBoost[];
}
