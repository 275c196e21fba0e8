import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { touchedItems } from '../../engine/shoppers/mod.js';
import type { EvalMethod, ListFilter } from './method.js';
import { SessionIndex, VSKNN_DEFAULTS, VSKNN_WINDOW, itemKnnScores, vsknnScores, type VsknnOptions } from './sknn.js';

/**
 * Reference methods, a few lines each, fed the same stream as Pulse and held to the same list
 * filters (`ListFilter`: recent items and bought items left out exactly as the shop leaves them out).
 *
 * - most popular: items by how often they occur in events (a purchase line counts 1).
 * - co-occurrence with the last item: items by how often they co-occurred with the item(s) of the
 *   user's last event (the last click; the last invoice's items, summed).
 * - session co-occurrence, recency-weighted: the co-occurrence rows of the user's recent distinct
 *   items (newest first, up to RECENT_ITEMS), the i-th newest weighted 1/i, summed.
 * - item-knn and v-sknn: the nearest-neighbour methods of the session-based literature (sknn.ts),
 *   over a sparse index of sessions: with `session` a session is a user, with `baskets` an order.
 *
 * Co-occurrence counts each unordered pair of distinct items once per `scope`:
 * - `session` (clicks: a user is a session): every pair of distinct items of the session;
 * - `baskets` (invoices: a user is a customer over a year): pairs inside one event, and pairs of an
 *   event's items with the items of the user's previous event (what follows what).
 * By default they keep learning from the held-out stream like Pulse does (`streaming`); `static`
 * freezes them after training (the README floors of the YooChoose sample were made that way).
 * Each baseline made by `createBaselines` keeps its own state with only the counts it reads, so
 * the replay's learning time of a method is its own.
 */

export type PairScope = 'session' | 'baskets';
export type BaselineMode = 'streaming' | 'static';

/** Recent distinct items per user that seed the session baseline and the shop's recent filter. */
const RECENT_ITEMS = 50;

/** Dense item x item counts over a fixed catalog (N^2 floats: 58 MB for 3,800 items). */
export const MAX_DENSE_ITEMS = 12_000;

/** What the baselines remember of one user. */
interface UserMemory {
  /** Distinct item ids, newest first, at most RECENT_ITEMS. */
  recent: string[];
  /** Item interactions newest first (repeats kept), for the shop's `excludeRecent` (counts interactions, not items). */
  recentInteractions: string[];
  bought: Set<string>;
  /** Items of the last event. */
  last: string[];
  /** Every distinct item of the user (scope `session` pairs with all of them). */
  all: Set<string>;
  /** Item slots of the user's newest events, newest first, at most VSKNN_WINDOW (v-sknn's current session). */
  events: number[][];
}

/** What a state counts besides popularity and the users' memory (each part costs learning time). */
export interface BaselineStateParts {
  /** The dense co-occurrence counts (co-occurrence baselines). Default true. */
  pairs?: boolean;
  /** The sparse session index (item-knn, v-sknn). Default true. */
  sessions?: boolean;
}

/** State of the baselines: item ids, counts, the session index, per-user memory. */
export class BaselineState {
  readonly ids: readonly string[];
  private readonly slot = new Map<string, number>();
  readonly popularity: Float64Array;
  readonly cooccurrence: Float32Array;
  /** Sessions for item-knn and v-sknn (sparse; what a session is depends on the scope). */
  readonly sessions: SessionIndex;
  readonly countsPairs: boolean;
  readonly indexesSessions: boolean;
  private readonly users = new Map<string, UserMemory>();
  private frozen = false;
  /** Baselines may share a state and each passes every event on: it counts once. */
  private lastLearned: StoredEvent | undefined;

  constructor(
    itemIds: readonly string[],
    private readonly scope: PairScope,
    private readonly mode: BaselineMode,
    private readonly recentLimit = 50,
    parts: BaselineStateParts = {},
  ) {
    this.countsPairs = parts.pairs ?? true;
    this.indexesSessions = parts.sessions ?? true;
    if (this.countsPairs && itemIds.length > MAX_DENSE_ITEMS)
      throw new RangeError(`the co-occurrence baselines keep dense counts: at most ${MAX_DENSE_ITEMS} items, got ${itemIds.length}`);
    this.ids = itemIds;
    itemIds.forEach((id, i) => this.slot.set(id, i));
    this.popularity = new Float64Array(itemIds.length);
    this.cooccurrence = new Float32Array(this.countsPairs ? itemIds.length * itemIds.length : 0);
    this.sessions = new SessionIndex(this.indexesSessions ? itemIds.length : 0);
  }

  get size(): number {
    return this.ids.length;
  }

  slotOf(itemId: string): number | undefined {
    return this.slot.get(itemId);
  }

  user(userId: string): UserMemory | undefined {
    return this.users.get(userId);
  }

