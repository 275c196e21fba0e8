/**
 * The storefront's checkout key (`checkoutId` of `POST /demo/checkout`): the shop derives the
 * order id from it (gateway/demo-checkout.ts `checkoutOrderId`), and redeems a coupon for that
 * order before posting it.
 *
 * One key per order the shopper means to place, kept until the shop confirms it, whatever the
 * cart becomes meanwhile. A retry after a failed post therefore names the same order, also with
 * a changed cart or another coupon: a coupon the failed attempt redeemed was redeemed for this
 * very order id, so the shop goes on with it (demo-coupon.ts) instead of answering `coupon_used`.
 * An order the shop did accept (a lost answer) and a changed cart: the order route answers
 * `order_conflict`, and only then is the key dropped (`keyAfterRefusal`).
 */
export interface PendingCheckout {
  checkoutId: string;
  /** The coupon an attempt with this key sent: it may be redeemed for the key's order already. */
  couponCode?: string;
}

/** The key of the next attempt: the pending one (with the coupon it may hold), or `fresh()`. */
export function nextCheckout(pending: PendingCheckout | undefined, couponCode: string | undefined, fresh: () => string): PendingCheckout {
  const checkoutId = pending?.checkoutId ?? fresh();
  // A coupon sent once stays this key's: a later attempt without it may still be refused or retried with it.
  const held = couponCode ?? pending?.couponCode;
  return held === undefined ? { checkoutId } : { checkoutId, couponCode: held };
}

/**
 * After a refused attempt: the key stays (a retry names the same order), except on
 * `order_conflict`, which says an order with this key was placed already with other lines.
 */
export function keyAfterRefusal(pending: PendingCheckout, code: string): PendingCheckout | undefined {
  return code === 'order_conflict' ? undefined : pending;
}

/** A stored entry read back (older pages also stored `cart`, which no longer matters). */
export function readPending(raw: unknown): PendingCheckout | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { checkoutId, couponCode } = raw as { checkoutId?: unknown; couponCode?: unknown };
  if (typeof checkoutId !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(checkoutId)) return undefined;
  return typeof couponCode === 'string' ? { checkoutId, couponCode } : { checkoutId };
}
