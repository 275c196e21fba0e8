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
      if (increment !== 0) this.popularity.set(itemId, (this.popularity.get(itemId) ?? 0) + increment);
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
    const positive = [...this.popularity].filter(([, score]) => score > 0);
    return normalisePopular(bestFirst(positive).slice(0, limit));
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
    return bestFirst([...(this.lists[list].get(itemId) ?? [])]).slice(0, limit);
  }

  /** 2^((ts - landmark) / halfLife), moving the landmark (and rescaling) as the Redis script does. */
  private decayFactor(eventTs: number): number {
    const ts = Math.min(eventTs, Date.now() + MAX_FUTURE_SKEW_MS);
    let exponent = (ts - this.landmark) / this.halfLifeMs;
    if (exponent > RESCALE_EXPONENT) {
      const shift = Math.floor(exponent);
      const scale = 2 ** -shift;
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
  }

  /** Once a list holds more than 1.5 * maxNeighbours, keep the best maxNeighbours. */
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
