import type { Coupon, CouponKind } from '../contracts/coupons.js';

export type { Coupon, CouponKind };

/**
 * Coupons and rewards. A coupon belongs to one member and is used at most once. Redis keys (all
 * of a member's on the member's hash tag, see RedisCouponStore): `m:{<memberId>}:cp:<code>`,
 * `m:{<memberId>}:coupons`, `m:{<memberId>}:rw:<requestId>`, plus the index `coupon:{<code>}`.
 *
 * Codes are reserved per member in the index before a coupon is stored, so a code is never two
 * members'. A reservation without a coupon (a crash between the two steps) is harmless: the
 * owner's `redeem` answers `coupon_not_found`, anyone else's `coupon_not_yours`, another member
 * cannot get the code, and the owner still can (issue() with it completes the coupon).
 */
export interface CouponStore {
  /**
   * Stores a new coupon (campaigns). Idempotent for the same coupon: calling it again with the
   * same code and fields (a retry after a crash or an unknown outcome) stores nothing more and
   * returns false; true when stored now. So a caller that must give one coupon per delivery
   * draws the code once, keeps it with its delivery record, and retries with that coupon.
   * Throws PulseError `not_found` when the member does not exist, CouponCodeTakenError when the
   * code is another member's or another coupon of this member's (draw again: a fresh random code
   * never is in practice).
   */
  issue(coupon: Coupon): Promise<boolean>;
  /** The member's coupons, newest first (at most `limit`, 1..1000). */
  list(memberId: string, limit: number): Promise<Coupon[]>;
  /**
   * Uses `code` for `orderId`, in one atomic step: it must exist (`coupon_not_found`), belong to
   * `memberId` (`coupon_not_yours`), not be expired at `now` (`coupon_expired`: expiresAt <= now)
   * and not be used (`coupon_used`). Returns the coupon as redeemed; on any error nothing changes.
   */
  redeem(memberId: string, code: string, orderId: string, now: number): Promise<Coupon>;
  /**
   * Spends points on a coupon, once per `requestId`, in one atomic step: checks the balance
   * (`insufficient_points`), deducts it, appends a `redemption` ledger entry (eventId
   * `reward:<requestId>`) and stores `coupon`. A repeated requestId returns the coupon of the
   * first call with `applied: false` and changes nothing. `not_found` when there is no member;
   * CouponCodeTakenError when `coupon.code` is taken (nothing was deducted: draw again).
   */
  redeemReward(memberId: string, request: RewardRequest): Promise<RewardOutcome>;
}

/** The code is reserved for another member, or is another coupon's; nothing was written. Draw another. */
export class CouponCodeTakenError extends Error {
  override name = 'CouponCodeTakenError';
  constructor(readonly couponCode: string) {
    super(`coupon code ${couponCode} already exists`);
  }
}

export interface RewardRequest {
  /** Idempotency key of the request (per member). */
  requestId: string;
  /** Points spent (positive integer). */
  points: number;
  /** Epoch ms; the ledger entry's ts. */
  ts: number;
  /** The coupon to issue (its memberId is the member's). */
  coupon: Coupon;
}

export interface RewardOutcome {
  /** False when this requestId was redeemed before (nothing changed; `coupon` is the first one). */
  applied: boolean;
  coupon: Coupon;
  /** Spendable points after the redemption (now, for a repeat). */
  points: number;
}
