import { firstPassingBest } from './best-first.js';
import { IdRanks } from './id-ranks.js';
import { keepthBest } from './score-order.js';
import { SessionVotes } from './session-votes.js';

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
 * Cost: `add` O(1) amortised (a Map read, an array push, a posting push; a new item id also
 * amortised O(log n) string comparisons to rank it, id-ranks.ts); `query` O(query items ×
 * postingsPerItem) probes of a typed table plus O(neighbours × session length) (session-votes.ts),
 * then only the ties read are sorted, by integer rank (best-first.ts): ~25-50 µs at the defaults.
 * Memory: ~100 B per session item and per posting: ~0.1 KB per stored session item; 8 B per item id.
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
  /** The item ids' order as integers (id-ranks.ts): ties are sorted by id without comparing strings. */
  private readonly ranks = new IdRanks();
  /** A query's votes and their scratch (session-votes.ts). */
  private readonly voting = new SessionVotes();
  /** following's scratch: the followers read and their weights. */
  private followers = new Int32Array(2 * MAX_FOLLOWERS);
  private weights = new Float64Array(2 * MAX_FOLLOWERS);
  private nextId = 1;
  /** No session older than this id is held (evict's cursor). */
  private oldestId = 1;

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
    // Per list: no copy of the followers, only the best read are named and sorted (firstPassingBest).
    if (this.followers.length < followers.size) {
      this.followers = new Int32Array(2 * followers.size);
      this.weights = new Float64Array(2 * followers.size);
    }
    const { weights } = this;
    let count = 0;
    for (const [follower, weight] of followers) {
      this.followers[count] = follower;
      weights[count++] = weight;
    }
    this.ranks.refresh(this.ids);
    return firstPassingBest(this.ids, this.followers, weights, count, limit, take, filter, this.ranks);
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
      // Amortised O(log n) string comparisons per new id (id-ranks.ts); most calls do nothing.
      this.ranks.refresh(this.ids);
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
   * list reads ~50 of the 200 it asks for), and votes are summed on typed scratch (session-votes.ts).
   * Cost (the calls of `npx tsx scripts/bench/recommend-micro.ts --items 3000 --lists 3000
   * --users 1000` replayed, old and new index side by side, load ~5-8 on 2 cores): about half the
   * former Map-based vote's time per list (~45 against ~90 us at load 5); identical answers.
   */
  queryPassing(
    current: readonly string[],
    options: SessionQueryOptions,
    take: number,
    filter?: (itemId: string) => boolean,
  ): Array<[string, number]> {
    const limit = options.limit ?? 100;
    const n = Math.min(current.length, QUERY_WINDOW);
    if (n === 0) return [];
    // The newest sessions holding each query item (about oldest first) and the item's weight.
    const postings: Array<number[] | undefined> = [];
    const weights: number[] = [];
    for (let d = 0; d < n; d++) {
      const slot = this.slots.get(current[d]!);
      postings.push(slot === undefined ? undefined : this.postings[slot]);
      weights.push(1 - d / QUERY_WINDOW);
    }
    const { voting } = this;
    const count = voting.vote(postings, weights, this.postingsPerItem, this.sessions, {
      userId: options.userId,
      sample: options.sample ?? 500,
      neighbours: options.neighbours ?? 100,
      slots: this.ids.length,
    });
    if (count === 0) return [];
    voting.take(count);
    // O(1) unless ids wait for a rank (id-ranks.ts: amortised O(log n) string comparisons per id).
    this.ranks.refresh(this.ids);
    return firstPassingBest(this.ids, voting.touched, voting.scores, count, limit, take, filter, this.ranks);
  }

  private evict(): void {
    while (this.sessions.size > this.maxSessions) {
      // Ids grow with creation and a session is stored once, so the oldest is the smallest id still
      // held: a cursor finds it. (Not `sessions.keys().next()`: V8 walks the holes that deletes at a
      // Map's front leave until it rehashes, ~14 us per eviction at 50,000 sessions.)
      let session = this.sessions.get(this.oldestId);
      while (session === undefined) session = this.sessions.get(++this.oldestId);
      this.sessions.delete(this.oldestId++);
      if (this.open.get(session.userId) === session) this.open.delete(session.userId);
    }
  }
}
