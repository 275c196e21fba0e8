import type { ActivityLevel, PriceBand, ShopperProfile } from '../../contracts/analytics.js';
import type { EventType, MemberProfile } from '../../contracts/schemas.js';
import type { RecentInteraction, UserState } from '../user-state-store.js';
import { topBrands, topCategories } from './affinity.js';
import { rfmSummary, segmentsOf, type SegmentThresholds } from './segments.js';
import { DAY_MS } from '../../analytics/logic/shop-analytics.js';

/**
 * A shopper's profile (GET /v1/users/:userId/profile) from the user state, the member record and
 * the catalog's prices, at a time `at` (pure). Assembles what exists: affinity weights
 * (affinity.ts), RFM and segments (segments.ts); adds the activity level and the price band.
 */

export interface ProfileOptions {
  thresholds: SegmentThresholds;
  affinityHalfLifeSeconds: number;
  /** Categories and brands listed. */
  top: number;
  /** Catalog price of an item (undefined: not in the catalog). */
  priceOf: (itemId: string) => number | undefined;
  /** Every catalog price, ascending (for the band's label). */
  catalogPrices: readonly number[];
}

/** Interactions that say "this is my kind of item" (a dislike or a removal does not). */
const PRICE_TYPES: ReadonlySet<EventType> = new Set(['view', 'click', 'add_to_cart', 'purchase', 'like']);

/** Events in 7 days at which the level is `high`. */
export const HIGH_ACTIVITY_EVENTS = 5;

/** What the profile reads of a member record. */
export type ProfileMember = Pick<MemberProfile, 'createdAt' | 'tier'>;

/** The profile at `at` (epoch ms); `member` is the user's record, when the user is a member. */
export function assembleProfile(
  userId: string,
  state: UserState,
  member: ProfileMember | undefined,
  at: number,
  options: ProfileOptions,
): ShopperProfile {
  const { affinity, purchases, counts } = state;
  // Impressions (cards shown) are no activity of the shopper's: left out of the events.
  const { total = 0, impression = 0, ...byType } = counts;
  const last7 = eventsWithin(state.recent, at, 7);
  const last30 = eventsWithin(state.recent, at, 30);
  const bought = purchases.orders > 0;
  return {
    userId,
    at,
    member: member ? { tier: member.tier, createdAt: member.createdAt } : null,
    categories: topCategories(affinity, at, options.affinityHalfLifeSeconds, options.top).map(({ key, weight }) => ({
      category: key,
      weight,
    })),
    brands: topBrands(affinity, at, options.affinityHalfLifeSeconds, options.top).map(({ key, weight }) => ({
      brand: key,
      weight,
      events: affinity.brandEvents.get(key) ?? 0,
    })),
    rfm: rfmSummary(state, at),
    purchases: {
      orders: purchases.orders,
      spend: purchases.spend,
      averageOrderValue: bought ? purchases.spend / purchases.orders : null,
      firstPurchaseAt: bought ? purchases.firstPurchaseAt : null,
      lastPurchaseAt: bought ? purchases.lastPurchaseAt : null,
    },
    activity: {
      level: activityLevel(state.updatedAt, last7, at),
      events: Math.max(0, total - impression),
      eventsByType: byType,
      eventsLast7Days: last7,
      eventsLast30Days: last30,
      firstSeenAt: state.firstSeenAt > 0 ? state.firstSeenAt : null,
      lastEventAt: state.updatedAt > 0 ? state.updatedAt : null,
      daysSinceLastEvent: state.updatedAt > 0 ? Math.floor(Math.max(0, at - state.updatedAt) / DAY_MS) : null,
    },
    priceBand: priceBand(state.recent, options.priceOf, options.catalogPrices),
    cart: { lines: state.cart.size, quantity: [...state.cart.values()].reduce((sum, q) => sum + q, 0) },
    segments: segmentsOf(state, member, at, options.thresholds),
  };
}

/**
 * Events among the recent interactions in the `days` up to `at` (inclusive; later ones do not
 * count). One event's lines share its time and type and count once.
 */
export function eventsWithin(recent: readonly RecentInteraction[], at: number, days: number): number {
  const from = at - days * DAY_MS;
  const events = new Set<string>();
  for (const entry of recent) if (entry.ts >= from && entry.ts <= at) events.add(`${entry.ts}:${entry.type}`);
  return events.size;
}

/**
 * `none` without any event; `dormant` when the last event is more than 30 days before `at`;
 * `high` with HIGH_ACTIVITY_EVENTS or more events in the 7 days up to `at`; `medium` with an event
 * in those 7 days (the last event counts even when the recent list no longer holds it); else `low`.
 */
export function activityLevel(lastEventAt: number, eventsLast7Days: number, at: number): ActivityLevel {
  if (lastEventAt <= 0) return 'none';
  const age = at - lastEventAt;
  if (age > 30 * DAY_MS) return 'dormant';
  if (eventsLast7Days >= HIGH_ACTIVITY_EVENTS) return 'high';
  if (eventsLast7Days > 0 || age <= 7 * DAY_MS) return 'medium';
  return 'low';
}

/**
 * The preferred price band: quartiles (nearest rank) of the catalog prices of the items of the
 * recent interactions that show interest (view, click, add to cart, purchase, like; each
 * interaction once, items no longer in the catalog skipped), and where its median sits among all
 * catalog prices (`catalogPrices`, ascending): below the 1/3 quantile `budget`, from the 2/3
 * quantile on `premium`, else `mid`. Null without such an interaction.
 */
export function priceBand(
  recent: readonly RecentInteraction[],
  priceOf: (itemId: string) => number | undefined,
  catalogPrices: readonly number[],
): PriceBand | null {
  const prices: number[] = [];
  for (const entry of recent) {
    if (!PRICE_TYPES.has(entry.type)) continue;
    const price = priceOf(entry.itemId);
    if (price !== undefined && Number.isFinite(price)) prices.push(price);
  }
  if (prices.length === 0) return null;
  prices.sort((a, b) => a - b);
  const median = nearestRank(prices, 0.5);
  let label: PriceBand['label'] = null;
  if (catalogPrices.length > 0) {
    label = median < nearestRank(catalogPrices, 1 / 3) ? 'budget' : median >= nearestRank(catalogPrices, 2 / 3) ? 'premium' : 'mid';
  }
  return { low: nearestRank(prices, 0.25), median, high: nearestRank(prices, 0.75), items: prices.length, label };
}

/** The nearest-rank `p` quantile of ascending `sorted` (non-empty): the value at rank ceil(p·n). */
export function nearestRank(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1]!;
}
