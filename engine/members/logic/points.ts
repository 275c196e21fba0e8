import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { POINTS_CAUSES, type PointsCause } from '../../contracts/members.js';
import { tierRank, type Tier } from '../../contracts/schemas.js';
import { tierFor, type PointsRates, type TierThresholds } from './tiers.js';

/**
 * Points arithmetic (pure). Rules, in one place:
 * - An order's total is Σ quantity × price over its lines (currency units). A cancellation or
 *   return is the same shape with negative quantities, so its total is negative.
 * - Its points are `total × rate(tier at that moment)`, rounded per order to a whole number, half
 *   away from zero (2.5 -> 3, -2.5 -> -3), so an order and its exact cancellation cancel out.
 * - Spendable `points` never go below 0 (a cancellation after a redemption takes back what is
 *   left); `lifetimePoints` move with orders, cancellations and adjustments (never below 0) and
 *   not with redemptions. The ledger always records the true delta.
 * - Tiers only rise: the tier is max(current, tierFor(lifetimePoints)). A cancellation does not
 *   demote (a member never loses items they were shown); the lowered lifetime points count again
 *   toward the next threshold.
 */

export { POINTS_CAUSES, type PointsCause };

/** One order line as far as points go. */
export interface PricedLine {
  quantity: number;
  /** Unit price (currency units). */
  price: number;
}

/** Σ quantity × price (currency units; negative for a cancellation). */
export function orderTotal(lines: readonly PricedLine[]): number {
  let total = 0;
  for (const line of lines) total += line.quantity * line.price;
  if (!Number.isFinite(total)) throw new RangeError(`order total is not finite`);
  return total;
}

/** Rounds to an integer, half away from zero; cents noise (e.g. 2.4999999997) is absorbed first. */
export function roundHalfAwayFromZero(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`value must be finite, got ${value}`);
  const cleaned = Math.round(value * 1e6) / 1e6;
  const rounded = Math.sign(cleaned) * Math.round(Math.abs(cleaned));
  return rounded === 0 ? 0 : rounded; // no -0 in ledgers
}

/** Signed points for an order total at `tier` (negative for a cancellation). */
export function orderPoints(total: number, tier: Tier, rates: PointsRates): number {
  return roundHalfAwayFromZero(total * rates[tier]);
}

/**
 * Splits an order's points over its lines in proportion to each line's amount (quantity x price),
 * by largest remainder: each line gets the floor of its exact share, and the points left over go
 * one each to the lines with the largest fractions (ties: the earlier line). The shares sum to
 * `points` exactly, so returning every line reverses exactly what the order earned. `points` is
 * a whole number >= 0; an order of total 0 gives every line 0.
 */
export function splitPoints(points: number, lines: readonly PricedLine[]): number[] {
  if (!Number.isSafeInteger(points) || points < 0) throw new RangeError(`points must be a whole number >= 0, got ${points}`);
  const total = orderTotal(lines);
  if (points === 0 || total <= 0) return lines.map(() => 0);
  const exact = lines.map((line) => (points * line.quantity * line.price) / total);
  const shares = exact.map(Math.floor);
  let left = points - shares.reduce((sum, share) => sum + share, 0);
  // Float shares may land a hair off: `left` is then outside 0..lines-1 by one; both ways are settled here.
  const byFraction = exact.map((value, i) => ({ i, fraction: value - shares[i]! })).sort((a, b) => b.fraction - a.fraction || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % byFraction.length, left--) shares[byFraction[k]!.i]!++;
  for (let k = byFraction.length - 1; left < 0; k = (k - 1 + byFraction.length) % byFraction.length) {
    const i = byFraction[k]!.i;
    if (shares[i]! > 0) {
      shares[i]!--;
      left++;
    }
  }
  return shares;
}

/**
 * Points reversed in all once `returned` of a line's `quantity` units came back, for a line that
 * earned `earned` points: round-half-up(earned x returned / quantity), computed in whole numbers
 * (exact up to 2^53), so the whole line returned reverses exactly `earned`. A later return of the
 * same line reverses the difference to the earlier total. The Redis order script mirrors it.
 */
export function reversedPoints(earned: number, quantity: number, returned: number): number {
  if (returned >= quantity) return earned;
  const whole = Math.floor(earned / quantity) * returned;
  const rest = earned % quantity;
  return whole + Math.floor((2 * rest * returned + quantity) / (2 * quantity));
}

/** `order` for a total >= 0, `cancellation` below. */
export function orderCause(total: number): 'order' | 'cancellation' {
  return total < 0 ? 'cancellation' : 'order';
}

/** A member's points position. */
export interface PointsBalance {
  points: number;
  lifetimePoints: number;
  tier: Tier;
}

/** The balance after `delta` of `cause` (the rules above). Pure; mirrored by the Redis script. */
export function nextBalance(current: PointsBalance, delta: number, cause: PointsCause, thresholds: TierThresholds): PointsBalance {
  if (!Number.isInteger(delta)) throw new RangeError(`delta must be an integer, got ${delta}`);
  const points = Math.max(0, current.points + delta);
  const lifetimePoints = cause === 'redemption' ? current.lifetimePoints : Math.max(0, current.lifetimePoints + delta);
  const earned = tierFor(lifetimePoints, thresholds);
  const tier = tierRank(earned) > tierRank(current.tier) ? earned : current.tier;
  return { points, lifetimePoints, tier };
}

/** Throws PulseError `invalid_request` unless the change is applicable (whole delta, known cause, an event id). */
export function checkPointsChange(change: { eventId: string; ts: number; delta: number; cause: string; orderId?: string }): void {
  const problems: string[] = [];
  if (typeof change.eventId !== 'string' || change.eventId.length === 0 || change.eventId.length > 200)
    problems.push('eventId must be 1..200 characters');
  if (!Number.isSafeInteger(change.delta)) problems.push(`delta must be a safe integer, got ${change.delta}`);
  if (!Number.isSafeInteger(change.ts) || change.ts < 0) problems.push('ts must be epoch ms (integer)');
  if (!(POINTS_CAUSES as readonly string[]).includes(change.cause)) problems.push(`cause must be one of ${POINTS_CAUSES.join(', ')}`);
  if (change.orderId !== undefined && (typeof change.orderId !== 'string' || change.orderId.length < 1 || change.orderId.length > 200))
    problems.push('orderId must be 1..200 characters');
  if (problems.length > 0) throw new PulseError(ErrorCodes.invalidRequest, `invalid points change: ${problems.join('; ')}`);
}

/** Throws PulseError `invalid_request` unless 1 <= limit <= 1000 and `before` is a positive integer. */
export function checkLedgerPage(page: { limit: number; before?: number }): void {
  if (!Number.isInteger(page.limit) || page.limit < 1 || page.limit > 1000)
    throw new PulseError(ErrorCodes.invalidRequest, `limit must be an integer in 1..1000, got ${page.limit}`);
  if (page.before !== undefined && (!Number.isSafeInteger(page.before) || page.before < 1))
    throw new PulseError(ErrorCodes.invalidRequest, `before must be a positive integer, got ${page.before}`);
}
