import type { StoredEvent, StoredImpressionEvent, StoredInteractionEvent, Tier } from '../../contracts/schemas.js';
import type { InteractionUpdate } from '../../recommend/interaction-stats.js';
import type { RecentInteraction, UserState, UserStateChange } from '../user-state-store.js';
import { DEFAULT_AFFINITY_HALF_LIFE_SECONDS } from './affinity.js';
import { popularityWeight, tasteWeight } from './event-weights.js';
import { DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS, purchaseRelations } from '../../recommend/logic/complements.js';
import { shopperEffect, type ShopperChange } from './shopper-state.js';
import { searchFold } from '../../catalog/logic/search-relevance.js';
import { isStaleTaste, rederivedState, type VectorLookup } from './taste-space.js';
import { highestTier } from '../../members/logic/tiers.js';
import type { ItemAttributesOf } from '../../catalog/logic/item-attributes.js';
import { foldInMany, type WeightedVector } from './user-vector.js';
import { isUsableVector } from '../../recommend/logic/vector-math.js';

export { foldRecent, inSpaceOf, isStaleTaste, rederiveTaste, type VectorLookup } from './taste-space.js';

export interface EffectOptions {
  /** Half-life of the user's past taste, seconds. */
  tasteHalfLifeSeconds: number;
  /** Interactions closer than this (seconds) are one session for co-visitation. */
  sessionGapSeconds: number;
  /** How many recent items of the session pair with a new one. */
  coVisitWindow: number;
  recentLimit: number;
  /** Half-life of brand and category affinity, seconds; default 14 days (AFFINITY_HALF_LIFE_SECONDS). */
  affinityHalfLifeSeconds?: number;
  /** A purchase within this many seconds after an earlier one counts as bought after it; default 30 days (BOUGHT_AFTER_WINDOW_SECONDS). */
  boughtAfterWindowSeconds?: number;
}

/** What an event's effect reads besides the state and the vectors. */
export interface EffectContext {
  /** The member record's tier after this event's points (purchases of members). */
  recordTier?: Tier;
  /** The catalog's category and brand of an item; without it no affinity is learned. */
  itemAttributes?: ItemAttributesOf;
}

export interface EventEffect {
  change: UserStateChange;
  /** The shop-wide update (popularity, co-visitation, ...); an impression's is empty. */
  stats: InteractionUpdate;
  /** The user's state as it is once `change` is applied (for ranking without a reload). */
  next: UserState;
}

/**
 * Item ids an event touches, in order, without repeats; purchases list only positive quantities.
 * None for an impression: cards shown are not touched.
 */
export function touchedItems(event: StoredEvent): string[] {
  if (event.type === 'impression') return [];
  // One item (most events): an array of one, not an empty one grown by push (V8 gives that room
  // for 16 ids: ~0.15 KB of garbage per event). ~0.02 us.
  if (!('items' in event && event.items)) return event.itemId ? [event.itemId] : [];
  const ids: string[] = [];
  if ('items' in event && event.items) {
    for (const line of event.items) if (event.type !== 'purchase' || line.quantity > 0) ids.push(line.itemId);
  }
  if (event.itemId) ids.push(event.itemId);
  // Most events touch one item: no Set to build then.
  return ids.length < 2 ? ids : [...new Set(ids)];
}

/** Lines of one event that take part in co-visitation pairs (at most 435 pairs among them). */
export const BASKET_PAIR_LIMIT = 30;

/** Event types that say "these belong together" for co-visitation. */
const PAIRING_TYPES = new Set(['view', 'click', 'like', 'add_to_cart', 'purchase']);

/**
 * What one event does to a user's state and to the shop-wide aggregates. Pure: the caller stores
 * `change` (atomically, deduped by event id) and `stats` (idempotent by event key).
 *
 * The stored tier only rises: the highest of the stored one, the sender's token tier (`event.tier`)
 * and `context.recordTier`, the member record's tier after this event's points (purchases of
 * members), so an event sent with a token minted before an upgrade never lowers it.
 *
 * The shopper state (affinity from `context.itemAttributes`, cart, purchase aggregates, first
 * seen) moves in the same change: see shopper-state.ts.
 *
 * An impression moves none of it: see {@link impressionEffect}.
 */
export function eventEffect(
  loaded: UserState,
  event: StoredEvent,
  vectors: VectorLookup,
  options: EffectOptions,
  context: EffectContext = {},
): EventEffect {
  return event.type === 'impression' ? impressionEffect(loaded, event) : interactionEffect(loaded, event, vectors, options, context);
}

/**
 * What an impression (cards shown, not acted on) does: it is stored once (its marker, so the
 * shop's impression counters count it once; `counts.impression` and the version move) and changes
 * nothing else: no taste, recent items, bought items, cart, affinity, tier, last-event or
 * first-seen time (so no segment: `active` and `new` read those), and an empty shop-wide update
 * (no popularity, no co-visitation). A taste of another model's space is left for the next
 * interaction to re-derive. Cost: one counts copy.
 */
