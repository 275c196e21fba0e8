import type { Trigger } from '../../contracts/campaigns.js';
import type { StoredEvent } from '../../contracts/schemas.js';
import type { CartTimer } from '../campaign-store.js';
import type { RecentInteraction, UserState } from '../../shoppers/user-state-store.js';
import { categoryLevels } from '../../../models/content-encoder.js';
import { touchedItems } from '../../shoppers/logic/event-effect.js';
import type { ItemAttributesOf } from '../../catalog/logic/item-attributes.js';

/**
 * When a campaign's trigger fires for one member (CONTRACT.md "Marketing", README "Triggers").
 * Pure: the caller gives the applied event, the member's state after it and the catalog's item
 * attributes, and does the I/O (offers, timers). `now` triggers are fanned out elsewhere.
 */

export type EventTrigger = Extract<Trigger, { type: 'event' }>;
export type CartAbandonedTrigger = Extract<Trigger, { type: 'cart_abandoned' }>;
export type PointsReachedTrigger = Extract<Trigger, { type: 'points_reached' }>;

export type { ItemAttributes, ItemAttributesOf } from '../../catalog/logic/item-attributes.js';

/** Normalised paths of the category strings seen: a shop has few, and every trigger check needs them. */
const categoryPaths = new Map<string, string>();
const CATEGORY_PATHS_LIMIT = 10_000;

/** A category as its full lower-cased '/'-joined path ("Home > Lamps" -> "home/lamps"); '' when empty. */
function categoryPath(category: string): string {
  let path = categoryPaths.get(category);
  if (path === undefined) {
    path = categoryLevels(category).at(-1) ?? '';
    if (categoryPaths.size >= CATEGORY_PATHS_LIMIT) categoryPaths.clear();
    categoryPaths.set(category, path);
  }
  return path;
}

/** Whether the path `held` is `target` or lies below it. */
function pathWithin(target: string, held: string): boolean {
  return target !== '' && held.startsWith(target) && (held.length === target.length || held[target.length] === '/');
}

/**
 * Whether `itemCategory` is `wanted` or lies below it ("home" matches "Home > Lamps"):
 * case-insensitive, '/' and '>' both separate levels (content-encoder's categoryLevels).
 */
export function categoryMatches(wanted: string, itemCategory: string): boolean {
  return pathWithin(categoryPath(wanted), categoryPath(itemCategory));
}

/**
 * The trigger's item criteria (itemId, category, brand: all that are given) as a test of one
 * item, normalised once; remembers each item's answer for the one evaluation it is made for.
 */
function itemMatcher(trigger: EventTrigger, attributesOf: ItemAttributesOf): (itemId: string) => boolean {
  const category = trigger.category === undefined ? undefined : categoryPath(trigger.category);
  const brand = trigger.brand?.trim().toLowerCase();
  const seen = new Map<string, boolean>();
  const test = (itemId: string): boolean => {
    if (trigger.itemId !== undefined && trigger.itemId !== itemId) return false;
    if (category === undefined && brand === undefined) return true;
    const item = attributesOf(itemId);
    if (!item) return false;
    if (category !== undefined && !pathWithin(category, categoryPath(item.category))) return false;
    return brand === undefined || brand === (item.brand ?? '').trim().toLowerCase();
  };
  return (itemId) => {
    let matched = seen.get(itemId);
    if (matched === undefined) seen.set(itemId, (matched = test(itemId)));
    return matched;
  };
}

/** Whether one item meets the trigger's item criteria (itemId, category, brand); all that are given. */
export function itemMatches(trigger: EventTrigger, itemId: string, attributesOf: ItemAttributesOf): boolean {
  return itemMatcher(trigger, attributesOf)(itemId);
}

function hasItemCriteria(trigger: EventTrigger): boolean {
  return trigger.itemId !== undefined || trigger.category !== undefined || trigger.brand !== undefined;
}

/**
 * Matching interactions of `recent` (newest first) within the trigger's window before `at`
 * (epoch ms; `at - withinSeconds` inclusive, later than `at` excluded). An event's lines sit next
 * to each other with its type and time and count once, when any of them matches.
 */
export function matchingInteractions(
  trigger: EventTrigger,
  recent: readonly RecentInteraction[],
  at: number,
  attributesOf: ItemAttributesOf,
): number {
  return countMatching(trigger, recent, at, itemMatcher(trigger, attributesOf));
}

