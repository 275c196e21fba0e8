import { matchesAudience, type AudienceOptions } from './logic/audience.js';
import type { StoredMember } from '../members/member-store.js';
import type { UserState } from '../shoppers/user-state-store.js';
import type { CampaignRegistry } from './campaign-registry.js';
import type { CampaignBoost, CampaignBoostSource } from './logic/campaign-ranking.js';

/**
 * The running campaigns whose `offer.itemIds` a member's lists carry (up to CAMPAIGN_SHARE, see
 * Recommender): every campaign running now whose audience holds the member, newest first (the
 * registry's order), whatever its trigger. In memory: the registry's copy of the campaigns.
 */
export class CampaignBoosts implements CampaignBoostSource {
  constructor(
    private readonly registry: Pick<CampaignRegistry, 'running'>,
    /** Segment thresholds for audiences (`segmentThresholds(config)`); default the documented ones. */
    private readonly audience: AudienceOptions = {},
  ) {}

  active(now: number): boolean {
    return this.registry.running(now).some((campaign) => campaign.offer.itemIds !== undefined);
  }

  boostsFor(member: StoredMember, user: UserState, now: number): CampaignBoost[] {
    const boosts: CampaignBoost[] = [];
    for (const campaign of this.registry.running(now)) {
      const itemIds = campaign.offer.itemIds;
      if (itemIds && matchesAudience(campaign.audience, member, user, now, this.audience)) boosts.push({ name: campaign.name, itemIds });
    }
    return boosts;
  }
}