export function impressionEffect(state: UserState, event: StoredImpressionEvent): EventEffect {
  const change: UserStateChange = {
    eventId: event.id,
    expectedVersion: state.version,
    type: 'impression',
    strength: state.strength,
    updatedAt: state.updatedAt,
    recent: [],
    bought: [],
  };
  const next: UserState = { ...state, version: state.version + 1, counts: countedOnce(state.counts, 'impression') };
  return { change, stats: { items: [], pairs: [], ts: event.ts }, next };
}

function interactionEffect(
  loaded: UserState,
  event: StoredInteractionEvent,
  vectors: VectorLookup,
  options: EffectOptions,
  context: EffectContext,
): EventEffect {
  // A taste from another model's space is re-made from the recent history first; it is stored
  // with this event even when the event itself moves nothing (a view of an item not indexed).
  const stale = isStaleTaste(loaded, vectors);
  const state = stale ? rederivedState(loaded, vectors, options.tasteHalfLifeSeconds) : loaded;
  const items = touchedItems(event);
  const weight = tasteWeight[event.type];

  // The past decays once per event, then every vector the event touched is added. A basket of n
  // lines shares the event's weight as weight/sqrt(n): a big order says more than one item, but
  // not n times more, and must not saturate the taste at once.
  const lineWeight = items.length > 1 ? weight / Math.sqrt(items.length) : weight;
  let touched: WeightedVector[];
  if (event.type !== 'search' && items.length === 1) {
    // One item (most events): an array of one, not one grown by push (room for 16: ~0.15 KB).
    const vector = vectors.item(items[0]!);
    touched = vector ? [{ vector, weight: lineWeight }] : [];
  } else {
    touched = event.type === 'search' ? searchVectors(event.query, vectors, weight) : [];
    for (const itemId of items) {
      const vector = vectors.item(itemId);
      if (vector) touched.push({ vector, weight: lineWeight });
    }
  }
  const taste = touched.length > 0 ? foldInMany(state, touched, event.ts, options.tasteHalfLifeSeconds) : undefined;

  const recent: RecentInteraction[] = new Array<RecentInteraction>(items.length);
  for (let i = 0; i < items.length; i++) recent[i] = { itemId: items[i]!, type: event.type, ts: event.ts };
  const bought = event.type === 'purchase' ? items : [];
  const tier = highestTier(state.tier, event.tier, context.recordTier);
  const shopper = shopperEffect(
    state,
    event,
    items,
    context.itemAttributes,
    options.affinityHalfLifeSeconds ?? DEFAULT_AFFINITY_HALF_LIFE_SECONDS,
  );
  const vector = taste?.vector ?? (stale ? (state.vector ?? undefined) : undefined);
  const vectorVersion = vector ? vectors.version : undefined;
  const strength = taste?.strength ?? state.strength;
  const updatedAt = Math.max(state.updatedAt, event.ts);
  const change = effectChange(
    event,
    state.version,
    vector,
    vectorVersion,
    strength,
    updatedAt,
    recent,
    bought,
    tier !== state.tier ? tier : undefined,
    shopper,
  );

  // Built property by property (no spreads of optional parts): the same keys, in the same order,
  // as `{ ...applyShopperChange(state, shopper), vector, vectorVersion?, strength, ... }`.
  const next = {
    affinity: shopper.affinity ?? state.affinity,
    cart: shopper.cart ?? state.cart,
    purchases: shopper.purchases ?? state.purchases,
    firstSeenAt: shopper.firstSeenAt ?? state.firstSeenAt,
    vector: vector ?? state.vector,
  } as UserState;
  const nextVectorVersion = vectorVersion ?? state.vectorVersion;
  if (nextVectorVersion !== undefined) next.vectorVersion = nextVectorVersion;
  next.strength = strength;
  next.updatedAt = updatedAt;
  next.version = state.version + 1;
  next.recent = prependRecent(recent, state.recent, options.recentLimit);
  next.bought = bought.length > 0 ? withBought(state.bought, bought) : state.bought;
  next.counts = countedOnce(state.counts, event.type);
  next.tier = tier;

  return { change, stats: statsUpdate(state, event, items, options), next };
}

/**
 * The change of one event, its optional parts set only when present, keys in the order the
 * store's and tests' readers have always seen (optional parts where they belong).
 */
function effectChange(
  event: StoredInteractionEvent,
  expectedVersion: number,
  vector: Float32Array | undefined,
  vectorVersion: string | undefined,
  strength: number,
  updatedAt: number,
  recent: RecentInteraction[],
  bought: string[],
  tier: Tier | undefined,
  shopper: ShopperChange,
): UserStateChange {
  const change = { eventId: event.id, expectedVersion, type: event.type } as UserStateChange;
  if (vector) {
    change.vector = vector;
    if (vectorVersion !== undefined) change.vectorVersion = vectorVersion;
  }
  change.strength = strength;
  change.updatedAt = updatedAt;
  change.recent = recent;
  change.bought = bought;
  if (tier !== undefined) change.tier = tier;
  // shopperEffect sets its parts in this order.
  if (shopper.affinity !== undefined) change.affinity = shopper.affinity;
  if (shopper.cart !== undefined) change.cart = shopper.cart;
  if (shopper.purchases !== undefined) change.purchases = shopper.purchases;
  if (shopper.firstSeenAt !== undefined) change.firstSeenAt = shopper.firstSeenAt;
  return change;
}

