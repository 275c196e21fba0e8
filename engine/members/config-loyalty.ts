import { env } from '../contracts/env.js';
import { DEFAULT_REWARDS } from './logic/coupons.js';

/** The engine's variables for members' tiers, points, orders and rewards (part of engineConfigSpec, config.ts). */
export const loyaltyConfigSpec = {
  tierVipPoints: env.int('TIER_VIP_POINTS', 1000, 'Lifetime points at which a member becomes VIP.', 1),
  tierEnterprisePoints: env.int(
    'TIER_ENTERPRISE_POINTS',
    10_000,
    'Lifetime points at which a member becomes enterprise (above TIER_VIP_POINTS).',
    1,
  ),
  pointsPerCurrencyRegular: env.number('POINTS_PER_CURRENCY_REGULAR', 1, 'Points a regular member earns per currency unit spent.', 0, 1000),
  pointsPerCurrencyVip: env.number('POINTS_PER_CURRENCY_VIP', 1.5, 'Points a VIP member earns per currency unit spent.', 0, 1000),
  pointsPerCurrencyEnterprise: env.number(
    'POINTS_PER_CURRENCY_ENTERPRISE',
    2,
    'Points an enterprise member earns per currency unit spent.',
    0,
    1000,
  ),
  orderPriceTolerance: env.number(
    'ORDER_PRICE_TOLERANCE',
    0.05,
    "How far a paid order line's unit price may differ from the catalog price, as a share of it (0.05 = 5%); beyond it `POST /v1/orders` answers 422 price_mismatch.",
    0,
    10,
  ),
  rewards: env.string(
    'REWARDS',
    DEFAULT_REWARDS,
    'Reward catalogue (JSON array of {rewardId, points, value, ttlDays}): points buy a value coupon.',
  ),
};
