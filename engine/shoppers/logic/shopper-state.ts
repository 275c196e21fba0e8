import type { StoredEvent, StoredInteractionEvent } from '../../contracts/schemas.js';
import type { PurchaseAggregates, UserState, UserStateChange } from '../user-state-store.js';
import { CART_LIMIT } from './state-limits.js';
import { affinityAfter, affinityAfterItem, affinityGain, emptyAffinity, mergedAffinity } from './affinity.js';
import { tasteWeight } from './event-weights.js';
import type { ItemAttributes, ItemAttributesOf } from '../../catalog/logic/item-attributes.js';

/**
 * The shopper part of the user state that campaigns and segments read (pure): affinity
 * (affinity.ts), the cart, purchase aggregates and the first-seen time. A change carries the new
 * value of each part that moved; the store writes it in the same atomic step as the rest of the
 * event, so it counts once.
 */

export type ShopperState = Pick<UserState, 'affinity' | 'cart' | 'purchases' | 'firstSeenAt'>;
export type ShopperChange = Pick<UserStateChange, 'affinity' | 'cart' | 'purchases' | 'firstSeenAt'>;

/** Largest quantity of one cart line. */
export const CART_MAX_QUANTITY = 1_000_000;

export function emptyPurchases(): PurchaseAggregates {
  return { orders: 0, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 };
}

export function emptyShopperState(): ShopperState {
  return { affinity: emptyAffinity(), cart: new Map(), purchases: emptyPurchases(), firstSeenAt: 0 };
}

/**
 * What one event does to the shopper state. `items` are the event's touched items
 * (event-effect.ts `touchedItems`), `attributesOf` the catalog (without it no affinity is learned).
 */
export function shopperEffect(
  state: ShopperState,
  event: StoredInteractionEvent,
  items: readonly string[],
  attributesOf: ItemAttributesOf | undefined,
  affinityHalfLifeSeconds: number,
): ShopperChange {
  const change: ShopperChange = {};
  if (attributesOf && items.length === 1) {
    // One item (most events): no gain maps (affinityAfterItem equals the general path below).
    const affinity = affinityAfterItem(state.affinity, attributesOf(items[0]!), tasteWeight[event.type], event.ts, affinityHalfLifeSeconds);
    if (affinity) change.affinity = affinity;
  } else if (attributesOf && items.length > 0) {
    const weight = tasteWeight[event.type];
    const lineWeight = items.length > 1 ? weight / Math.sqrt(items.length) : weight;
    const lines = new Array<[ItemAttributes | undefined, number]>(items.length);
    for (let i = 0; i < items.length; i++) lines[i] = [attributesOf(items[i]!), lineWeight];
    const gain = affinityGain(lines);
    const affinity = affinityAfter(state.affinity, gain, event.ts, affinityHalfLifeSeconds);
    if (affinity) change.affinity = affinity;
  }
  const cart = cartAfter(state.cart, event);
  if (cart) change.cart = cart;
  // Purchase aggregates (lifetime value) move with the shop's orders only (engine/members/order-effect.ts), never a browser's purchase.
  if (state.firstSeenAt === 0 || event.ts < state.firstSeenAt) change.firstSeenAt = event.ts;
  return change;
}

/**
 * The cart after an event, or undefined when it is unchanged: `add_to_cart` adds its `items` lines
 * (positive quantities), or its itemId once; `remove_from_cart` takes its lines' quantities off,
 * or without lines removes its itemId; a purchase removes every line it bought (positive
 * quantity). A cancellation puts nothing back. New items beyond CART_LIMIT lines are ignored.
 */
