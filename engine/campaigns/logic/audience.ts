import type { Audience } from '../../contracts/campaigns.js';
import type { MemberProfile } from '../../contracts/schemas.js';
import type { UserState } from '../../shoppers/user-state-store.js';
import { brandKey, strongestKeys } from '../../shoppers/logic/affinity.js';
import { DEFAULT_SEGMENT_THRESHOLDS, inSegment, type SegmentThresholds } from '../../shoppers/logic/segments.js';
import { highestTier } from '../../members/logic/tiers.js';
import { categoryMatches } from './triggers.js';

/** How many of a member's strongest brands and categories an audience's lists are compared with. */
export const AUDIENCE_TOP_AFFINITIES = 3;

export interface AudienceOptions {
  /** Segment thresholds (engine config SEGMENT_*, `segmentThresholds(config)`); default the documented defaults. */
  segments?: SegmentThresholds;
  /** Strongest brands / categories compared; default {@link AUDIENCE_TOP_AFFINITIES}. */
  top?: number;
}

/** What an audience reads of the member record. */
export type AudienceMember = Pick<MemberProfile, 'tier' | 'points' | 'createdAt'>;
/** What an audience reads of the user state. */
export type AudienceState = Pick<UserState, 'tier' | 'updatedAt' | 'affinity' | 'purchases' | 'firstSeenAt'>;

/**
 * Whether a member is in a campaign's audience at `now` (epoch ms): every given criterion holds.
 * - `tiers`: includes the member's tier (the highest of the record's and the state's, as lists use);
 * - `brands`: any listed brand (case-insensitive) is among the member's `top` strongest brands
 *   with a positive score;
 * - `categories`: any listed category, or a category below it, is among the `top` strongest
 *   categories (category levels count one each; '/' and '>' separate levels, case-insensitive);
 * - `minPoints`: spendable points >= minPoints;
 * - `segment`: the member is in it (segments.ts).
 * The order of affinities is the same at every time (forward decay), so no half-life is needed. Pure.
 */
export function matchesAudience(
  audience: Audience,
  member: AudienceMember,
  state: AudienceState,
  now: number,
  options: AudienceOptions = {},
): boolean {
  const top = options.top ?? AUDIENCE_TOP_AFFINITIES;
  if (audience.tiers && !audience.tiers.includes(highestTier(member.tier, state.tier))) return false;
  if (audience.minPoints !== undefined && member.points < audience.minPoints) return false;
  if (audience.brands) {
    const strongest = new Set(strongestKeys(state.affinity.brands, top));
    if (!audience.brands.some((brand) => strongest.has(brandKey(brand)))) return false;
  }
  if (audience.categories) {
    const strongest = strongestKeys(state.affinity.categories, top);
    if (!audience.categories.some((category) => strongest.some((held) => categoryMatches(category, held)))) return false;
  }
  if (audience.segment !== undefined && !inSegment(audience.segment, state, member, now, options.segments ?? DEFAULT_SEGMENT_THRESHOLDS))
    return false;
  return true;
}