  /** The user's own ongoing stored session (scope `session` only: an order is never ongoing). */
  ownSession(userId: string): number | undefined {
    return this.scope === 'session' ? this.sessions.sessionOf(userId) : undefined;
  }

  /** The session an event belongs to: the user, or its order (each event when it has none). */
  private sessionKey(event: StoredEvent): string {
    if (this.scope === 'session') return event.userId;
    return 'orderId' in event && event.orderId !== undefined ? `order ${event.orderId}` : `event ${event.id}`;
  }

  endTraining(): void {
    if (this.mode === 'static') this.frozen = true;
  }

  /** Counts the event (unless frozen) and updates the user's memory (always: filters need it). */
  learn(event: StoredEvent): void {
    if (event === this.lastLearned) return;
    this.lastLearned = event;
    const items = touchedItems(event).filter((id) => this.slot.has(id));
    if (items.length === 0) return;
    let user = this.users.get(event.userId);
    if (!user)
      this.users.set(
        event.userId,
        (user = { recent: [], recentInteractions: [], bought: new Set(), last: [], all: new Set(), events: [] }),
      );
    const slots = items.map((id) => this.slot.get(id)!);
    if (!this.frozen) {
      for (const id of items) this.popularity[this.slot.get(id)!]! += 1;
      if (this.countsPairs) this.countPairs(user, items);
      if (this.indexesSessions) this.sessions.add(this.sessionKey(event), slots);
    }
    for (const id of items) {
      user.all.add(id);
      const at = user.recent.indexOf(id);
      if (at !== -1) user.recent.splice(at, 1);
      user.recent.unshift(id);
    }
    user.recent.length = Math.min(user.recent.length, RECENT_ITEMS);
    user.recentInteractions = [...items, ...user.recentInteractions].slice(0, this.recentLimit);
    if (event.type === 'purchase') for (const id of items) user.bought.add(id);
    user.last = items;
    user.events.unshift(slots);
    user.events.length = Math.min(user.events.length, VSKNN_WINDOW);
    if (this.scope === 'baskets') user.all.clear(); // only `session` pairs with the whole history
  }

  /** The shop's filter for this user: what may not be listed. */
  excluded(userId: string, filter: ListFilter): Set<string> {
    const user = this.users.get(userId);
    const out = new Set<string>();
    if (!user) return out;
    for (const id of user.recentInteractions.slice(0, filter.excludeRecent)) out.add(id);
    if (!filter.includeBought) for (const id of user.bought) out.add(id);
    return out;
  }

  private countPairs(user: UserMemory, items: readonly string[]): void {
    for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) this.pair(items[i]!, items[j]!);
    const partners = this.scope === 'session' ? user.all : new Set(user.last);
    for (const id of items) {
      if (this.scope === 'session' && user.all.has(id)) continue; // pairs once per session
      for (const partner of partners) if (partner !== id && !items.includes(partner)) this.pair(id, partner);
    }
  }

  private pair(a: string, b: string): void {
    const i = this.slot.get(a)!;
    const j = this.slot.get(b)!;
    const n = this.ids.length;
    this.cooccurrence[i * n + j]! += 1;
    this.cooccurrence[j * n + i]! += 1;
  }
}

/** Top k slots by score (> 0 only), ties by item id ascending, skipping excluded ids. */
function topK(state: BaselineState, scores: ArrayLike<number>, k: number, excluded: ReadonlySet<string>): string[] {
  const best: Array<[number, number]> = [];
  for (let slot = 0; slot < scores.length; slot++) {
    const score = scores[slot]!;
    if (!(score > 0)) continue;
    if (best.length === k && score <= best[k - 1]![1]) continue;
    if (excluded.has(state.ids[slot]!)) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]![1] < score) at--;
    best.splice(at, 0, [slot, score]);
    if (best.length > k) best.pop();
  }
  return best.map(([slot]) => state.ids[slot]!);
}

/** Popularity fills the end of a short list, so every method shows k items when it can. */
function withPopularFill(state: BaselineState, list: string[], k: number, excluded: ReadonlySet<string>): string[] {
  if (list.length >= k) return list;
  const taken = new Set([...list, ...excluded]);
  for (const id of topK(state, state.popularity, k + taken.size, new Set())) {
    if (list.length >= k) break;
    if (!taken.has(id)) list.push(id);
  }
  return list;
}

/** The state, when it keeps the part a baseline reads (a programmer error otherwise). */
function requires(state: BaselineState, part: 'pairs' | 'sessions'): BaselineState {
  if (part === 'pairs' ? !state.countsPairs : !state.indexesSessions)
    throw new RangeError(`this baseline reads ${part} the state does not keep`);
  return state;
}

abstract class Baseline implements EvalMethod {
  abstract readonly name: string;
  constructor(protected readonly state: BaselineState) {}

  abstract recommend(userId: string, k: number, ts: number, filter: ListFilter): Promise<string[]>;

