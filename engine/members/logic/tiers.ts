import { tierRank, type Principal, type Tier } from '../../contracts/schemas.js';

/** Lifetime points at which a member reaches each tier above `regular` (configuration). */
export interface TierThresholds {
  /** Lifetime points to become VIP (> 0). */
  vip: number;
  /** Lifetime points to become enterprise (> vip). */
  enterprise: number;
}

/** Points earned per currency unit spent, by the member's tier at the time of the purchase. */
export type PointsRates = Readonly<Record<Tier, number>>;

/** Throws RangeError unless 0 < vip < enterprise, both finite. */
export function checkTierThresholds(thresholds: TierThresholds): TierThresholds {
  const { vip, enterprise } = thresholds;
  if (!Number.isFinite(vip) || !Number.isFinite(enterprise) || vip <= 0 || enterprise <= vip) {
    throw new RangeError(`tier thresholds must satisfy 0 < vip < enterprise, got vip=${vip} enterprise=${enterprise}`);
  }
  return thresholds;
}

/**
 * The tier earned by `lifetimePoints`: a threshold reached (>=) is a tier held. Pure.
 * Negative or non-finite points are a programmer error (RangeError).
 */
export function tierFor(lifetimePoints: number, thresholds: TierThresholds): Tier {
  if (!Number.isFinite(lifetimePoints) || lifetimePoints < 0)
    throw new RangeError(`lifetimePoints must be a finite number >= 0, got ${lifetimePoints}`);
  if (lifetimePoints >= thresholds.enterprise) return 'enterprise';
  if (lifetimePoints >= thresholds.vip) return 'vip';
  return 'regular';
}

/** Points for spending `amount` currency units at `tier` (rounded down to whole points; never negative). */
export function pointsFor(amount: number, tier: Tier, rates: PointsRates): number {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be finite, got ${amount}`);
  return Math.max(0, Math.floor(amount * rates[tier]));
}

/** The highest of the given tiers; `regular` when none is given. Tiers only go up, so this is the one held. */
export function highestTier(...tiers: ReadonlyArray<Tier | undefined>): Tier {
  let highest: Tier = 'regular';
  for (const tier of tiers) if (tier !== undefined && tierRank(tier) > tierRank(highest)) highest = tier;
  return highest;
}

/** What an answer is: a list (recommend, push, similar) or a catalog route (get, list), where an admin sees every item. */
export type AnswerScope = 'list' | 'catalog';

/** True when `asker` sees every item in this scope whatever the stored tiers (an admin on catalog routes). */
export function seesEveryTier(asker: Principal, scope: AnswerScope): boolean {
  return scope === 'catalog' && asker.role === 'admin';
}

/**
 * The tier an answer for `userId`, asked by `asker`, is filtered for: the highest the engine stored
 * for the user (`stored`: the user state's tier and the member record's, absent ones ignored), so a
 * record raised by points wins over a token minted before the upgrade. The asker's token tier (a
 * storefront backend may mint member tokens with a tier) raises it only for the asker's own
 * answers, never for someone else's. Pure.
 */
export function answerTier(asker: Principal, userId: string, stored: ReadonlyArray<Tier | undefined>, scope: AnswerScope): Tier {
  if (seesEveryTier(asker, scope)) return 'enterprise';
  return highestTier(...stored, asker.userId === userId ? asker.tier : undefined);
}
