import type { LoggedEvent } from '../../contracts/schemas.js';
import type { EventCounters, SegmentRanges, ShopperSnapshot } from '../shop-analytics.js';
import type { UserState } from '../../shoppers/user-state-store.js';
import { loyalBrands, type SegmentThresholds } from '../../shoppers/logic/segments.js';

/**
 * What the shop-wide analytics index (ports/shop-analytics.ts) keeps of shoppers and events, and
 * how a segment's definition (logic/segments.ts `segmentsOf`) turns into score ranges over it (pure).
 * The index keeps raw times, so thresholds apply when reading: a segment's size at any time t is
 * a range count, with no event needed for a shopper to enter or leave `new`, `active` or `lapsing`.
 */

export const HOUR_MS = 3600 * 1000;
export const DAY_MS = 24 * HOUR_MS;

/** What the index keeps of a user state: the inputs of every segment, as of `state.version`. */
export function shopperSnapshot(
  state: UserState,
  thresholds: Pick<SegmentThresholds, 'brandLoyalShare' | 'brandLoyalMinEvents'>,
): ShopperSnapshot {
  const { orders, spend, lastPurchaseAt } = state.purchases;
  return {
    version: state.version,
    lastEventAt: state.updatedAt,
    firstSeenAt: state.firstSeenAt,
    orders,
    spend,
    lastPurchaseAt,
    loyalBrands: loyalBrands(state.affinity, thresholds),
    tier: state.tier,
  };
}

/**
 * What one shopper event adds to the shop's counters: its type, never money (a browser's purchase
 * is a behaviour signal; revenue comes from the shop's orders, counted by the analytics stage from
 * what each order moved). Undefined for a merge (its events were counted when they happened) and
 * for an order.
 */
export function eventCounters(event: LoggedEvent): EventCounters | undefined {
  if (event.type === 'merge' || event.type === 'order') return undefined;
  return { type: event.type, ts: event.ts, total: 0 };
}

/**
 * The score ranges of the built-in segments at `at` (epoch ms), equal to `segmentsOf` for every
 * shopper (test/unit/shop-analytics-logic.test.ts checks it on random shoppers):
 * - `new`: earliest of first event and member creation later than `at - newDays` (exclusive);
 * - `active`: last event at or after `at - activeDays`;
 * - `lapsing`: last purchase in `[at - lapsingMaxDays, at - lapsingMinDays]` (shoppers with orders);
 * - `big_spender`: net spend at least `bigSpender` (shoppers with orders).
 * A shopper whose times lie after `at` counts as `segmentsOf` counts them: `at` evaluates the
 * stored (latest) times, it does not replay the past.
 */
export function segmentRanges(at: number, thresholds: SegmentThresholds): SegmentRanges {
  return {
    newAfter: at - thresholds.newDays * DAY_MS,
    activeFrom: at - thresholds.activeDays * DAY_MS,
    lapsingFrom: at - thresholds.lapsingMaxDays * DAY_MS,
    lapsingTo: at - thresholds.lapsingMinDays * DAY_MS,
    bigSpenderFrom: thresholds.bigSpender,
  };
}

/** Hour bucket of an epoch-ms time (hours since 1970, UTC). */
export function hourOf(ts: number): number {
  return Math.floor(ts / HOUR_MS);
}

/** Day bucket of an epoch-ms time (UTC days since 1970). */
export function dayOf(ts: number): number {
  return Math.floor(ts / DAY_MS);
}

/** The `count` buckets ending with `last`, oldest first. */
export function bucketsEndingAt(last: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => last - count + 1 + i);
}
