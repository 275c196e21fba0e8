/**
 * Coupons on the wire (`coupons.list`, `coupons.redeem`, `rewards.redeem`, `members.history`, the
 * socket `redeem` ack). Types only, browser-safe. Stored by CouponStore (engine/members/coupon-store.ts).
 */

export type CouponKind = 'value' | 'percent';

export interface Coupon {
  /** COUPON_ALPHABET characters (logic/coupons.ts). */
  code: string;
  memberId: string;
  kind: CouponKind;
  /** Currency units off (kind `value`); 0 for kind `percent`. */
  value: number;
  /** 1..100 (kind `percent` only). */
  discountPercent?: number;
  /** Epoch ms; the coupon is expired from this instant on. */
  expiresAt: number;
  /** Epoch ms. */
  createdAt: number;
  source: { type: 'reward' | 'campaign'; id: string };
  /** Epoch ms (engine clock) of the one use. */
  redeemedAt?: number;
  orderId?: string;
}
