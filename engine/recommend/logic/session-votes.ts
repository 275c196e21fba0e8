import { strongestOrder } from './best-first.js';

/**
 * The vote of one "sessions like yours" query (session-neighbours.ts, whose module comment gives
 * the method), on typed scratch kept between queries: nothing per posting is allocated, and the
 * past sessions met are found by an open-addressing table of session ids (a Map per query before).
 * Answers are exactly those of the former Map-based vote: the same sessions, the same order of
 * the neighbours, the votes summed in the same order (bit-identical scores).
 *
 * Cost per query: O(postings scanned) table probes, O(m log m) to order the m sessions met by id,
 * a Map read per session compared (at most `sample`, fewer when dropped or the asker's), and
 * O(neighbours x session length) vote additions.
 */

/** What a vote reads of a stored session. */
export interface VotingSession {
  userId: string;
  /** Item slots, in the order first touched. */
  items: readonly number[];
}

/** Sessions met up to this many are ordered by id by insertion, more natively (packed keys). */
const INSERTION_SORT_MAX = 64;

export class SessionVotes {
  /** Votes by slot during a query (zero between queries: `take` zeroes what it reads). */
  private votes = new Float64Array(1024);
  /** The slots voted for, touched[0, count) in the order first voted for. */
  touched = new Int32Array(1024);
  /** The touched slots' votes after `take`. */
  scores = new Float64Array(1024);
  /** Per past session met (entry e, in the order first met): summed weights, 1 + distance, id. */
  private sums = new Float64Array(1024);
  private steps = new Int32Array(1024);
  private sessionIds = new Float64Array(1024);
  /** Open addressing, session id -> entry + 1 (0: free); `cells[e]` is entry e's cell. */
  private table = new Int32Array(4096);
  private cells = new Int32Array(1024);
  /** Entries ordered by id (and their sort keys), then the sessions compared: session, similarity, step. */
  private picked = new Int32Array(1024);
  private keys = new Float64Array(1024);
  private readonly chosen: VotingSession[] = [];
  /** The held sessions by entry while choosing (a dense array, cleared after use). */
  private readonly found: Array<VotingSession | undefined> = [];
  private similarity = new Float64Array(1024);
  private step = new Int32Array(1024);
  private order = new Int32Array(128);

  /**
   * Votes of the `neighbours` sessions most like a query whose d-th newest item (d < n) is held by
   * the sessions `postings[d]` (ids, about oldest first; the newest `postingsPerItem` read) and
   * weighs `weights[d]`: leaves the votes to `take` and returns how many slots were voted for.
   */
  vote(
    postings: ReadonlyArray<readonly number[] | undefined>,
    weights: readonly number[],
    postingsPerItem: number,
    sessions: ReadonlyMap<number, VotingSession>,
    options: { userId: string | undefined; sample: number; neighbours: number; slots: number },
  ): number {
    const n = postings.length;
    let count = 0;
    for (let d = 0; d < n; d++) {
      const posting = postings[d];
      if (!posting) continue;
      const weight = weights[d]!;
      const from = Math.max(0, posting.length - postingsPerItem);
      this.fit(count + posting.length - from);
      const { sums, steps, sessionIds, table, cells } = this;
      const mask = table.length - 1;
      for (let p = posting.length - 1; p >= from; p--) {
        const id = posting[p]!;
        let cell = id & mask;
        let entry = table[cell]! - 1;
        while (entry >= 0 && sessionIds[entry] !== id) entry = table[(cell = (cell + 1) & mask)]! - 1;
        if (entry < 0) {
          table[cell] = count + 1;
          cells[count] = cell;
          sums[count] = weight;
          steps[count] = d + 1;
          sessionIds[count] = id;
          count++;
        } else sums[entry]! += weight;
      }
    }
    for (let e = 0; e < count; e++) this.table[this.cells[e]!] = 0;
    if (count === 0) return 0;
    const chosen = this.choose(count, n, sessions, options.userId, options.sample);
    const similarity = this.similarity;
    const order = this.order.length >= chosen ? this.order : (this.order = new Int32Array(Math.max(chosen, 2 * this.order.length)));
    const voters = strongestOrder(similarity, chosen, options.neighbours, order);
    if (this.votes.length < options.slots) this.votes = new Float64Array(Math.max(options.slots, 2 * this.votes.length));
    if (this.touched.length < options.slots) this.touched = new Int32Array(Math.max(options.slots, 2 * this.touched.length));
    const { votes, touched, step } = this;
    let touchedCount = 0;
    // A neighbour votes with its similarity divided by how far back its newest shared item is.
    for (let o = 0; o < voters; o++) {
      const i = order[o]!;
      const vote = similarity[i]! / step[i]!;
      const items = this.chosen[i]!.items;
      for (let j = 0; j < items.length; j++) {
        const slot = items[j]!;
        if (votes[slot] === 0) touched[touchedCount++] = slot;
        votes[slot]! += vote;
      }
    }
    this.chosen.length = 0;
    return touchedCount;
  }

