import { firstPassingBest, firstPassingOf, strongestFirst } from './best-first.js';
import { keepthBest } from './score-order.js';

/**
 * "Sessions like yours" (pure, in memory): session-based nearest neighbours in the manner of
 * V-SKNN (Ludewig & Jannach, "Evaluation of session-based recommendation algorithms", 2018),
 * the method that on session data keeps up with neural models at a fraction of their cost.
 *
 * The index holds the newest `maxSessions` sessions of the shop: each the distinct items one
 * shopper touched positively (view, click, cart, like, purchase) with no pause longer than the
 * session gap, in order. Each item keeps the newest `postingsPerItem` sessions holding it.
 *
 * A query is the shopper's current session, newest item first (at most its 10 newest items).
 * The d-th newest weighs 1 - d/10 (the last clicks say most about the next one). Of the past
 * sessions sharing an item with it (the newest `postingsPerItem` per item), the newest `sample`
 * are compared: a session's similarity is the sum of the weights of the items it shares, divided
 * by the query's length; the `neighbours` most similar (ties: the newer) vote for each of their
 * items with their similarity divided by 1 + the distance of the newest item they share (a
 * session that shares the last click speaks loudest). Scores are raw; ranking normalises them.
 *
 * Cost: `add` O(1) amortised (a Map read, an array push, a posting push); `query` O(query items
 * × postingsPerItem) Map updates plus O(neighbours × session length): ~50-150 µs at the defaults.
 * Memory: ~100 B per session item and per posting: ~0.1 KB per stored session item.
 */

export interface SessionIndexOptions {
  /** Sessions kept (oldest dropped). Default 50,000. */
  maxSessions?: number;
  /** Newest sessions remembered per item (the sample a query scans). Default 500. */
  postingsPerItem?: number;
  /** Distinct items kept per session (the first ones stay). Default 50. */
  maxSessionItems?: number;
  /** A pause longer than this (ms) starts a new session. */
  sessionGapMs: number;
}

export interface SessionQueryOptions {
  /** Neighbour sessions that vote. Default 100. */
  neighbours?: number;
  /** Items returned at most (best first). Default 100. */
  limit?: number;
  /** The asking shopper: their own sessions are no neighbours. */
  userId?: string;
  /** Newest past sessions sharing an item that are compared at all. Default 500. */
  sample?: number;
}

