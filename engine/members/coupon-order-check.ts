import { couponPriceProblem } from '../contracts/coupon-prices.js';
import { ErrorCodes, PulseError } from '../contracts/errors.js';
import type { Order } from '../contracts/orders.js';
import type { Item } from '../contracts/schemas.js';
import type { CouponStore } from './coupon-store.js';

/** Coupons looked through for the order's code (coupons.list's own limit). */
const LIST_LIMIT = 1000;

/**
 * The checks of a paid order that carries `couponCode` (instead of the plain price check): the
 * coupon is the order's member's and was redeemed for this very orderId (the member's
 * `coupons.redeem` comes first: one use, counted in its campaign), every line's item is in the
 * catalog, and the prices stay within the coupon's discount of the catalog's
 * (couponPriceProblem). Throws `coupon_not_found` (no such coupon of this member),
 * `coupon_used` (redeemed for another order, or not redeemed yet), `unknown_item`,
 * `price_mismatch`. Cost: one coupon list read.
 */
export async function checkCouponOrder(
  order: Order,
  deps: { coupons?: Pick<CouponStore, 'list'> | undefined; catalog: { get(itemId: string): Item | undefined }; priceTolerance: number },
): Promise<void> {
  const code = order.couponCode;
  if (code === undefined) return;
  if (!deps.coupons) throw new PulseError(ErrorCodes.invalidRequest, 'this engine serves no coupons: send the order without couponCode');
  const coupon = (await deps.coupons.list(order.userId, LIST_LIMIT)).find((c) => c.code === code);
  if (!coupon) throw new PulseError(ErrorCodes.couponNotFound, `member ${order.userId} has no coupon ${code}`);
  if (coupon.orderId !== order.orderId)
    throw new PulseError(
      ErrorCodes.couponUsed,
      coupon.orderId === undefined
        ? `coupon ${code} is not redeemed yet: redeem it for order ${order.orderId} first`
        : `coupon ${code} was used on another order`,
    );
  for (const [index, line] of order.lines.entries())
    if (!deps.catalog.get(line.itemId))
      throw new PulseError(ErrorCodes.unknownItem, `line ${index}: item ${line.itemId} is not in the catalog`, {
        itemId: line.itemId,
        line: String(index),
      });
  const problem = couponPriceProblem(order.lines, (itemId) => deps.catalog.get(itemId)?.price, deps.priceTolerance, coupon);
  if (problem)
    throw new PulseError(ErrorCodes.priceMismatch, `${problem.message} (coupon ${code}, tolerance ${deps.priceTolerance * 100}%)`, {
      line: String(problem.line),
      couponCode: code,
    });
}
