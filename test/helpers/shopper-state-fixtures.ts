import type { StoredEvent } from '../../engine/contracts/schemas.js';
import type { ItemAttributes } from '../../engine/campaigns/logic/triggers.js';
import type { OrderStatus, StoredOrderEvent } from '../../engine/contracts/orders.js';
import { orderEventId } from '../../engine/contracts/order-keys.js';
import { orderEffect } from '../../engine/members/order-effect.js';
import { eventEffect, type EffectOptions } from '../../engine/shoppers/logic/event-effect.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';

/**
 * Shared setup of the shopper-state tests (test/unit/shopper-affinity.test.ts, shopper-cart.test.ts
 * and shopper-state.test.ts): effect options, a five-item catalog, events with fresh ids, a shop's
 * orders with their money, and replay of a sequence of them as the processor applies it.
 */

export const HALF_LIFE = 3600;
export const H = HALF_LIFE * 1000;
export const T = 1_700_000_000_000;
export const options: EffectOptions = {
  tasteHalfLifeSeconds: 3600,
  sessionGapSeconds: 1800,
  coVisitWindow: 5,
  recentLimit: 50,
  affinityHalfLifeSeconds: HALF_LIFE,
};
const catalog: Record<string, ItemAttributes> = {
  lamp: { category: 'Home > Lamps', brand: 'Lumo' },
  desk: { category: 'home/lamps/desk', brand: ' LUMO' },
  sofa: { category: 'home/sofas', brand: 'Cosy' },
  rake: { category: 'Garden/Tools' },
  shoe: { category: 'sport/shoes', brand: 'Stride' },
};
export const context = { itemAttributes: (itemId: string) => catalog[itemId] };
const unit = Float32Array.of(1, 0, 0, 0);
export const vectors = { item: () => unit, text: () => unit };
let n = 0;
export const event = (ts: number, fields: Record<string, unknown>) =>
  ({ id: `e${++n}`, userId: 'u1', ts, receivedAt: ts, ...fields }) as StoredEvent;
export const line = (itemId: string, quantity: number, price = 10) => ({ itemId, quantity, price });

/** A shop's order status with the money it moved (the points stage's `EventRun.order`). */
export type Money = { order: StoredOrderEvent; amount: number };
export const order = (ts: number, orderId: string, status: OrderStatus, amount: number): Money => ({
  order: { type: 'order', id: orderEventId(orderId, status, []), userId: 'u1', orderId, status, lines: [], ts, receivedAt: ts },
  amount,
});

/** Applies the events in order, as the processor does (each effect's `next` is the state the store would load). */
export function replay(events: Array<StoredEvent | Money>, start: UserState = emptyUserState()): UserState {
  return events.reduce(
    (state, e) =>
      'order' in e && 'amount' in e
        ? orderEffect(state, e.order, e.amount).next
        : eventEffect(state, e as StoredEvent, vectors, options, context).next,
    start,
  );
}
export const weights = (list: Array<{ key: string; weight: number }>) => Object.fromEntries(list.map(({ key, weight }) => [key, weight]));