  /** Moves the votes of touched[0, count) to scores[0, count) and zeroes them for the next query. */
  take(count: number): void {
    if (this.scores.length < count) this.scores = new Float64Array(Math.max(count, 2 * this.scores.length));
    const { scores, votes, touched } = this;
    for (let i = 0; i < count; i++) {
      const slot = touched[i]!;
      scores[i] = votes[slot]!;
      votes[slot] = 0;
    }
  }

  /**
   * The recent sample: of the `count` sessions met, the newest `sample` (ids grow with time) still
   * held and not the asker's, newest first, into chosen / similarity / step; returns how many.
   * (A posting is only nearly in id order: a session still open can touch an item after a newer
   * one did, so the sample is taken by id afterwards, not by merging postings.) When all met fit
   * the sample, the held ones are found first and only they are ordered.
   */
  private choose(
    count: number,
    n: number,
    sessions: ReadonlyMap<number, VotingSession>,
    userId: string | undefined,
    sample: number,
  ): number {
    const { picked, sessionIds, chosen, similarity, step, sums, steps, found } = this;
    let chosenCount = 0;
    if (count <= sample) {
      let held = 0;
      for (let e = 0; e < count; e++) {
        const session = sessions.get(sessionIds[e]!);
        if (session && session.userId !== userId) {
          found[e] = session;
          picked[held++] = e;
        }
      }
      this.byIdNewestFirst(held, count);
      for (let i = 0; i < held; i++) {
        const e = picked[i]!;
        chosen.push(found[e]!);
        found[e] = undefined;
        similarity[chosenCount] = sums[e]! / n;
        step[chosenCount++] = steps[e]!;
      }
      return chosenCount;
    }
    for (let e = 0; e < count; e++) picked[e] = e;
    this.byIdNewestFirst(count, count);
    for (let i = 0; i < count && chosenCount < sample; i++) {
      const e = picked[i]!;
      const session = sessions.get(sessionIds[e]!);
      if (!session || session.userId === userId) continue;
      chosen.push(session);
      similarity[chosenCount] = sums[e]! / n;
      step[chosenCount++] = steps[e]!;
    }
    return chosenCount;
  }

  /** Orders picked[0, count) (entries < `entries`) by session id, newest (largest) first (ids are distinct). */
  private byIdNewestFirst(count: number, entries: number): void {
    const { picked, sessionIds } = this;
    if (count <= INSERTION_SORT_MAX) {
      for (let i = 1; i < count; i++) {
        const e = picked[i]!;
        const id = sessionIds[e]!;
        let j = i - 1;
        for (; j >= 0 && sessionIds[picked[j]!]! < id; j--) picked[j + 1] = picked[j]!;
        picked[j + 1] = e;
      }
      return;
    }
    // Packed as id x span + entry, sorted natively (exact below 2^53), read from the back.
    let span = 1;
    while (span < entries) span *= 2;
    let maxId = 0;
    for (let i = 0; i < count; i++) maxId = Math.max(maxId, sessionIds[picked[i]!]!);
    if ((maxId + 1) * span > Number.MAX_SAFE_INTEGER) {
      const sorted = Array.from(picked.subarray(0, count)).sort((a, b) => sessionIds[b]! - sessionIds[a]!);
      picked.set(sorted);
      return;
    }
    const keys = this.keys.subarray(0, count);
    for (let i = 0; i < count; i++) keys[i] = sessionIds[picked[i]!]! * span + picked[i]!;
    keys.sort();
    for (let i = 0; i < count; i++) picked[i] = keys[count - 1 - i]! % span;
  }

  /** Room for `size` entries met, and a table at most half full with them. */
  private fit(size: number): void {
    if (this.sums.length < size) {
      const length = Math.max(size, 2 * this.sums.length);
      const grow = <T extends Float64Array | Int32Array>(old: T, fresh: T): T => {
        fresh.set(old);
        return fresh;
      };
      this.sums = grow(this.sums, new Float64Array(length));
      this.steps = grow(this.steps, new Int32Array(length));
      this.sessionIds = grow(this.sessionIds, new Float64Array(length));
      this.cells = grow(this.cells, new Int32Array(length));
      this.picked = new Int32Array(length);
      this.keys = new Float64Array(length);
      this.similarity = new Float64Array(length);
      this.step = new Int32Array(length);
    }
    while (this.found.length < this.sums.length) this.found.push(undefined);
    if (2 * size > this.table.length) this.rehash(size);
  }

  /** A table for at least 2 x `size` cells, holding the entries met so far (entries < size). */
  private rehash(size: number): void {
    let length = this.table.length;
    while (2 * size > length) length *= 2;
    // The entries met so far: their cells are the nonzero ones of the old table.
    const old = this.table;
    const table = new Int32Array(length);
    const mask = length - 1;
    for (let c = 0; c < old.length; c++) {
      const stored = old[c]!;
      if (stored === 0) continue;
      let cell = this.sessionIds[stored - 1]! & mask;
      while (table[cell] !== 0) cell = (cell + 1) & mask;
      table[cell] = stored;
      this.cells[stored - 1] = cell;
    }
    this.table = table;
  }
}