  async learn(event: StoredEvent): Promise<void> {
    this.state.learn(event);
  }

  endTraining(): void {
    this.state.endTraining();
  }

  /** Sum of co-occurrence rows of `seeds`, each weighted. */
  protected rows(seeds: ReadonlyArray<[string, number]>): Float64Array {
    const n = this.state.size;
    const scores = new Float64Array(n);
    for (const [id, weight] of seeds) {
      const slot = this.state.slotOf(id);
      if (slot === undefined) continue;
      const row = this.state.cooccurrence.subarray(slot * n, slot * n + n);
      for (let j = 0; j < n; j++) scores[j]! += weight * row[j]!;
    }
    return scores;
  }
}

export class MostPopularBaseline extends Baseline {
  readonly name = 'most popular';
  async recommend(userId: string, k: number, _ts: number, filter: ListFilter): Promise<string[]> {
    return topK(this.state, this.state.popularity, k, this.state.excluded(userId, filter));
  }
}

export class LastItemCoOccurrenceBaseline extends Baseline {
  readonly name = 'co-occurrence, last item';
  constructor(state: BaselineState) {
    super(requires(state, 'pairs'));
  }

  async recommend(userId: string, k: number, _ts: number, filter: ListFilter): Promise<string[]> {
    const excluded = this.state.excluded(userId, filter);
    const last = this.state.user(userId)?.last ?? [];
    return withPopularFill(this.state, topK(this.state, this.rows(last.map((id) => [id, 1])), k, excluded), k, excluded);
  }
}

export class SessionCoOccurrenceBaseline extends Baseline {
  readonly name = 'co-occurrence, session, recency-weighted';
  constructor(state: BaselineState) {
    super(requires(state, 'pairs'));
  }

  async recommend(userId: string, k: number, _ts: number, filter: ListFilter): Promise<string[]> {
    const excluded = this.state.excluded(userId, filter);
    const recent = this.state.user(userId)?.recent ?? [];
    return withPopularFill(this.state, topK(this.state, this.rows(recent.map((id, i) => [id, 1 / (i + 1)])), k, excluded), k, excluded);
  }
}

/**
 * Item-KNN: the session-cosine neighbours of the item(s) of the user's last event, summed
 * (sknn.ts). `shrink` 0 is the plain cosine.
 */
export class ItemKnnBaseline extends Baseline {
  readonly name = 'item-knn';
  constructor(
    state: BaselineState,
    private readonly shrink = 0,
  ) {
    super(requires(state, 'sessions'));
  }

  async recommend(userId: string, k: number, _ts: number, filter: ListFilter): Promise<string[]> {
    const excluded = this.state.excluded(userId, filter);
    const seeds = this.state.user(userId)?.events[0] ?? [];
    return withPopularFill(this.state, topK(this.state, itemKnnScores(this.state.sessions, seeds, this.shrink), k, excluded), k, excluded);
  }
}

/** V-SKNN: votes of the sessions most similar to the user's current one (sknn.ts). */
export class VsknnBaseline extends Baseline {
  readonly name = 'v-sknn';
  constructor(
    state: BaselineState,
    private readonly options: VsknnOptions = VSKNN_DEFAULTS,
  ) {
    super(requires(state, 'sessions'));
  }

  async recommend(userId: string, k: number, _ts: number, filter: ListFilter): Promise<string[]> {
    const excluded = this.state.excluded(userId, filter);
    const events = this.state.user(userId)?.events ?? [];
    const scores = vsknnScores(this.state.sessions, events, this.options, this.state.ownSession(userId));
    return withPopularFill(this.state, topK(this.state, scores, k, excluded), k, excluded);
  }
}

export interface KnnBaselineOptions {
  /** Item-KNN's lambda added to both supports. Default 0 (plain cosine). */
  itemKnnShrink?: number;
  vsknn?: Partial<VsknnOptions>;
}

/**
 * The five baselines, each over its own state holding only what it reads (so each one's learning
 * time is its own): every method must be passed every event, as the replay does.
 */
export function createBaselines(
  itemIds: readonly string[],
  scope: PairScope,
  mode: BaselineMode,
  recentLimit = 50,
  knn: KnnBaselineOptions = {},
): EvalMethod[] {
  const state = (parts: BaselineStateParts) => new BaselineState(itemIds, scope, mode, recentLimit, parts);
  return [
    new MostPopularBaseline(state({ pairs: false, sessions: false })),
    new LastItemCoOccurrenceBaseline(state({ pairs: true, sessions: false })),
    new SessionCoOccurrenceBaseline(state({ pairs: true, sessions: false })),
    new ItemKnnBaseline(state({ pairs: false, sessions: true }), knn.itemKnnShrink ?? 0),
    new VsknnBaseline(state({ pairs: false, sessions: true }), { ...VSKNN_DEFAULTS, ...knn.vsknn }),
  ];
}
