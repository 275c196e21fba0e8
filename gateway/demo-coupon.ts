import type { Coupon } from '../engine/contracts/coupons.js';
import { ErrorCodes, PulseError } from '../engine/contracts/errors.js';
import type { RpcClient } from '../engine/contracts/transport.js';

/**
 * The demo checkout's coupon step (gateway/demo-checkout.ts): uses the member's coupon for the
 * checkout's order, once. The redemption comes before the order is posted: the coupon store makes
 * it one use atomically (of two checkouts racing for one coupon exactly one gets it), the engine
 * counts it in its campaign's stats, and `orders.accept` then accepts the discounted prices only
 * for the order the coupon was redeemed for.
 *
 * A retried checkout (the same key, so the same orderId: a lost answer, a double click, an order
 * post that failed after the redemption) finds its coupon used, and used for this very order: that
 * is the first attempt's redemption, so it goes on with it instead of failing or redeeming again.
 * The storefront keeps its key until the shop confirms whatever the cart becomes
 * (web/store/checkout-key.ts), so a retry with a changed cart after a failed post is such a
 * retry too, and the coupon is not lost to an order that was never accepted.
 */
export async function useCouponForOrder(
  rpc: RpcClient,
  timeoutMs: number,
  request: { memberId: string; code: string; orderId: string },
): Promise<Coupon> {
  try {
    return await rpc.call('coupons.redeem', request, timeoutMs);
  } catch (err) {
    // Used (or expired since) may be this checkout's own first attempt.
    if (!(err instanceof PulseError) || (err.code !== ErrorCodes.couponUsed && err.code !== ErrorCodes.couponExpired)) throw err;
    const { coupons } = await rpc.call('coupons.list', { memberId: request.memberId }, timeoutMs);
    const own = coupons.find((coupon) => coupon.code === request.code && coupon.orderId === request.orderId);
    if (own) return own;
    if (err.code === ErrorCodes.couponUsed)
      throw new PulseError(ErrorCodes.couponUsed, `coupon ${request.code} was already used on another order`);
    throw err;
  }
}

/** A typed code as the coupon store keys it: trimmed, upper-case. */
export function normalizeCouponCode(code: string): string {
  return code.trim().toUpperCase();
}

/** What the checkout answers about the coupon it applied. */
export interface AppliedCoupon {
  code: string;
  kind: Coupon['kind'];
  value: number;
  discountPercent?: number;
}

export function appliedCoupon(coupon: Coupon): AppliedCoupon {
  return {
    code: coupon.code,
    kind: coupon.kind,
    value: coupon.value,
    ...(coupon.discountPercent !== undefined ? { discountPercent: coupon.discountPercent } : {}),
  };
}
