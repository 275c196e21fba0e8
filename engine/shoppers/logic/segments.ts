import type { MemberProfile } from '../../contracts/schemas.js';
import type { RfmScore, RfmSummary, SegmentThresholds } from '../../contracts/segments.js';
import type { Affinity, UserState } from '../user-state-store.js';
import { brandKey } from './affinity.js';

export type { RfmScore, RfmSummary, SegmentThresholds };

/**
 * Built-in shopper segments and the RFM summary (pure), from the user state, the member record
 * (when the user is a member) and the time. Segment names (contracts/campaigns.ts SEGMENT_NAMES):
 * - `new`: member created, or first seen, less than `newDays` ago (the earlier of the two counts);
 * - `active`: an event within the last `activeDays`;
 * - `lapsing`: bought before, and the last purchase is `lapsingMinDays` to `lapsingMaxDays` ago;
 * - `big_spender`: bought before, and net spend (orders minus cancellations) >= `bigSpender`;
 * - `brand_loyal:<brand>`: the brand holds >= `brandLoyalShare` of the positive brand affinity,
 *   with at least `brandLoyalMinEvents` events that touched it. The brand as scored: lower-cased.
 */

/** The defaults of the SEGMENT_* variables (engine/config.ts). */
export const DEFAULT_SEGMENT_THRESHOLDS: Readonly<SegmentThresholds> = Object.freeze({
  newDays: 30,
  activeDays: 7,
  lapsingMinDays: 60,
  lapsingMaxDays: 365,
  bigSpender: 1000,
  brandLoyalShare: 0.5,
  brandLoyalMinEvents: 3,
});

/** What segments read of a member record. */
export type SegmentMember = Pick<MemberProfile, 'createdAt'>;
/** What segments read of the user state. */
export type SegmentState = Pick<UserState, 'updatedAt' | 'affinity' | 'purchases' | 'firstSeenAt'>;

export const BRAND_LOYAL_PREFIX = 'brand_loyal:';
const DAY_MS = 24 * 3600 * 1000;

/** Every segment the user is in at `now` (epoch ms), built-in ones first, then `brand_loyal:<brand>`. */
export function segmentsOf(
  state: SegmentState,
  member: SegmentMember | undefined,
  now: number,
  thresholds: SegmentThresholds = DEFAULT_SEGMENT_THRESHOLDS,
): string[] {
  const segments = (['new', 'active', 'lapsing', 'big_spender'] as const).filter((name) => BUILT_IN[name](state, member, now, thresholds));
  return [...segments, ...loyalBrands(state.affinity, thresholds).map((brand) => BRAND_LOYAL_PREFIX + brand)];
}

/** Whether the user is in `segment` (a `brand_loyal:` brand compares case-insensitively); false for an unknown name. */
export function inSegment(
  segment: string,
  state: SegmentState,
  member: SegmentMember | undefined,
  now: number,
  thresholds: SegmentThresholds = DEFAULT_SEGMENT_THRESHOLDS,
): boolean {
  if (segment.startsWith(BRAND_LOYAL_PREFIX))
    return loyalBrands(state.affinity, thresholds).includes(brandKey(segment.slice(BRAND_LOYAL_PREFIX.length)));
  return isBuiltIn(segment) && BUILT_IN[segment](state, member, now, thresholds);
}

function isBuiltIn(name: string): name is keyof typeof BUILT_IN {
  return Object.hasOwn(BUILT_IN, name);
}

type SegmentTest = (state: SegmentState, member: SegmentMember | undefined, now: number, thresholds: SegmentThresholds) => boolean;

const BUILT_IN: Record<'new' | 'active' | 'lapsing' | 'big_spender', SegmentTest> = {
  new: (state, member, now, { newDays }) => {
    const known = [member?.createdAt, state.firstSeenAt > 0 ? state.firstSeenAt : undefined].filter((t): t is number => t !== undefined);
    return known.length > 0 && now - Math.min(...known) < newDays * DAY_MS;
  },
  active: (state, _member, now, { activeDays }) => state.updatedAt > 0 && now - state.updatedAt <= activeDays * DAY_MS,
  lapsing: ({ purchases }, _member, now, { lapsingMinDays, lapsingMaxDays }) => {
    const age = now - purchases.lastPurchaseAt;
    return purchases.orders > 0 && age >= lapsingMinDays * DAY_MS && age <= lapsingMaxDays * DAY_MS;
  },
  big_spender: ({ purchases }, _member, _now, { bigSpender }) => purchases.orders > 0 && purchases.spend >= bigSpender,
};

/**
 * Brands the shopper is loyal to: each holding at least `brandLoyalShare` of the sum of the
 * positive brand scores (a share, so decay does not change it), with at least
 * `brandLoyalMinEvents` events. At most one above a share of 0.5; sorted.
 */
export function loyalBrands(affinity: Affinity, thresholds: Pick<SegmentThresholds, 'brandLoyalShare' | 'brandLoyalMinEvents'>): string[] {
  let total = 0;
  for (const score of affinity.brands.values()) if (score > 0) total += score;
  if (total <= 0) return [];
  const loyal: string[] = [];
  for (const [brand, score] of affinity.brands) {
    if (
      score > 0 &&
      score / total >= thresholds.brandLoyalShare &&
      (affinity.brandEvents.get(brand) ?? 0) >= thresholds.brandLoyalMinEvents
    )
      loyal.push(brand);
  }
  return loyal.sort();
}

/**
 * Fixed score bands (not relative to other shoppers, so a score needs no scan of the shop):
 * recency: last purchase at most 30 / 90 / 180 / 365 days ago scores 5 / 4 / 3 / 2, older or never 1;
 * frequency: at least 20 / 10 / 5 / 2 orders score 5 / 4 / 3 / 2, else 1;
 * monetary: net spend at least 5000 / 1000 / 500 / 100 scores 5 / 4 / 3 / 2, else 1.
 */
export const RFM_BANDS = Object.freeze({
  recencyDays: [30, 90, 180, 365] as const,
  frequency: [20, 10, 5, 2] as const,
  monetary: [5000, 1000, 500, 100] as const,
});

/** The RFM summary at `now` (epoch ms). */
export function rfmSummary(state: Pick<UserState, 'purchases'>, now: number): RfmSummary {
  const { orders, spend, lastPurchaseAt } = state.purchases;
  const bought = orders > 0 && lastPurchaseAt > 0;
  const ageMs = Math.max(0, now - lastPurchaseAt);
  const recencyBand = bought ? RFM_BANDS.recencyDays.findIndex((days) => ageMs <= days * DAY_MS) : -1;
  return {
    recencyDays: bought ? Math.floor(ageMs / DAY_MS) : null,
    frequency: orders,
    monetary: spend,
    scores: {
      recency: bandScore(recencyBand),
      frequency: bandScore(RFM_BANDS.frequency.findIndex((least) => orders >= least)),
      monetary: bandScore(RFM_BANDS.monetary.findIndex((least) => spend >= least)),
    },
  };
}

/** Band index 0..3 (best first) -> 5..2; not in any band (-1) -> 1. */
function bandScore(index: number): RfmScore {
  return (index < 0 ? 1 : 5 - index) as RfmScore;
}
