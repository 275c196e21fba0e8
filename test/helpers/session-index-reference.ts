/**
 * A straightforward "sessions like yours" and "what follows" (engine/recommend/logic/session-neighbours.ts)
 * for tests: Maps keyed by ids, everything sorted in full, the module comment followed line by
 * line. The engine's SessionIndex must answer exactly as this does (bit-identical scores: the
 * floating-point sums are made in the same order).
 */

interface Session {
  id: number;
  userId: string;
  items: string[];
  lastTs: number;
}

const QUERY_WINDOW = 10;
const FOLLOW_WINDOW = 3;
const MAX_FOLLOWERS = 200;

/** Best score first, ties by id ascending. */
const byScoreThenId = (a: [string, number], b: [string, number]): number => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export class ReferenceSessionIndex {
  private readonly sessions = new Map<number, Session>();
  private readonly open = new Map<string, Session>();
  /** Item -> ids of the sessions holding it, oldest first. */
  private readonly postings = new Map<string, number[]>();
  private readonly follows = new Map<string, Map<string, number>>();
  private nextId = 1;

  constructor(private readonly options: { maxSessions: number; postingsPerItem: number; maxSessionItems: number; sessionGapMs: number }) {}

  add(userId: string, items: readonly string[], ts: number): void {
    if (items.length === 0) return;
    let session = this.open.get(userId);
    if (!session || ts - session.lastTs > this.options.sessionGapMs || !this.sessions.has(session.id)) {
      session = { id: this.nextId++, userId, items: [], lastTs: ts };
      this.sessions.set(session.id, session);
      this.open.set(userId, session);
      while (this.sessions.size > this.options.maxSessions) {
        const oldest = this.sessions.values().next().value!;
        this.sessions.delete(oldest.id);
        if (this.open.get(oldest.userId) === oldest) this.open.delete(oldest.userId);
      }
    }
    session.lastTs = Math.max(session.lastTs, ts);
    for (const item of items) {
      if (session.items.length >= this.options.maxSessionItems || session.items.includes(item)) continue;
      for (let k = 1; k <= FOLLOW_WINDOW && k <= session.items.length; k++) {
        const from = session.items[session.items.length - k]!;
        const followers = this.follows.get(from) ?? new Map<string, number>();
        this.follows.set(from, followers);
        followers.set(item, (followers.get(item) ?? 0) + 1 / k);
        if (followers.size >= 2 * MAX_FOLLOWERS) {
          // The strongest MAX_FOLLOWERS stay, with all tied at the last one's weight.
          const threshold = [...followers.values()].sort((a, b) => b - a)[MAX_FOLLOWERS - 1]!;
          for (const [follower, weight] of followers) if (weight < threshold) followers.delete(follower);
        }
      }
      session.items.push(item);
      const posting = this.postings.get(item) ?? [];
      this.postings.set(item, posting);
      posting.push(session.id);
    }
  }

  drop(userId: string): void {
    const session = this.open.get(userId);
    if (!session) return;
    this.open.delete(userId);
    this.sessions.delete(session.id);
  }

  following(newest: string | undefined, limit = 100, take = limit, filter?: (id: string) => boolean): Array<[string, number]> {
    const followers = newest === undefined ? undefined : this.follows.get(newest);
    if (!followers) return [];
    const sorted = [...followers].sort(byScoreThenId).slice(0, Math.max(0, limit));
    return sorted.filter(([id]) => filter === undefined || filter(id)).slice(0, Math.max(0, take));
  }

  queryPassing(
    current: readonly string[],
    options: { neighbours?: number; limit?: number; userId?: string; sample?: number },
    take: number,
    filter?: (id: string) => boolean,
  ): Array<[string, number]> {
    const { neighbours = 100, limit = 100, sample = 500 } = options;
    const n = Math.min(current.length, QUERY_WINDOW);
    // Past sessions sharing a query item: summed weights, and 1 + the distance of the newest shared.
    const met = new Map<number, { sum: number; step: number }>();
    for (let d = 0; d < n; d++) {
      const posting = this.postings.get(current[d]!) ?? [];
      for (const id of posting.slice(-this.options.postingsPerItem).reverse()) {
        const seen = met.get(id);
        if (seen) seen.sum += 1 - d / QUERY_WINDOW;
        else met.set(id, { sum: 1 - d / QUERY_WINDOW, step: d + 1 });
      }
    }
    // The newest `sample` still held and not the asker's; the `neighbours` most similar (ties: newer).
    const compared = [...met]
      .sort((a, b) => b[0] - a[0])
      .filter(([id]) => this.sessions.has(id) && this.sessions.get(id)!.userId !== options.userId)
      .slice(0, sample)
      .map(([id, { sum, step }], position) => ({ session: this.sessions.get(id)!, similarity: sum / n, step, position }));
    const voters = compared.sort((a, b) => b.similarity - a.similarity || a.position - b.position).slice(0, Math.max(0, neighbours));
    const votes = new Map<string, number>();
    for (const { session, similarity, step } of voters)
      for (const item of session.items) votes.set(item, (votes.get(item) ?? 0) + similarity / step);
    const sorted = [...votes].sort(byScoreThenId).slice(0, Math.max(0, limit));
    return sorted.filter(([id]) => filter === undefined || filter(id)).slice(0, Math.max(0, take));
  }
}
