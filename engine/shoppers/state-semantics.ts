import { emptyShopperState } from './logic/shopper-state.js';
import type { UserState } from './user-state-store.js';
import { foldInteractionUpdates } from '../stream/logic/aggregate-fold.js';
import type { InteractionStats, InteractionUpdate } from '../recommend/interaction-stats.js';

/**
 * What the Redis state adapters and their in-memory fakes must agree on beyond argument checks
 * (see state-validation.ts): the state of a user never seen, and the constants and normalisation
 * of time-decayed popularity.
 */

/** The state of a user never seen. */
export function emptyUserState(): UserState {
  return {
    vector: null,
    strength: 0,
    updatedAt: 0,
    version: 0,
    recent: [],
    bought: new Set(),
    counts: {},
    tier: 'regular',
    ...emptyShopperState(),
  };
}

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

/** Scores relative to the best (best first in, best first out); non-positive scores are dropped. */
export function normalisePopular(ranked: Array<[string, number]>): Array<[string, number]> {
  const positive = ranked.filter(([, score]) => score > 0);
  const best = positive[0]?.[1];
  if (best === undefined) return [];
  return positive.map(([itemId, score]) => [itemId, score / best]);
}

/**
 * `InteractionStats.recordMany` for both adapters: the updates folded into one (times clamped as
 * the store clamps them) and recorded once under `batchKey` by the adapter's own `record`.
 */
export async function recordFolded(
  stats: InteractionStats,
  batchKey: string,
  updates: readonly InteractionUpdate[],
  halfLifeMs: number,
): Promise<boolean> {
  const folded = foldInteractionUpdates(updates, halfLifeMs, Date.now() + MAX_FUTURE_SKEW_MS);
  return folded ? stats.record(batchKey, folded) : false;
}
