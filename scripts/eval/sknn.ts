/**
 * The nearest-neighbour baselines of the session-based recommendation literature, over a sparse
 * index of sessions (no item x item matrix): memory is O(distinct items per session, summed).
 *
 * - Item-KNN (Hidasi et al. 2016; Ludewig and Jannach 2018): the similarity of items i and j is
 *   the cosine over sessions, sessions(i and j) / sqrt(sessions(i) * sessions(j)) (with `shrink`
 *   lambda > 0: / sqrt((sessions(i) + lambda) * (sessions(j) + lambda)), the reference code's
 *   regularised form, lambda 20 there). The list is the neighbours of the seed items (the last
 *   event's item or items), similarities summed; a seed is never its own neighbour.
 * - V-SKNN (vector multiplied session-based kNN, Ludewig and Jannach 2018, `VMContextKNN` of
 *   rn5l/session-rec): the current session is a vector over its items, the item seen d events
 *   before the newest weighing max(0, 1 - 0.1 d) (`linear`, clamped at 0 where the reference
 *   code's goes negative in sessions over 10 clicks; an item takes its newest position).
 *   Candidate neighbours are the `sampleSize` most recently updated stored sessions that share an
 *   item with it; the similarity of a neighbour is the sum of the weights of the items it shares,
 *   divided by the number of weighted items (the reference's normalisation; it does not change a
 *   ranking). The `k` most similar neighbours vote for each of their items with their similarity,
 *   times 1 / step with `scoreDecay` `div` (step = 1 + events since the newest item of the current
 *   session that the neighbour holds; the reference's `div_score`), or plain with `same`. Items of
 *   the current session may be listed like any other (the reference's `remind`).
 *
 * What a "session" is, is the baselines' `PairScope` (baselines.ts): with `session` (clicks) a user
 * is one session; with `baskets` (invoices) each order is one session (each event when it has no
 * order id), and the current session of a customer is their newest orders, each one position.
 * A customer's own earlier orders are past sessions like any other (they vote for re-orders);
 * with `session`, the user's own ongoing session is never its neighbour. As for the other
 * baselines, popularity fills a list that has fewer than k scored items (baselines.ts).
 */

/** Events of the current session that can weigh anything under linear decay (1 - 0.1 d > 0). */
export const VSKNN_WINDOW = 10;

export interface VsknnOptions {
  /** Neighbour sessions that vote. Default 100. */
  k: number;
  /** Most recent sessions sharing an item that are compared. Default 500. */
  sampleSize: number;
  /** Vote decay by how far back the shared item is: `div` (1 / step) or `same`. Default div. */
  scoreDecay: 'div' | 'same';
}

/** The best-known YooChoose settings of Ludewig and Jannach: k 100, sample 500, linear, div, no idf. */
export const VSKNN_DEFAULTS: Readonly<VsknnOptions> = Object.freeze({ k: 100, sampleSize: 500, scoreDecay: 'div' });

/** Stale item-list entries tolerated (beyond as many as live ones) before a list is compacted. */
const COMPACT_SLACK = 32;
/** Co-occurrence rows kept for Item-KNN (each at most one number pair per item); oldest dropped first. */
export const MAX_CACHED_ROWS = 2048;

/** The items sharing a session with one item, and in how many sessions. */
export interface CooccurrenceRow {
  slots: Int32Array;
  together: Int32Array;
}

/**
 * Sessions as sets of item slots (0..itemCount-1), and for each item the sessions holding it in
 * the order they were last updated. Updating a session re-appends its entries with a new stamp;
 * older entries go stale (skipped, compacted away when they outnumber the live ones).
 */
export class SessionIndex {
  private readonly keys = new Map<string, number>();
  /** Distinct item slots per session, in order of first occurrence. */
  private readonly sessionItems: number[][] = [];
  /** Stamp (update sequence number) of each session's newest update. */
  private readonly sessionStamps: number[] = [];
  private readonly itemSessions: number[][];
  private readonly itemStamps: number[][];
  private readonly itemStale: Int32Array;
  /** Live sessions holding each item. */
  readonly sessionCounts: Int32Array;
  private stamp = 0;
  /** Per-session marker of the V-SKNN sample being drawn (query generation). */
  private seen: Int32Array = new Int32Array(1024);
  private generation = 0;
  /** Bumped for every item of a session when the session changes: its co-occurrence row may have. */
  private readonly itemVersions: Int32Array;
  private readonly rows = new Map<number, CooccurrenceRow & { version: number }>();