/**
 * `added.concat(older).slice(0, limit)` in one array of the final length (that expression built
 * two of ~limit entries per event). A limit that is not a non-negative integer takes the slice
 * semantics of that expression.
 */
export function prependRecent(
  added: readonly RecentInteraction[],
  older: readonly RecentInteraction[],
  limit: number,
): RecentInteraction[] {
  if (!Number.isInteger(limit) || limit < 0) return added.concat(older).slice(0, limit);
  const length = Math.min(limit, added.length + older.length);
  const out = new Array<RecentInteraction>(length);
  const fromAdded = Math.min(length, added.length);
  for (let i = 0; i < fromAdded; i++) out[i] = added[i]!;
  for (let i = fromAdded; i < length; i++) out[i] = older[i - fromAdded]!;
  return out;
}

/** `new Set([...had, ...added])` without the intermediate array. */
function withBought(had: ReadonlySet<string>, added: readonly string[]): Set<string> {
  const out = new Set(had);
  for (const itemId of added) out.add(itemId);
  return out;
}

/** `{ ...counts, [type]: counts[type] + 1, total: counts.total + 1 }` (same keys, same order) without a computed-key literal. */
function countedOnce(counts: Readonly<Record<string, number>>, type: string): Record<string, number> {
  const out = { ...counts };
  out[type] = (counts[type] ?? 0) + 1;
  out.total = (counts.total ?? 0) + 1;
  return out;
}

/**
 * A search's vectors: the query's own and its best text matches' item vectors, sharing the
 * weight (searchFold). A query vector without direction (no usable word) is left out.
 */
function searchVectors(query: string, vectors: VectorLookup, weight: number): WeightedVector[] {
  const found = new Map<string, Float32Array>();
  const fold = searchFold(weight, vectors.textMatches?.(query) ?? [], (itemId) => {
    const vector = vectors.item(itemId);
    if (vector) found.set(itemId, vector);
    return vector !== undefined;
  });
  const text = vectors.text(query);
  const usable = isUsableVector(text);
  const out: WeightedVector[] = [];
  // Without a usable query vector its share goes to the matches (all of the weight, then).
  const scale = usable || fold.items.length === 0 ? 1 : weight / (weight - fold.query);
  if (usable) out.push({ vector: text, weight: fold.query });
  for (const item of fold.items) out.push({ vector: found.get(item.itemId)!, weight: item.weight * scale });
  return out;
}

function statsUpdate(state: UserState, event: StoredInteractionEvent, items: string[], options: EffectOptions): InteractionUpdate {
  const pop = popularityWeight[event.type];
  const update: InteractionUpdate = { items: pop > 0 ? items.map((id) => [id, pop]) : [], pairs: [], ts: event.ts };
  if (!PAIRING_TYPES.has(event.type) || items.length === 0) return update;

  // Items bought together pair with each other; every touched item pairs with the session's recent
  // items. A basket's pairs grow with the square of its size, and a big order says less about any
  // one pair: only its first BASKET_PAIR_LIMIT lines pair, each pair weighing 2/sqrt(lines - 1).
  // Read only (pairs, purchaseRelations): no copy unless it is cut.
  const paired = items.length > BASKET_PAIR_LIMIT ? items.slice(0, BASKET_PAIR_LIMIT) : items;
  const basketWeight = event.type === 'purchase' ? 2 / Math.sqrt(Math.max(1, paired.length - 1)) : 1;
  const sessionStart = event.ts - options.sessionGapSeconds * 1000;
  const partners: string[] = [];
  for (let r = 0; r < state.recent.length; r++) {
    const entry = state.recent[r]!;
    if (partners.length >= options.coVisitWindow) break;
    if (entry.ts < sessionStart || entry.ts > event.ts) continue;
    if (!PAIRING_TYPES.has(entry.type) || items.includes(entry.itemId) || partners.includes(entry.itemId)) continue;
    partners.push(entry.itemId);
  }
  // The basket's pairs, then each partner with each item: one array of the final length (pushes
  // into [] grow it to room for 16 and more: ~0.2 KB of garbage per event). ~0.05 us per pair.
  const pairs = new Array<[string, string, number]>((paired.length * (paired.length - 1)) / 2 + partners.length * paired.length);
  let at = 0;
  for (let i = 0; i < paired.length; i++) {
    for (let j = i + 1; j < paired.length; j++) pairs[at++] = [paired[i]!, paired[j]!, basketWeight];
  }
  for (const partner of partners) for (const itemId of paired) pairs[at++] = [partner, itemId, 1];
  update.pairs = pairs;
  if (event.type === 'purchase')
    Object.assign(update, purchaseRelations(state, event, paired, options.boughtAfterWindowSeconds ?? DEFAULT_BOUGHT_AFTER_WINDOW_SECONDS));
  return update;
}
