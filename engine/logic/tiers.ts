import type { Tier } from '../contracts/schemas.js';

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
  if (!Number.isFinite(lifetimePoints) || lifetimePoints < 0) throw new RangeError(`lifetimePoints must be a finite number >= 0, got ${lifetimePoints}`);
  if (lifetimePoints >= thresholds.enterprise) return 'enterprise';
  if (lifetimePoints >= thresholds.vip) return 'vip';
  return 'regular';
}

/** Points for spending `amount` currency units at `tier` (rounded down to whole points; never negative). */
export function pointsFor(amount: number, tier: Tier, rates: PointsRates): number {
  if (!Number.isFinite(amount)) throw new RangeError(`amount must be finite, got ${amount}`);
  return Math.max(0, Math.floor(amount * rates[tier]));
}