  constructor(readonly itemCount: number) {
    this.itemSessions = Array.from({ length: itemCount }, () => []);
    this.itemStamps = Array.from({ length: itemCount }, () => []);
    this.itemStale = new Int32Array(itemCount);
    this.sessionCounts = new Int32Array(itemCount);
    this.itemVersions = new Int32Array(itemCount);
  }

  get sessions(): number {
    return this.sessionItems.length;
  }

  /** Index of a stored session, undefined before its first item. */
  sessionOf(key: string): number | undefined {
    return this.keys.get(key);
  }

  itemsOf(session: number): readonly number[] {
    return this.sessionItems[session] ?? [];
  }

  /** Adds items (slots) to a session, creating it; the session becomes the most recent. */
  add(key: string, slots: readonly number[]): void {
    let session = this.keys.get(key);
    if (session === undefined) {
      session = this.sessionItems.length;
      this.keys.set(key, session);
      this.sessionItems.push([]);
      this.sessionStamps.push(0);
    }
    const items = this.sessionItems[session]!;
    const before = items.length;
    for (const slot of slots) if (!items.includes(slot)) items.push(slot);
    const stamp = ++this.stamp;
    this.sessionStamps[session] = stamp;
    items.forEach((slot, i) => {
      this.itemVersions[slot]! += 1;
      if (i < before) this.itemStale[slot]! += 1;
      else this.sessionCounts[slot]! += 1;
      this.itemSessions[slot]!.push(session);
      this.itemStamps[slot]!.push(stamp);
      if (this.itemStale[slot]! > this.sessionCounts[slot]! + COMPACT_SLACK) this.compact(slot);
    });
  }

  /** Calls `visit` once for every session holding the item (order unspecified). */
  forEachSessionOf(slot: number, visit: (session: number) => void): void {
    const sessions = this.itemSessions[slot]!;
    const stamps = this.itemStamps[slot]!;
    for (let e = 0; e < sessions.length; e++) if (this.sessionStamps[sessions[e]!] === stamps[e]) visit(sessions[e]!);
  }

  /**
   * How many sessions each item shares with `slot` (itself included), from a cache that a change
   * of any session holding `slot` invalidates; at most MAX_CACHED_ROWS rows are kept.
   */
  cooccurrence(slot: number, scratch: Int32Array): CooccurrenceRow {
    const cached = this.rows.get(slot);
    if (cached && cached.version === this.itemVersions[slot]) return cached;
    const touched: number[] = [];
    this.forEachSessionOf(slot, (session) => {
      for (const other of this.sessionItems[session]!) if (scratch[other]!++ === 0) touched.push(other);
    });
    const row = {
      slots: Int32Array.from(touched),
      together: Int32Array.from(touched, (other) => scratch[other]!),
      version: this.itemVersions[slot]!,
    };
    for (const other of touched) scratch[other] = 0;
    this.rows.delete(slot);
    if (this.rows.size >= MAX_CACHED_ROWS) this.rows.delete(this.rows.keys().next().value!);
    this.rows.set(slot, row);
    return row;
  }

