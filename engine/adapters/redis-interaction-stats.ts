import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { InteractionStats, InteractionUpdate } from '../ports/interaction-stats.js';
import { RECORD_INTERACTION, callRedis, checkKeyPrefix } from './redis-scripts.js';

/**
 * Time-decayed popularity uses forward decay: an event at time `ts` adds
 * `weight * 2^((ts - landmark) / halfLife)`, so later events weigh exponentially more and the
 * ranking equals a popularity decayed to "now" without ever rewriting old scores.
 *
 * Range: the landmark starts at FORWARD_DECAY_EPOCH_MS (2020-01-01). With a fixed landmark the
 * factor would overflow a double (2^1024) 1024 half-lives after it: in 2039 with a 7-day
 * half-life, after 17 hours with a 60 s one. So whenever an event's exponent exceeds
 * RESCALE_EXPONENT, the landmark moves forward by whole half-lives and every stored score is
 * multiplied by the same power of two (exact in binary floating point, ranking unchanged). Scores
 * then stay below sum(weights) * 2^64. An event older than the landmark by more than ~1074
 * half-lives adds 0 (it would have decayed away anyway). Event times more than
 * MAX_FUTURE_SKEW_MS ahead of the clock are clamped, so one bad timestamp can't wipe the scores.
 * All writers must use the same half-life.
 */
export const FORWARD_DECAY_EPOCH_MS = Date.UTC(2020, 0, 1);
export const RESCALE_EXPONENT = 64;
export const MAX_FUTURE_SKEW_MS = 24 * 3600 * 1000;
export const DEFAULT_MAX_NEIGHBOURS = 200;

export interface RedisInteractionStatsOptions {
  /** Half-life of popularity, in seconds of event time. */
  popularityHalfLifeSeconds: number;
  /** How long a recorded event key is remembered for dedupe, in seconds. */
  dedupeTtlSeconds: number;
  /** Neighbours kept per item in co-visitation (trimmed once a list holds 1.5 times this). Default 200. */
  maxNeighbours?: number;
  keyPrefix?: string;
}

/**
 * Shop-wide aggregates in Redis, all under the hash tag `{g}`:
 * `agg:{g}:pop` (zset item -> forward-decayed popularity), `agg:{g}:landmark` (epoch ms of the
 * decay landmark), `agg:{g}:cov:<itemId>` (zset neighbour -> co-visitation weight),
 * `agg:{g}:done:<eventKey>` (dedupe marker, expires after dedupeTtlSeconds).
 */
export class RedisInteractionStats implements InteractionStats {
  private readonly prefix: string;
  private readonly halfLifeMs: number;
  private readonly dedupeTtlSeconds: number;
  private readonly maxNeighbours: number;

  constructor(
    private readonly redis: Redis,
    options: RedisInteractionStatsOptions,
  ) {
    this.prefix = `${checkKeyPrefix(options.keyPrefix ?? '')}agg:{g}:`;
    this.halfLifeMs = checkHalfLife(options.popularityHalfLifeSeconds) * 1000;
    this.maxNeighbours = checkMaxNeighbours(options.maxNeighbours ?? DEFAULT_MAX_NEIGHBOURS);
    if (!Number.isInteger(options.dedupeTtlSeconds) || options.dedupeTtlSeconds < 1) {
      throw invalid(`dedupeTtlSeconds must be a positive integer, got ${options.dedupeTtlSeconds}`);
    }
    this.dedupeTtlSeconds = options.dedupeTtlSeconds;
  }

  async record(eventKey: string, update: InteractionUpdate): Promise<boolean> {
    checkEventKey(eventKey);
    checkInteractionUpdate(update);
    // one co-visitation key per distinct item of the pairs; pairs refer to them by KEYS index
    const covItems: string[] = [];
    const keyIndex = new Map<string, number>();
    const indexOf = (itemId: string): number => {
      let index = keyIndex.get(itemId);
      if (index === undefined) {
        covItems.push(itemId);
        index = 3 + covItems.length; // KEYS[1..3] are marker, pop, landmark
        keyIndex.set(itemId, index);
      }
      return index;
    };
    const pairArgs: Array<string | number> = [];
    for (const [a, b, weight] of update.pairs) {
      if (a === b) continue;
      pairArgs.push(indexOf(a), indexOf(b), String(weight));
    }
    const keys = [`${this.prefix}done:${eventKey}`, `${this.prefix}pop`, `${this.prefix}landmark`, ...covItems.map((id) => this.covKey(id))];
    const args: Array<string | number> = [
      this.dedupeTtlSeconds,
      update.ts,
      this.halfLifeMs,
      this.maxNeighbours,
      FORWARD_DECAY_EPOCH_MS,
      RESCALE_EXPONENT,
      MAX_FUTURE_SKEW_MS,
      covItems.length,
      ...covItems,
      update.items.length,
      ...update.items.flatMap(([itemId, weight]) => [itemId, String(weight)]),
      pairArgs.length / 3,
      ...pairArgs,
    ];
    return (await RECORD_INTERACTION.run(this.redis, keys, args)) === 1;
  }