function countMatching(
  trigger: EventTrigger,
  recent: readonly RecentInteraction[],
  at: number,
  matches: (itemId: string) => boolean,
): number {
  const from = at - trigger.withinSeconds * 1000;
  let count = 0;
  for (let i = 0; i < recent.length; ) {
    const head = recent[i]!;
    // Newest first: once past the window nothing older can count.
    if (head.ts < from) break;
    const counts = head.ts <= at && head.type === trigger.eventType;
    let matched = false;
    let end = i;
    for (; end < recent.length && recent[end]!.ts === head.ts && recent[end]!.type === head.type; end++) {
      if (counts && !matched) matched = matches(recent[end]!.itemId);
    }
    if (matched) count++;
    i = end;
  }
  return count;
}

/**
 * Whether an `event` trigger fires on `event`, given the member's recent interactions after it
 * (newest first, `event`'s own lines included): `event` is a matching one and brings the count of
 * matching interactions within `withinSeconds` to exactly `count`. The next matching one makes it
 * count + 1 and does not fire; repeats are the frequency cap's business. An event without an item
 * (a search that led nowhere) is not kept in the recent list: it fires only a `count: 1` trigger
 * that names no item criteria.
 */
export function eventTriggerFires(
  trigger: EventTrigger,
  event: StoredEvent,
  recent: readonly RecentInteraction[],
  attributesOf: ItemAttributesOf,
): boolean {
  if (event.type !== trigger.eventType) return false;
  const items = touchedItems(event);
  if (items.length === 0) return trigger.count === 1 && !hasItemCriteria(trigger);
  const matches = itemMatcher(trigger, attributesOf);
  if (!items.some(matches)) return false;
  return countMatching(trigger, recent, event.ts, matches) === trigger.count;
}

/**
 * The timer an `add_to_cart` arms (or re-arms: a later add replaces the due time and the event
 * that names the promotion), due `afterSeconds` after the event's time; undefined for other events.
 */
export function cartTimerArmedBy(trigger: CartAbandonedTrigger, campaignId: string, event: StoredEvent): CartTimer | undefined {
  if (event.type !== 'add_to_cart') return undefined;
  return { campaignId, memberId: event.userId, dueAt: event.ts + trigger.afterSeconds * 1000, eventId: event.id };
}

/**
 * Whether an event takes the member's cart timers down: a purchase (an order ends the abandoned
 * cart, whatever it bought; a cancellation, all lines negative, does not), or a change that left
 * the cart empty (`cartLines`: lines with a positive quantity after the event).
 */
export function disarmsCartTimers(event: StoredEvent, cartLines: number): boolean {
  if (event.type === 'purchase') return event.items.some((line) => line.quantity > 0);
  return (event.type === 'remove_from_cart' || event.type === 'add_to_cart') && cartLines === 0;
}

/** What the timer's condition is checked against when it is due: the member's state at that moment. */
export interface CartAtFire {
  /** Lines with a positive quantity in the cart now. */
  cartLines: number;
  /** Epoch ms of the member's last purchase (the purchase aggregates), if known. */
  lastPurchaseAt?: number;
  /** Recent interactions, newest first (a purchase among them also counts). */
  recent: readonly RecentInteraction[];
}

/** Lines with a positive quantity in the user's cart. */
export function cartLines(state: Pick<UserState, 'cart'>): number {
  let lines = 0;
  for (const quantity of state.cart.values()) if (quantity > 0) lines++;
  return lines;
}

/** What {@link cartStillAbandoned} needs of the user's state. */
export function cartAtFire(state: Pick<UserState, 'cart' | 'purchases' | 'recent'>): CartAtFire {
  return {
    cartLines: cartLines(state),
    ...(state.purchases.lastPurchaseAt > 0 ? { lastPurchaseAt: state.purchases.lastPurchaseAt } : {}),
    recent: state.recent,
  };
}

/**
 * Whether a due cart timer still means an abandoned cart: the cart is not empty and no purchase
 * happened at or after the add that armed it (`dueAt - afterSeconds`). A timer that missed its
 * disarm (a lost write, a race with the poller) is caught here.
 */
export function cartStillAbandoned(trigger: CartAbandonedTrigger, timer: CartTimer, cart: CartAtFire): boolean {
  if (cart.cartLines <= 0) return false;
  const armedAt = timer.dueAt - trigger.afterSeconds * 1000;
  if (cart.lastPurchaseAt !== undefined && cart.lastPurchaseAt >= armedAt) return false;
  return !cart.recent.some((entry) => entry.type === 'purchase' && entry.ts >= armedAt);
}

/** Whether spendable points went from below `points` to `points` or more. */
export function pointsReached(trigger: PointsReachedTrigger, before: number, after: number): boolean {
  return before < trigger.points && after >= trigger.points;
}
