import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { TierThresholds } from '../logic/tiers.js';
import { CouponCodeTakenError, type Coupon, type CouponStore, type RewardOutcome, type RewardRequest } from '../coupon-store.js';
import type { MemoryMemberStore } from './memory-member-store.js';

/** Redemptions never change the tier (lifetime points stay), so any thresholds do; these never trigger. */
const NO_TIER_CHANGE: TierThresholds = { vip: Number.MAX_SAFE_INTEGER - 1, enterprise: Number.MAX_SAFE_INTEGER };

export interface MemoryCouponStoreOptions {
  /**
   * The code index (code -> memberId), RedisCouponStore's `coupon:{<code>}`; a new map when not
   * given. Passing one lets a test seed a reservation without a coupon (a crash between the two steps).
   */
  codeIndex?: Map<string, string>;
}

/**
 * In-process coupons (embedded mode, tests); same semantics as RedisCouponStore, including the
 * order of the two steps (the code is reserved in the index, then the coupon stored). Rewards
 * spend points through the MemoryMemberStore (its `redemption` ledger entries), one request per
 * member at a time; a purchase or cancellation landing between the balance check and the
 * deduction is the one interleaving the in-process store allows (the points then clamp at 0, as
 * the ledger says).
 */
export class MemoryCouponStore implements CouponStore {
  /** memberId -> code -> coupon. */
  private readonly byMember = new Map<string, Map<string, Coupon>>();
  /** code -> memberId: reserved codes, each stored coupon's among them. */
  private readonly owner: Map<string, string>;
  /** `<memberId>\n<requestId>` -> code. */
  private readonly requests = new Map<string, string>();
  /** Per member, the tail of its queue of reward requests. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly members: MemoryMemberStore,
    options: MemoryCouponStoreOptions = {},
  ) {
    this.owner = options.codeIndex ?? new Map();
  }

  async issue(coupon: Coupon): Promise<boolean> {
    const claimed = this.claim(coupon.code, coupon.memberId);
    if (!(await this.members.get(coupon.memberId))) {
      if (claimed) this.owner.delete(coupon.code);
      throw new PulseError(ErrorCodes.notFound, `no member ${coupon.memberId}`);
    }
    const stored = this.byMember.get(coupon.memberId)?.get(coupon.code);
    if (stored) {
      // A retry of this very coupon changes nothing; another coupon's code is taken.
      if (!sameFields(coupon, stored)) throw new CouponCodeTakenError(coupon.code);
      return false;
    }
    this.store(coupon);
    return true;
  }

  async list(memberId: string, limit: number): Promise<Coupon[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`limit must be an integer in 1..1000, got ${limit}`);
    const coupons = [...(this.byMember.get(memberId)?.values() ?? [])];
    // Newest first; equal createdAt by code descending, like Redis ZREVRANGE.
    coupons.sort((a, b) => b.createdAt - a.createdAt || (a.code < b.code ? 1 : a.code > b.code ? -1 : 0));
    return coupons.slice(0, limit).map(copy);
  }

  async redeem(memberId: string, code: string, orderId: string, now: number): Promise<Coupon> {
    // No await below: check and mark are one step, like the Redis script.
    const coupon = this.byMember.get(memberId)?.get(code);
    if (!coupon) {
      const owner = this.owner.get(code);
      if (owner !== undefined && owner !== memberId)
        throw new PulseError(ErrorCodes.couponNotYours, `coupon ${code} belongs to another member`);
      throw new PulseError(ErrorCodes.couponNotFound, `no coupon ${code}`);
    }
    if (coupon.redeemedAt !== undefined) throw new PulseError(ErrorCodes.couponUsed, `coupon ${code} was already used`);
    if (coupon.expiresAt <= now) throw new PulseError(ErrorCodes.couponExpired, `coupon ${code} has expired`);
    coupon.redeemedAt = now;
    coupon.orderId = orderId;
    return copy(coupon);
  }

  redeemReward(memberId: string, request: RewardRequest): Promise<RewardOutcome> {
    const previous = this.queues.get(memberId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.redeemRewardNow(memberId, request));
    this.queues.set(memberId, next);
    void next
      .finally(() => {
        if (this.queues.get(memberId) === next) this.queues.delete(memberId);
      })
      .catch(() => undefined);
    return next;
  }

  private async redeemRewardNow(memberId: string, request: RewardRequest): Promise<RewardOutcome> {
    if (!Number.isInteger(request.points) || request.points <= 0)
      throw new RangeError(`reward points must be a positive integer, got ${request.points}`);
    const member = await this.members.get(memberId);
    if (!member) throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
    const prior = this.requests.get(`${memberId}\n${request.requestId}`);
    if (prior !== undefined) {
      const coupon = this.byMember.get(memberId)?.get(prior);
      if (!coupon) throw new Error(`coupon ${prior} of reward request ${request.requestId} is missing`);
      return { applied: false, coupon: copy(coupon), points: member.points };
    }
    if (member.points < request.points) {
      throw new PulseError(ErrorCodes.insufficientPoints, `this reward costs ${request.points} points; the balance is ${member.points}`, {
        points: String(member.points),
      });
    }
    const { code } = request.coupon;
    const claimed = this.claim(code, memberId);
    if (this.byMember.get(memberId)?.has(code)) throw new CouponCodeTakenError(code);
    let outcome;
    try {
      outcome = await this.members.applyPoints(
        memberId,
        { eventId: `reward:${request.requestId}`, ts: request.ts, delta: -request.points, cause: 'redemption' },
        NO_TIER_CHANGE,
      );
    } catch (err) {
      if (claimed) this.owner.delete(code);
      throw err;
    }
    const coupon = { ...request.coupon, memberId };
    this.store(coupon);
    this.requests.set(`${memberId}\n${request.requestId}`, coupon.code);
    return { applied: true, coupon: copy(coupon), points: outcome.member.points };
  }

  /** Reserves `code` for `memberId`: true when reserved now, false when it already was theirs; CouponCodeTakenError when another member's. */
  private claim(code: string, memberId: string): boolean {
    const owner = this.owner.get(code);
    if (owner === undefined) {
      this.owner.set(code, memberId);
      return true;
    }
    if (owner !== memberId) throw new CouponCodeTakenError(code);
    return false;
  }

  private store(coupon: Coupon): void {
    const coupons = this.byMember.get(coupon.memberId) ?? new Map<string, Coupon>();
    coupons.set(coupon.code, copy(coupon));
    this.byMember.set(coupon.memberId, coupons);
    this.owner.set(coupon.code, coupon.memberId);
  }
}

/** Whether every field `given` sets has the same value in `stored` (as RedisCouponStore's issue script compares). */
function sameFields(given: Coupon, stored: Coupon): boolean {
  const fields = (c: Coupon): Record<string, unknown> => ({ ...c, source: undefined, sourceType: c.source.type, sourceId: c.source.id });
  const a = fields(given);
  const b = fields(stored);
  return Object.keys(a).every((key) => a[key] === undefined || a[key] === b[key]);
}

function copy(coupon: Coupon): Coupon {
  return { ...coupon, source: { ...coupon.source } };
}