  /**
   * Up to `size` distinct sessions holding any of `slots`, most recently updated first, leaving
   * `skip` out: a k-way merge of the items' lists from their newest end.
   */
  recentSessionsWith(slots: readonly number[], size: number, skip?: number): number[] {
    if (this.seen.length < this.sessionItems.length) {
      const grown = new Int32Array(Math.max(this.sessionItems.length, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    const generation = ++this.generation;
    const heap = new StampHeap();
    const cursor = new Map<number, number>();
    for (const slot of slots) {
      const at = this.itemStamps[slot]!.length - 1;
      if (at >= 0 && !cursor.has(slot)) {
        cursor.set(slot, at);
        heap.push(this.itemStamps[slot]![at]!, slot);
      }
    }
    const out: number[] = [];
    while (out.length < size && heap.size > 0) {
      const slot = heap.pop();
      const at = cursor.get(slot)!;
      const session = this.itemSessions[slot]![at]!;
      if (this.sessionStamps[session] === this.itemStamps[slot]![at] && session !== skip && this.seen[session] !== generation) {
        this.seen[session] = generation;
        out.push(session);
      }
      if (at > 0) {
        cursor.set(slot, at - 1);
        heap.push(this.itemStamps[slot]![at - 1]!, slot);
      }
    }
    return out;
  }

  private compact(slot: number): void {
    const sessions = this.itemSessions[slot]!;
    const stamps = this.itemStamps[slot]!;
    let kept = 0;
    for (let e = 0; e < sessions.length; e++) {
      if (this.sessionStamps[sessions[e]!] !== stamps[e]) continue;
      sessions[kept] = sessions[e]!;
      stamps[kept] = stamps[e]!;
      kept++;
    }
    sessions.length = kept;
    stamps.length = kept;
    this.itemStale[slot] = 0;
  }
}

/** Max-heap of (stamp, slot) by stamp. Stamps are unique per update, so ties do not occur. */
class StampHeap {
  private readonly stamps: number[] = [];
  private readonly slots: number[] = [];

  get size(): number {
    return this.stamps.length;
  }

  push(stamp: number, slot: number): void {
    let i = this.stamps.length;
    this.stamps.push(stamp);
    this.slots.push(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.stamps[parent]! >= stamp) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Slot of the largest stamp, removed. */
  pop(): number {
    const top = this.slots[0]!;
    const lastStamp = this.stamps.pop()!;
    const lastSlot = this.slots.pop()!;
    if (this.stamps.length > 0) {
      this.stamps[0] = lastStamp;
      this.slots[0] = lastSlot;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let largest = i;
        if (left < this.stamps.length && this.stamps[left]! > this.stamps[largest]!) largest = left;
        if (right < this.stamps.length && this.stamps[right]! > this.stamps[largest]!) largest = right;
        if (largest === i) break;
        this.swap(i, largest);
        i = largest;
      }
    }
    return top;
  }

  private swap(a: number, b: number): void {
    [this.stamps[a], this.stamps[b]] = [this.stamps[b]!, this.stamps[a]!];
    [this.slots[a], this.slots[b]] = [this.slots[b]!, this.slots[a]!];
  }
}

/**
 * Item-KNN scores of every slot: the summed session cosine with each seed slot. `shrink` is the
 * lambda added to both supports (0: the plain cosine).
 */
export function itemKnnScores(index: SessionIndex, seeds: readonly number[], shrink = 0): Float64Array {
  const scores = new Float64Array(index.itemCount);
  const scratch = new Int32Array(index.itemCount);
  const counts = index.sessionCounts;
  for (const seed of new Set(seeds)) {
    if (counts[seed] === 0) continue;
    const { slots, together } = index.cooccurrence(seed, scratch);
    for (let e = 0; e < slots.length; e++) {
      const j = slots[e]!;
      if (j !== seed) scores[j]! += together[e]! / Math.sqrt((counts[seed]! + shrink) * (counts[j]! + shrink));
    }
  }
  return scores;
}

/**
 * V-SKNN scores of every slot for a current session given as its events' item slots, newest event
 * first (`recentEvents[0]`); `skip` is the current session's own stored index, never a neighbour.
 */
export function vsknnScores(
  index: SessionIndex,
  recentEvents: ReadonlyArray<readonly number[]>,
  options: VsknnOptions,
  skip?: number,
): Float64Array {
  const scores = new Float64Array(index.itemCount);
  // Distance (events back) of each item's newest occurrence within the window.
  const distance = new Map<number, number>();
  recentEvents.slice(0, VSKNN_WINDOW).forEach((slots, d) => {
    for (const slot of slots) if (!distance.has(slot)) distance.set(slot, d);
  });
  if (distance.size === 0) return scores;
  const weighted = [...distance.keys()];
  const neighbours: Array<{ session: number; similarity: number; step: number; order: number }> = [];
  index.recentSessionsWith(weighted, options.sampleSize, skip).forEach((session, order) => {
    let dot = 0;
    let nearest = Number.POSITIVE_INFINITY;
    for (const slot of index.itemsOf(session)) {
      const d = distance.get(slot);
      if (d === undefined) continue;
      dot += 1 - 0.1 * d;
      nearest = Math.min(nearest, d);
    }
    if (dot > 0) neighbours.push({ session, similarity: dot / distance.size, step: nearest + 1, order });
  });
  // Most similar first; equal similarity: the more recent session (lower sample order).
  neighbours.sort((a, b) => b.similarity - a.similarity || a.order - b.order);
  for (const { session, similarity, step } of neighbours.slice(0, options.k)) {
    const vote = options.scoreDecay === 'div' ? similarity / step : similarity;
    for (const slot of index.itemsOf(session)) scores[slot]! += vote;
  }
  return scores;
}