/** Best score first; equal scores by item id (a stable answer for equal inputs). */
function byScoreThenId(a: readonly [string, number], b: readonly [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Items of the current session that weigh (newest first): the d-th newest weighs 1 - d/QUERY_WINDOW. */
const QUERY_WINDOW = 10;
/** A query reads no more than its current session's newest this many items (callers need pass no more). */
export const SESSION_QUERY_ITEMS = QUERY_WINDOW;

/** Items before a new one in its session that count it as following them (sequential rules' window). */
const FOLLOW_WINDOW = 3;
/** Followers kept per item. */
const MAX_FOLLOWERS = 200;

/** The `keep` heaviest entries of a map (ties: all at the threshold kept), as a new map. */
function strongest(weights: ReadonlyMap<number, number>, keep: number): Map<number, number> {
  if (weights.size <= keep) return new Map(weights);
  const threshold = keepthBest([...weights.values()], keep);
  const out = new Map<number, number>();
  for (const [slot, weight] of weights) if (weight >= threshold) out.set(slot, weight);
  return out;
}

/** Distinct item ids the index learns at most (an id's slot is kept for good); later new ids are not indexed. */
const MAX_ITEMS = 1_000_000;

interface StoredSession {
  /** Monotone id: larger is newer. */
  id: number;
  userId: string;
  /** Item slots (see SessionIndex.slots), in the order first touched. */
  items: number[];
  lastTs: number;
}

export class SessionIndex {
  private readonly maxSessions: number;
  private readonly postingsPerItem: number;
  private readonly maxSessionItems: number;
  private readonly sessionGapMs: number;
  private readonly sessions = new Map<number, StoredSession>();
  /** Each shopper's open session. */
  private readonly open = new Map<string, StoredSession>();
  /** Item slot -> ids of the sessions holding it, oldest first (ids of dropped sessions are skipped, then trimmed). */
  private readonly postings: number[][] = [];
  /** Item id -> slot, and back: sessions and votes work on small integers. */
  private readonly slots = new Map<string, number>();
  private readonly ids: string[] = [];
  /**
   * Sequential rules: item slot -> (slot of an item touched after it in one session -> weight),
   * 1/k when it came k items later (k <= FOLLOW_WINDOW). At most MAX_FOLLOWERS per item are kept
   * (the strongest), pruned when twice that many have gathered.
   */
  private readonly follows: Array<Map<number, number> | undefined> = [];
  /** Votes by slot during a query (zero between queries). */
  private votes = new Float64Array(1024);
  /** A query's scratch per past session met (see vote): summed weights, 1 + distance, session id. */
  private sums = new Float64Array(1024);
  private steps = new Int32Array(1024);
  private sessionIds = new Float64Array(1024);
  /** A query's scratch: the scores of the items voted for. */
  private scores = new Float64Array(256);
  private nextId = 1;

  constructor(options: SessionIndexOptions) {
    const { maxSessions = 50_000, postingsPerItem = 500, maxSessionItems = 50, sessionGapMs } = options;
    for (const [name, value] of Object.entries({ maxSessions, postingsPerItem, maxSessionItems })) {
      if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
    }
    if (!(sessionGapMs > 0)) throw new RangeError(`sessionGapMs must be positive, got ${sessionGapMs}`);
    this.maxSessions = maxSessions;
    this.postingsPerItem = postingsPerItem;
    this.maxSessionItems = maxSessionItems;
    this.sessionGapMs = sessionGapMs;
  }

  /** Sessions held. */
  get size(): number {
    return this.sessions.size;
  }

  /** The shopper touched `items` at `ts`: they join their open session (or a new one after a pause). */
  add(userId: string, items: readonly string[], ts: number): void {
    if (items.length === 0) return;
    let session = this.open.get(userId);
    if (!session || ts - session.lastTs > this.sessionGapMs || !this.sessions.has(session.id)) {
      session = { id: this.nextId++, userId, items: [], lastTs: ts };
      this.sessions.set(session.id, session);
      this.open.set(userId, session);
      this.evict();
    }
    session.lastTs = Math.max(session.lastTs, ts);
    for (const itemId of items) {
      const slot = this.slotOf(itemId);
      if (slot === undefined || session.items.length >= this.maxSessionItems || session.items.includes(slot)) continue;
      this.countFollowing(session.items, slot);
      session.items.push(slot);
      const posting = this.postings[slot]!;
      posting.push(session.id);
      // Trimmed in chunks: a shift per push would be O(n).
      if (posting.length >= 2 * this.postingsPerItem) posting.splice(0, posting.length - this.postingsPerItem);
    }
  }

  /** `slot` joins a session holding `before` (in order): each of the last FOLLOW_WINDOW items gains it as a follower. */
  private countFollowing(before: readonly number[], slot: number): void {
    for (let k = 1; k <= FOLLOW_WINDOW && k <= before.length; k++) {
      const from = before[before.length - k]!;
      let followers = this.follows[from];
      if (!followers) this.follows[from] = followers = new Map();
      followers.set(slot, (followers.get(slot) ?? 0) + 1 / k);
      if (followers.size >= 2 * MAX_FOLLOWERS) this.follows[from] = strongest(followers, MAX_FOLLOWERS);
    }
  }

  /**
   * What follows the shopper's newest item (sequential rules, Ludewig & Jannach 2018): the items
   * other sessions touched after it, weighted 1/k for k items later, best first (ties by itemId).
   * Empty when the index never saw anything follow it. With `filter`: the first `take` of those
   * that pass it, exactly `firstPassing(following(newest, limit), filter, take)`.
   */
  following(newest: string | undefined, limit = 100, take = limit, filter?: (itemId: string) => boolean): Array<[string, number]> {
    const slot = newest === undefined ? undefined : this.slots.get(newest);
    const followers = slot === undefined ? undefined : this.follows[slot];
    if (!followers) return [];
    // Per list: no copy of the followers, only those at least the limit-th best are named and sorted.
    const threshold = followers.size > limit ? keepthBest([...followers.values()], limit) : -Infinity;
    const out: Array<[string, number]> = [];
    for (const [follower, weight] of followers) if (weight >= threshold) out.push([this.ids[follower]!, weight]);
    out.sort(byScoreThenId);
    if (out.length > limit) out.length = limit;
    return filter === undefined && take >= limit ? out : firstPassingOf(out, take, filter);
  }

  /** The slot of an item id, made on first sight (undefined past MAX_ITEMS ids). */
  private slotOf(itemId: string): number | undefined {
    let slot = this.slots.get(itemId);
    if (slot === undefined) {
      if (this.ids.length >= MAX_ITEMS) return undefined;
      slot = this.ids.length;
      this.slots.set(itemId, slot);
      this.ids.push(itemId);
      this.postings.push([]);
    }
    return slot;
  }

  /** Forgets a shopper's open session (a merged visitor: their history moved to the member). */
  drop(userId: string): void {
    const session = this.open.get(userId);
    if (!session) return;
    this.open.delete(userId);
    this.sessions.delete(session.id);
  }

  /**
   * Items of the sessions most like `current` (the shopper's session items, newest first), with
   * raw scores, best first (ties by itemId). Empty when the index knows none of them.
   */
  query(current: readonly string[], options: SessionQueryOptions = {}): Array<[string, number]> {
    const limit = options.limit ?? 100;
    return this.queryPassing(current, options, limit);
  }

  /**
   * The first `take` items passing `filter` of {@link query}'s answer (same options), exactly
   * `firstPassing(query(current, options), filter, take)`, but only what is read is sorted (a
   * list reads ~50 of the 200 it asks for), and votes are summed with one Map read per posting.
   * Cost (the session index left by `npx tsx scripts/bench/recommend-micro.ts --items 3000
   * --lists 3000 --users 1000`, every user's list replayed, load ~10 on 2 cores): 75-105 us per
   * list against 100-120 us for the former query + firstPassing; identical answers.
   */
  queryPassing(
    current: readonly string[],
    options: SessionQueryOptions,
    take: number,
    filter?: (itemId: string) => boolean,
  ): Array<[string, number]> {
    const limit = options.limit ?? 100;
    const touched = this.vote(current, options);
    const count = touched.length;
    if (count === 0) return [];
    if (this.scores.length < count) this.scores = new Float64Array(Math.max(count, 2 * this.scores.length));
    const scores = this.scores;
    const votes = this.votes;
    for (let i = 0; i < count; i++) {
      const slot = touched[i]!;
      scores[i] = votes[slot]!;
      votes[slot] = 0;
    }
    return firstPassingBest(this.ids, touched, scores, count, limit, take, filter);
  }

  /**
   * The votes of the sessions most like `current`, left in `this.votes` by slot (the caller
   * zeroes them again); returns the slots voted for, in the order first voted for.
   */
  private vote(current: readonly string[], options: SessionQueryOptions): number[] {
    const neighbours = options.neighbours ?? 100;
    const sample = options.sample ?? 500;
    const n = Math.min(current.length, QUERY_WINDOW);
    if (n === 0) return [];
    // Per past session (entry e, in the order first met): the summed weights of the query items
    // it holds and the distance of the newest of them. (A posting is only nearly in id order: a
    // session still open can touch an item after a newer one did, so the sample is taken by id
    // afterwards, not by merging.) One Map read per posting, the sums in scratch arrays.
    const entryOf = new Map<number, number>();
    let count = 0;
    for (let d = 0; d < n; d++) {
      const slot = this.slots.get(current[d]!);
      const posting = slot === undefined ? undefined : this.postings[slot];
      if (!posting) continue;
      const weight = 1 - d / QUERY_WINDOW;
      const from = Math.max(0, posting.length - this.postingsPerItem);
      if (this.sums.length < count + posting.length - from) this.growScratch(count + posting.length - from);
      const { sums, steps, sessionIds } = this;
      for (let p = posting.length - 1; p >= from; p--) {
        const id = posting[p]!;
        const entry = entryOf.get(id);
        if (entry === undefined) {
          entryOf.set(id, count);
          sums[count] = weight;
          steps[count] = d + 1;
          sessionIds[count] = id;
          count++;
        } else sums[entry]! += weight;
      }
    }
    // The recent sample: the newest `sample` sessions (ids grow with time) still held and not the
    // asker's, newest first. Sorted as id x span + entry in one typed array (exact below 2^53).
    const { sums, steps, sessionIds } = this;
    let span = 1;
    while (span < count) span *= 2;
    let maxId = 0;
    for (let e = 0; e < count; e++) if (sessionIds[e]! > maxId) maxId = sessionIds[e]!;
    const packed = (maxId + 1) * span <= Number.MAX_SAFE_INTEGER;
    const byId = new Float64Array(count);
    for (let e = 0; e < count; e++) byId[e] = packed ? sessionIds[e]! * span + e : sessionIds[e]!;
    byId.sort();
    const chosen: StoredSession[] = [];
    const similarity: number[] = [];
    const step: number[] = [];
    for (let i = count - 1; i >= 0 && chosen.length < sample; i--) {
      const key = byId[i]!;
      const entry = packed ? key % span : entryOf.get(key)!;
      const id = packed ? (key - entry) / span : key;
      const session = this.sessions.get(id);
      if (!session || session.userId === options.userId) continue;
      chosen.push(session);
      similarity.push(sums[entry]! / n);
      step.push(steps[entry]!);
    }
    // The `neighbours` most similar, ties: the newer (chosen is newest first). Only those are sorted.
    const order = strongestFirst(similarity, neighbours);
    if (this.votes.length < this.ids.length) this.votes = new Float64Array(Math.max(this.ids.length, 2 * this.votes.length));
    const votes = this.votes;
    const touched: number[] = [];
    // A neighbour votes with its similarity divided by how far back its newest shared item is.
    for (let o = 0; o < order.length; o++) {
      const i = order[o]!;
      const vote = similarity[i]! / step[i]!;
      const items = chosen[i]!.items;
      for (let j = 0; j < items.length; j++) {
        const slot = items[j]!;
        if (votes[slot] === 0) touched.push(slot);
        votes[slot]! += vote;
      }
    }
    return touched;
  }

  /** Grows the query's scratch arrays to hold at least `size` past sessions. */
  private growScratch(size: number): void {
    const length = Math.max(size, 2 * this.sums.length);
    const grow = <T extends Float64Array | Int32Array>(old: T, fresh: T): T => {
      fresh.set(old);
      return fresh;
    };
    this.sums = grow(this.sums, new Float64Array(length));
    this.steps = grow(this.steps, new Int32Array(length));
    this.sessionIds = grow(this.sessionIds, new Float64Array(length));
  }

  private evict(): void {
    while (this.sessions.size > this.maxSessions) {
      // Map order is insertion order: the first is the oldest session.
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) return;
      const session = this.sessions.get(oldest)!;
      this.sessions.delete(oldest);
      if (this.open.get(session.userId) === session) this.open.delete(session.userId);
    }
  }
}