  async popular(limit: number): Promise<Array<[string, number]>> {
    checkLimit(limit);
    if (limit === 0) return [];
    const reply = await callRedis('popular', () => this.redis.zrevrangebyscore(`${this.prefix}pop`, '+inf', '(0', 'WITHSCORES', 'LIMIT', 0, limit));
    return normalisePopular(parseWithScores(reply));
  }

  async coVisited(itemId: string, limit: number): Promise<Array<[string, number]>> {
    checkItemId(itemId);
    checkLimit(limit);
    if (limit === 0) return [];
    const reply = await callRedis('coVisited', () => this.redis.zrevrange(this.covKey(itemId), 0, limit - 1, 'WITHSCORES'));
    return parseWithScores(reply);
  }

  private covKey(itemId: string): string {
    return `${this.prefix}cov:${itemId}`;
  }
}

/** WITHSCORES replies: a flat [member, score, ...] array (RESP2 shape) or [member, score] pairs (RESP3 mapping). */
function parseWithScores(reply: unknown): Array<[string, number]> {
  if (!Array.isArray(reply)) throw new Error(`unexpected WITHSCORES reply: ${typeof reply}`);
  const out: Array<[string, number]> = [];
  if (reply.length > 0 && Array.isArray(reply[0])) {
    for (const [member, score] of reply as Array<[unknown, unknown]>) out.push([String(member), Number(score)]);
    return out;
  }
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
  return out;
}

// ---- shared with MemoryInteractionStats ----

/** Scores relative to the best (best first in, best first out); non-positive scores are dropped. */
export function normalisePopular(ranked: Array<[string, number]>): Array<[string, number]> {
  const positive = ranked.filter(([, score]) => score > 0);
  const best = positive[0]?.[1];
  if (best === undefined) return [];
  return positive.map(([itemId, score]) => [itemId, score / best]);
}

export function checkHalfLife(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds <= 0) throw invalid(`popularityHalfLifeSeconds must be a positive number, got ${seconds}`);
  return seconds;
}

export function checkMaxNeighbours(value: number): number {
  if (!Number.isInteger(value) || value < 1) throw invalid(`maxNeighbours must be a positive integer, got ${value}`);
  return value;
}

export function checkEventKey(eventKey: string): void {
  if (typeof eventKey !== 'string' || eventKey.length < 1 || eventKey.length > 512) throw invalid('eventKey must be 1 to 512 characters');
}

export function checkItemId(itemId: string): void {
  if (typeof itemId !== 'string' || itemId.length < 1 || itemId.length > 512) throw invalid('itemId must be 1 to 512 characters');
}

export function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 0 || limit > 10_000) throw invalid(`limit must be an integer in [0, 10000], got ${limit}`);
}

/** Rejects a malformed update before anything is written. */
export function checkInteractionUpdate(update: InteractionUpdate): void {
  if (!Number.isFinite(update.ts) || update.ts <= 0) throw invalid(`ts must be epoch ms, got ${update.ts}`);
  for (const [itemId, weight] of update.items) {
    checkItemId(itemId);
    if (!Number.isFinite(weight)) throw invalid(`popularity weight of "${itemId}" must be finite`);
  }
  for (const [a, b, weight] of update.pairs) {
    checkItemId(a);
    checkItemId(b);
    if (!Number.isFinite(weight)) throw invalid(`co-visitation weight of "${a}"/"${b}" must be finite`);
  }
}

function invalid(message: string): PulseError {
  return new PulseError(ErrorCodes.invalidRequest, message);
}
