import type { Coupon } from '../../../engine/contracts/coupons.js';
import { count, money } from './format.js';

/** The rewards panel's wire shapes and its words for a refusal (rewards.ts); no DOM, so unit tests import it. */

/** One reward of `GET /v1/members/me/rewards` (the engine's `REWARDS`): `points` buy a coupon worth `value`. */
export interface Reward {
  rewardId: string;
  points: number;
  value: number;
  ttlDays: number;
}

/** `POST /v1/members/me/rewards`'s answer: the new coupon and the balance after the deduction. */
export interface Redeemed {
  coupon: Coupon;
  points: number;
}

/** The refusals the shopper can act on, in words (`describeError` for anything else). */
export function refusalText(code: string, reward: Reward, balance: number | undefined, fallback: string): string {
  if (code === 'insufficient_points')
    return `Not enough points for the ${money.format(reward.value)} coupon: it costs ${count.format(reward.points)} points${
      balance === undefined ? '' : ` and you have ${count.format(balance)}`
    }. Nothing was deducted.`;
  if (code === 'reward_not_found') return 'This reward is no longer offered. Nothing was deducted.';
  return `The reward could not be redeemed: ${fallback}`;
}
