import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { IdSchema, zodDetails } from '../contracts/schemas.js';
import type { RpcMethod } from '../contracts/messages.js';
import { CouponCodeSchema, couponCodeFrom, DAY_MS, RequestIdSchema, type Reward } from './logic/coupons.js';
import { CouponCodeTakenError, type CouponStore } from './coupon-store.js';
import type { RpcHandler, RpcServer } from '../platform/rpc.js';
import type { CampaignStore } from '../campaigns/campaign-store.js';

export interface CouponHandlerDeps {
  coupons: CouponStore;
  /** The reward catalogue (`REWARDS`, parsed with parseRewardCatalogue). */
  rewards: readonly Reward[];
  /** Wraps each handler (metrics, error counting); identity by default. */
  wrap?: <M extends RpcMethod>(method: M, handler: RpcHandler<M>) => RpcHandler<M>;
  /** The engine's clock (epoch ms): decides expiry. */
  now?: () => number;
  /** Random bytes for coupon codes (tests pass a seeded source). */
  randomBytes?: (size: number) => Uint8Array;
  /** Counts a redeemed campaign coupon in its campaign's stats; without it campaign coupons redeem uncounted. */
  campaigns?: { store: CampaignStore; logger: Logger };
}

/** Coupons listed per member (newest first). */
const LIST_LIMIT = 1000;
/** How often a reward retries with a fresh code when the random one is taken (never, in practice). */
const CODE_ATTEMPTS = 3;

const OrderIdSchema = z.string().trim().min(1).max(200);

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problem = Object.values(zodDetails(parsed.error))[0] ?? 'invalid';
  throw new PulseError(ErrorCodes.invalidRequest, `invalid ${name}: ${problem}`, { [name]: problem });
}

/**
 * Registers `coupons.list`, `coupons.redeem`, `rewards.list` and `rewards.redeem`. Requests are validated again
 * here (the engine owns the coupons); expiry is decided by the engine's clock, not the caller's.
 */
export function registerCouponHandlers(server: RpcServer, deps: CouponHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const random = deps.randomBytes ?? randomBytes;
  const wrap = deps.wrap ?? (<M extends RpcMethod>(_method: M, handler: RpcHandler<M>) => handler);
  const rewards = new Map(deps.rewards.map((reward) => [reward.rewardId, reward]));

  server.serve(
    'coupons.list',
    wrap('coupons.list', async ({ memberId }) => {
      const id = parse(IdSchema, memberId, 'memberId');
      return { coupons: await deps.coupons.list(id, LIST_LIMIT) };
    }),
  );

  server.serve(
    'coupons.redeem',
    wrap('coupons.redeem', async (request) => {
      const id = parse(IdSchema, request.memberId, 'memberId');
      const orderId = parse(OrderIdSchema, request.orderId, 'orderId');
      // A string that cannot be a code names no coupon.
      const code = CouponCodeSchema.safeParse(request.code);
      if (!code.success) throw new PulseError(ErrorCodes.couponNotFound, 'no coupon with this code');
      const coupon = await deps.coupons.redeem(id, code.data, orderId, now());
      if (coupon.source.type === 'campaign' && deps.campaigns) await countRedemption(deps.campaigns, coupon.source.id, coupon.code);
      return coupon;
    }),
  );

  const catalogue = [...deps.rewards].sort((a, b) => a.points - b.points);
  server.serve(
    'rewards.list',
    wrap('rewards.list', async ({ memberId }) => {
      parse(IdSchema, memberId, 'memberId');
      return { rewards: catalogue.map(({ rewardId, points, value, ttlDays }) => ({ rewardId, points, value, ttlDays })) };
    }),
  );

  server.serve(
    'rewards.redeem',
    wrap('rewards.redeem', async (request) => {
      const id = parse(IdSchema, request.memberId, 'memberId');
      const requestId = parse(RequestIdSchema, request.requestId, 'requestId');
      const reward = typeof request.rewardId === 'string' ? rewards.get(request.rewardId) : undefined;
      if (!reward) throw new PulseError(ErrorCodes.rewardNotFound, `no reward ${String(request.rewardId)}`);
      for (let attempt = 1; ; attempt++) {
        const ts = now();
        const coupon = {
          code: couponCodeFrom(random(12)),
          memberId: id,
          kind: 'value' as const,
          value: reward.value,
          expiresAt: ts + reward.ttlDays * DAY_MS,
          createdAt: ts,
          source: { type: 'reward' as const, id: reward.rewardId },
        };
        try {
          const outcome = await deps.coupons.redeemReward(id, { requestId, points: reward.points, ts, coupon });
          return { coupon: outcome.coupon, points: outcome.points, applied: outcome.applied };
        } catch (err) {
          // A taken code: nothing was written, draw again.
          if (!(err instanceof CouponCodeTakenError) || attempt >= CODE_ATTEMPTS) throw err;
        }
      }
    }),
  );
}

/**
 * The redemption is done (one use, atomic); the campaign's count is a second write, once per code.
 * Its failure must not turn a used coupon into an error for the shopper: logged, not thrown.
 */
async function countRedemption(campaigns: NonNullable<CouponHandlerDeps['campaigns']>, campaignId: string, code: string): Promise<void> {
  try {
    await campaigns.store.recordRedemption(campaignId, code);
  } catch (err) {
    campaigns.logger.error({ err, campaignId }, 'campaign redemption not counted');
  }
}