export function cartAfter(cart: ReadonlyMap<string, number>, event: StoredEvent): Map<string, number> | undefined {
  if (event.type !== 'add_to_cart' && event.type !== 'remove_from_cart' && event.type !== 'purchase') return undefined;
  const edit = new CartEdit(cart);
  if (event.type === 'add_to_cart') {
    if (event.items?.length) for (const line of event.items) edit.add(line.itemId, line.quantity);
    else edit.add(event.itemId, 1);
  } else if (event.type === 'remove_from_cart') {
    if (event.items?.length) for (const line of event.items) edit.remove(line.itemId, line.quantity);
    else edit.remove(event.itemId, Infinity);
  } else {
    for (const line of event.items) if (line.quantity > 0) edit.set(line.itemId, 0);
  }
  return edit.changed;
}

/**
 * The cart being edited by one event: copied on its first change only (most cart events of a
 * batch change it, but an add beyond CART_LIMIT, a removal of an absent item or a purchase of
 * items not in the cart leave it, and then no copy is made). The copy keeps the cart's order, as
 * `new Map(cart)` then the same sets and deletes would.
 */
class CartEdit {
  /** The new cart once something changed. */
  changed: Map<string, number> | undefined;

  constructor(private readonly cart: ReadonlyMap<string, number>) {}

  private quantity(itemId: string): number {
    return (this.changed ?? this.cart).get(itemId) ?? 0;
  }

  add(itemId: string, quantity: number): void {
    const had = this.quantity(itemId);
    if (quantity > 0 && (had > 0 || (this.changed ?? this.cart).size < CART_LIMIT))
      this.set(itemId, Math.min(CART_MAX_QUANTITY, had + quantity));
  }

  remove(itemId: string, quantity: number): void {
    if (quantity > 0) this.set(itemId, Math.max(0, this.quantity(itemId) - quantity));
  }

  set(itemId: string, quantity: number): void {
    if (quantity === this.quantity(itemId)) return;
    this.changed ??= new Map(this.cart);
    if (quantity > 0) this.changed.set(itemId, quantity);
    else this.changed.delete(itemId);
  }
}

/**
 * What merging a visitor into a member does to the member's shopper state: the visitor's
 * affinity folds in (affinity.ts `mergedAffinity`), cart quantities add up (within CART_LIMIT
 * lines), purchase aggregates add up, and the first-seen time is the earlier one.
 */
export function shopperMerge(member: ShopperState, visitor: ShopperState, affinityHalfLifeSeconds: number): ShopperChange {
  const change: ShopperChange = {};
  const affinity = mergedAffinity(member.affinity, visitor.affinity, affinityHalfLifeSeconds);
  if (affinity) change.affinity = affinity;
  if (visitor.cart.size > 0) {
    const cart = new Map(member.cart);
    for (const [itemId, quantity] of visitor.cart) {
      const had = cart.get(itemId) ?? 0;
      if (had > 0 || cart.size < CART_LIMIT) cart.set(itemId, Math.min(CART_MAX_QUANTITY, had + quantity));
    }
    change.cart = cart;
  }
  const [m, v] = [member.purchases, visitor.purchases];
  if (v.orders > 0 || v.spend !== 0) {
    change.purchases = {
      orders: m.orders + v.orders,
      spend: m.spend + v.spend,
      firstPurchaseAt: earliest(m.firstPurchaseAt, v.firstPurchaseAt),
      lastPurchaseAt: Math.max(m.lastPurchaseAt, v.lastPurchaseAt),
    };
  }
  const firstSeenAt = earliest(member.firstSeenAt, visitor.firstSeenAt);
  if (firstSeenAt !== member.firstSeenAt) change.firstSeenAt = firstSeenAt;
  return change;
}

/** The earlier of two epoch-ms times where 0 means "none". */
function earliest(a: number, b: number): number {
  return a === 0 ? b : b === 0 ? a : Math.min(a, b);
}

/** `state` with `change` applied, as every UserStateStore applies it: each part given replaces the stored one. */
export function applyShopperChange(state: ShopperState, change: ShopperChange): ShopperState {
  return {
    affinity: change.affinity ?? state.affinity,
    cart: change.cart ?? state.cart,
    purchases: change.purchases ?? state.purchases,
    firstSeenAt: change.firstSeenAt ?? state.firstSeenAt,
  };
}
