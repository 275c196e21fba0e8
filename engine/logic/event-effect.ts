import type { StoredEvent } from '../contracts/schemas.js';
import type { InteractionUpdate } from '../ports/interaction-stats.js';
import type { RecentInteraction, UserState, UserStateChange } from '../ports/user-state-store.js';
import { popularityWeight, tasteWeight } from './event-weights.js';
import { foldInMany, type WeightedVector } from './user-vector.js';

/** Where an event's vectors come from: the item index, and the text encoder for searches. */
export interface VectorLookup {
  item(itemId: string): Float32Array | undefined;
  text(query: string): Float32Array;
}

export interface EffectOptions {
  /** Half-life of the user's past taste, seconds. */
  tasteHalfLifeSeconds: number;
  /** Interactions closer than this (seconds) are one session for co-visitation. */
  sessionGapSeconds: number;
  /** How many recent items of the session pair with a new one. */
  coVisitWindow: number;
  recentLimit: number;
}

export interface EventEffect {
  change: UserStateChange;
  stats: InteractionUpdate;
  /** The user's state as it is once `change` is applied (for ranking without a reload). */
  next: UserState;
}

/** Item ids an event touches, in order, without repeats; purchases list only positive quantities. */
export function touchedItems(event: StoredEvent): string[] {
  const ids: string[] = [];
  if ('items' in event && event.items) {
    for (const line of event.items) if (event.type !== 'purchase' || line.quantity > 0) ids.push(line.itemId);
  }
  if (event.itemId) ids.push(event.itemId);
  return [...new Set(ids)];
}

/** Lines of one event that take part in co-visitation pairs (at most 435 pairs among them). */
export const BASKET_PAIR_LIMIT = 30;

/** Event types that say "these belong together" for co-visitation. */
const PAIRING_TYPES = new Set(['view', 'click', 'like', 'add_to_cart', 'purchase']);

/**
 * What one event does to a user's state and to the shop-wide aggregates. Pure: the caller stores
 * `change` (atomically, deduped by event id) and `stats` (idempotent by event key).
 */
export function eventEffect(state: UserState, event: StoredEvent, vectors: VectorLookup, options: EffectOptions): EventEffect {
  const items = touchedItems(event);
  const weight = tasteWeight[event.type];

  // The past decays once per event, then every vector the event touched is added. A basket of n
  // lines shares the event's weight as weight/sqrt(n): a big order says more than one item, but
  // not n times more, and must not saturate the taste at once.
  const touched: WeightedVector[] = [];
  if (event.type === 'search') touched.push({ vector: vectors.text(event.query), weight });
  const lineWeight = items.length > 1 ? weight / Math.sqrt(items.length) : weight;
  for (const itemId of items) {
    const vector = vectors.item(itemId);
    if (vector) touched.push({ vector, weight: lineWeight });
  }
  const taste = touched.length > 0 ? foldInMany(state, touched, event.ts, options.tasteHalfLifeSeconds) : undefined;

  const recent: RecentInteraction[] = items.map((itemId) => ({ itemId, type: event.type, ts: event.ts }));
  const bought = event.type === 'purchase' ? items : [];
  const change: UserStateChange = {
    eventId: event.id,
    expectedVersion: state.version,
    type: event.type,
    ...(taste ? { vector: taste.vector } : {}),
    strength: taste?.strength ?? state.strength,
    updatedAt: Math.max(state.updatedAt, event.ts),
    recent,
    bought,
    ...(event.tier ? { tier: event.tier } : {}),
  };

  const next: UserState = {
    vector: change.vector ?? state.vector,
    strength: change.strength,
    updatedAt: change.updatedAt,
    version: state.version + 1,
    recent: recent.concat(state.recent).slice(0, options.recentLimit),
    bought: bought.length > 0 ? new Set([...state.bought, ...bought]) : state.bought,
    counts: { ...state.counts, [event.type]: (state.counts[event.type] ?? 0) + 1, total: (state.counts.total ?? 0) + 1 },
    tier: event.tier ?? state.tier,
  };

  return { change, stats: statsUpdate(state, event, items, options), next };
}

function statsUpdate(state: UserState, event: StoredEvent, items: string[], options: EffectOptions): InteractionUpdate {
  const pop = popularityWeight[event.type];
  const update: InteractionUpdate = { items: pop > 0 ? items.map((id) => [id, pop]) : [], pairs: [], ts: event.ts };
  if (!PAIRING_TYPES.has(event.type) || items.length === 0) return update;

  // Items bought together pair with each other; every touched item pairs with the session's recent
  // items. A basket's pairs grow with the square of its size, and a big order says less about any
  // one pair: only its first BASKET_PAIR_LIMIT lines pair, each pair weighing 2/sqrt(lines - 1).
  const paired = items.slice(0, BASKET_PAIR_LIMIT);
  const basketWeight = event.type === 'purchase' ? 2 / Math.sqrt(Math.max(1, paired.length - 1)) : 1;
  for (let i = 0; i < paired.length; i++) {
    for (let j = i + 1; j < paired.length; j++) update.pairs.push([paired[i]!, paired[j]!, basketWeight]);
  }
  const sessionStart = event.ts - options.sessionGapSeconds * 1000;
  const partners: string[] = [];
  for (const entry of state.recent) {
    if (partners.length >= options.coVisitWindow) break;
    if (entry.ts < sessionStart || entry.ts > event.ts) continue;
    if (!PAIRING_TYPES.has(entry.type) || items.includes(entry.itemId) || partners.includes(entry.itemId)) continue;
    partners.push(entry.itemId);
  }
  for (const partner of partners) for (const itemId of paired) update.pairs.push([partner, itemId, 1]);
  return update;
}
