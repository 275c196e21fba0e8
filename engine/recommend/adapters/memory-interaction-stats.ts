import type { InteractionStats, InteractionUpdate } from '../interaction-stats.js';
import {
  DEFAULT_MAX_NEIGHBOURS,
  FORWARD_DECAY_EPOCH_MS,
  MAX_FUTURE_SKEW_MS,
  RESCALE_EXPONENT,
  normalisePopular,
  recordFolded,
} from '../../shoppers/state-semantics.js';
import {
  checkDedupeTtl,
  checkEventKey,
  checkHalfLife,
  checkInteractionUpdate,
  checkItemId,
  checkLimit,
  checkMaxNeighbours,
} from '../../shoppers/state-validation.js';
import { ExpiringKeys } from '../../platform/adapters/expiring-keys.js';

export interface MemoryInteractionStatsOptions {
  /** Half-life of popularity, in seconds of event time. */
  popularityHalfLifeSeconds: number;
  /** Neighbours kept per item (trimmed once a list holds 1.5 times this). Default 200. */
  maxNeighbours?: number;
  /** How long a recorded event key is remembered for dedupe, in seconds. Default 7 days. */
  dedupeTtlSeconds?: number;
}

/**
 * In-process InteractionStats with the same semantics as RedisInteractionStats (conformance
 * suite), including forward decay with landmark rescaling and the neighbour-list trim rule.
 * Ties order as Redis sorted sets do: by member, reversed in best-first listings.
 */
export class MemoryInteractionStats implements InteractionStats {
  private readonly halfLifeMs: number;
  private readonly maxNeighbours: number;
  private readonly recorded: ExpiringKeys;
  private readonly popularity = new Map<string, number>();
  /** Neighbour lists (co-visitation, co-purchase, bought-after): itemId -> neighbour -> weight. */
  private readonly lists: Record<NeighbourList, Map<string, Map<string, number>>> = { cov: new Map(), cop: new Map(), aft: new Map() };
  /**
   * Each list read since its last write, best first; popularity likewise. A read copies the first
   * `limit` entries of the ordered list instead of copying and sorting the whole list (up to 1.5 x
   * maxNeighbours entries, every item for popularity): a list asks for ~20 seeds' lists, read again
   * and again between two writes of each (a catalog's popular items are written rarely per read).
   * Bounded by the lists themselves (one ordered copy of each list read).
   */
  private readonly ordered: Record<NeighbourList, Map<string, Array<[string, number]>>> = {
    cov: new Map(),
    cop: new Map(),
    aft: new Map(),
  };
  private orderedPopular: Array<[string, number]> | undefined;
  private landmark = FORWARD_DECAY_EPOCH_MS;

  constructor(options: MemoryInteractionStatsOptions) {
    this.halfLifeMs = checkHalfLife(options.popularityHalfLifeSeconds) * 1000;
    this.maxNeighbours = checkMaxNeighbours(options.maxNeighbours ?? DEFAULT_MAX_NEIGHBOURS);
    this.recorded = new ExpiringKeys(checkDedupeTtl(options.dedupeTtlSeconds ?? 7 * 24 * 3600) * 1000);
  }

  async record(eventKey: string, update: InteractionUpdate): Promise<boolean> {
    checkEventKey(eventKey);
    checkInteractionUpdate(update);
    if (this.recorded.has(eventKey)) return false;
    this.recorded.add(eventKey);
    const factor = this.decayFactor(update.ts);
    for (const [itemId, weight] of update.items) {
      const increment = weight * factor;
      if (increment === 0) continue;
      this.popularity.set(itemId, (this.popularity.get(itemId) ?? 0) + increment);
      this.orderedPopular = undefined;
    }
    this.addBothWays('cov', update.pairs);
    this.addBothWays('cop', update.coPurchases ?? []);
    const touched = new Set<string>();
    for (const [earlier, later, weight] of update.boughtAfter ?? []) {
      if (earlier === later) continue;
      this.addNeighbour('aft', earlier, later, weight);
      touched.add(earlier);
    }
    for (const itemId of touched) this.trim('aft', itemId);
    return true;
  }

