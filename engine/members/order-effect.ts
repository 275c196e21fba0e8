import type { StoredOrderEvent } from '../contracts/orders.js';
import type { Tier } from '../contracts/schemas.js';
import { highestTier } from './logic/tiers.js';
import { orderTotal } from './logic/points.js';
import type { PurchaseAggregates, UserState, UserStateChange } from '../shoppers/user-state-store.js';

/**
 * What an order status does to its user's state (pure): only the purchase aggregates (lifetime
 * value: orders, net spend, first and last order) move; taste, recent items, the bought list and
 * the cart are the browser's events' business. `amount` is the money the status moved (the points
 * stage's `EventRun.order`): + a paid total, - what a return or cancellation took back. The
 * stored change counts as type `order`; `updatedAt` stays (it times the taste's decay, which an
 * order does not touch). `recordTier`, the member record's tier after the order's points, is
 * stored when higher (pushes and lists rank for it at once). Cost: a few allocations.
 */
export function orderEffect(
  state: UserState,
  event: StoredOrderEvent,
  amount: number,
  recordTier?: Tier,
): { change: UserStateChange; next: UserState } {
  const purchases = purchasesAfterOrder(state.purchases, event, amount);
  const change: UserStateChange = {
    eventId: event.id,
    expectedVersion: state.version,
    type: 'order',
    strength: state.strength,
    updatedAt: state.updatedAt,
    recent: [],
    bought: [],
  };
  const tier = highestTier(state.tier, recordTier);
  if (tier !== state.tier) change.tier = tier;
  if (purchases) change.purchases = purchases;
  const counts = { ...state.counts, order: (state.counts.order ?? 0) + 1, total: (state.counts.total ?? 0) + 1 };
  const next: UserState = { ...state, purchases: purchases ?? state.purchases, version: state.version + 1, counts, tier };
  return { change, next };
}

/**
 * The money of an order event when no points stage said it (replay tools without a member store):
 * a paid total, minus a return's lines; a cancellation's remainder is unknown there (0).
 */
export function orderAmountFromLines(event: StoredOrderEvent): number {
  if (event.status === 'paid') return orderTotal(event.lines);
  if (event.status === 'returned') return -orderTotal(event.lines);
  return 0;
}

/** The aggregates after an order status; undefined when nothing changes. A paid order with a positive total counts as an order. */
export function purchasesAfterOrder(
  purchases: PurchaseAggregates,
  event: StoredOrderEvent,
  amount: number,
): PurchaseAggregates | undefined {
  if (amount === 0 || !Number.isFinite(amount)) return undefined;
  if (event.status !== 'paid' || amount < 0) return { ...purchases, spend: purchases.spend + amount };
  return {
    orders: purchases.orders + 1,
    spend: purchases.spend + amount,
    firstPurchaseAt: purchases.firstPurchaseAt === 0 ? event.ts : Math.min(purchases.firstPurchaseAt, event.ts),
    lastPurchaseAt: Math.max(purchases.lastPurchaseAt, event.ts),
  };
}