  async recordMany(batchKey: string, updates: readonly InteractionUpdate[]): Promise<boolean> {
    return recordFolded(this, batchKey, updates, this.halfLifeMs);
  }

  async wasRecorded(key: string): Promise<boolean> {
    checkEventKey(key);
    return this.recorded.has(key);
  }

  async popular(limit: number): Promise<Array<[string, number]>> {
    checkLimit(limit);
    this.orderedPopular ??= bestFirst([...this.popularity].filter(([, score]) => score > 0));
    return normalisePopular(this.orderedPopular.slice(0, limit));
  }

  async coVisited(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.neighbours('cov', itemId, limit);
  }

  async coPurchased(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.neighbours('cop', itemId, limit);
  }

  async boughtAfter(itemId: string, limit: number): Promise<Array<[string, number]>> {
    return this.neighbours('aft', itemId, limit);
  }

  private neighbours(list: NeighbourList, itemId: string, limit: number): Array<[string, number]> {
    checkItemId(itemId);
    checkLimit(limit);
    const cache = this.ordered[list];
    let ordered = cache.get(itemId);
    if (ordered === undefined) {
      const scores = this.lists[list].get(itemId);
      if (scores === undefined) return [];
      ordered = bestFirst([...scores]);
      cache.set(itemId, ordered);
    }
    // Fresh pairs: a caller may keep or change what it gets, as it may a Redis reply.
    const end = Math.min(limit, ordered.length);
    const out = new Array<[string, number]>(end);
    for (let i = 0; i < end; i++) out[i] = [ordered[i]![0], ordered[i]![1]];
    return out;
  }

  /** 2^((ts - landmark) / halfLife), moving the landmark (and rescaling) as the Redis script does. */
  private decayFactor(eventTs: number): number {
    const ts = Math.min(eventTs, Date.now() + MAX_FUTURE_SKEW_MS);
    let exponent = (ts - this.landmark) / this.halfLifeMs;
    if (exponent > RESCALE_EXPONENT) {
      const shift = Math.floor(exponent);
      const scale = 2 ** -shift;
      this.orderedPopular = undefined;
      for (const [itemId, score] of this.popularity) {
        const scaled = score * scale;
        if (scaled === 0) this.popularity.delete(itemId);
        else this.popularity.set(itemId, scaled);
      }
      this.landmark += shift * this.halfLifeMs;
      exponent = (ts - this.landmark) / this.halfLifeMs; // not exponent - shift: keeps its rounding error
    }
    return 2 ** exponent;
  }

  /** Adds each pair to both items' lists, then trims every list it touched (once, at the end). */
  private addBothWays(list: NeighbourList, pairs: InteractionUpdate['pairs']): void {
    const touched = new Set<string>();
    for (const [a, b, weight] of pairs) {
      if (a === b) continue;
      this.addNeighbour(list, a, b, weight);
      this.addNeighbour(list, b, a, weight);
      touched.add(a).add(b);
    }
    for (const itemId of touched) this.trim(list, itemId);
  }

  private addNeighbour(list: NeighbourList, itemId: string, neighbour: string, weight: number): void {
    const lists = this.lists[list];
    let scores = lists.get(itemId);
    if (!scores) lists.set(itemId, (scores = new Map()));
    scores.set(neighbour, (scores.get(neighbour) ?? 0) + weight);
    this.ordered[list].delete(itemId);
  }

  /** Once a list holds more than 1.5 * maxNeighbours, keep the best maxNeighbours (its ordered copy went with the adds before). */
  private trim(list: NeighbourList, itemId: string): void {
    const scores = this.lists[list].get(itemId);
    if (!scores || scores.size <= Math.floor(this.maxNeighbours * 1.5)) return;
    const worstFirst = bestFirst([...scores]).reverse();
    for (const [neighbour] of worstFirst.slice(0, scores.size - this.maxNeighbours)) scores.delete(neighbour);
  }
}

type NeighbourList = 'cov' | 'cop' | 'aft';

/** Score descending, ties by member descending: the order of ZREVRANGE. */
function bestFirst(entries: Array<[string, number]>): Array<[string, number]> {
  return entries.sort(([aId, a], [bId, b]) => b - a || (aId < bId ? 1 : aId > bId ? -1 : 0));
}
