import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { CouponCodeTakenError, type Coupon, type CouponStore, type RewardOutcome, type RewardRequest } from '../coupon-store.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { couponKeys, memberKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';

export interface RedisCouponStoreOptions {
  /** The same prefix as the RedisMemberStore's (rewards write the member's record and ledger). */
  keyPrefix?: string;
}

/**
 * Coupons in Redis. Keys (the member's share its hash tag with the member record, so a reward is
 * one script over record, ledger and coupon):
 * - `m:{<memberId>}:cp:<code>`   hash: kind, value, discountPercent?, expiresAt, createdAt, sourceType, sourceId, redeemedAt?, orderId?
 * - `m:{<memberId>}:coupons`     zset code -> createdAt (listing)
 * - `m:{<memberId>}:rw:<requestId>` the code a reward request issued (idempotency; kept for ever)
 * - `coupon:{<code>}`            the owning memberId (kept for ever); only tells "someone else's"
 *   from "no such" (redeeming reads the caller's own key).
 *
 * The index is on its own slot, so it cannot be in the member's script (not Cluster-safe). It is
 * claimed first (lua/claim-coupon-code.lua: free or already this member's), then the member's script writes the
 * coupon. Every stored coupon thus has its index; a crash between the two steps leaves only a
 * reservation: the owner's redeem answers `coupon_not_found`, anyone else's `coupon_not_yours`, and
 * no other member can get that code. A claim made by a call that then definitely wrote nothing
 * (no member, short balance, a racing repeat of the request) is released; one whose outcome is
 * unknown (Redis failed mid-call) is kept.
 */
export class RedisCouponStore implements CouponStore {
  private readonly keys: ReturnType<typeof couponKeys>;
  private readonly members: ReturnType<typeof memberKeys>;

  constructor(
    private readonly redis: Redis,
    options: RedisCouponStoreOptions = {},
  ) {
    this.keys = couponKeys(options.keyPrefix ?? '');
    this.members = memberKeys(options.keyPrefix ?? '');
    defineRedisScripts(redis);
  }

  async issue(coupon: Coupon): Promise<boolean> {
    const id = coupon.memberId;
    const claimed = await this.claim(coupon.code, id);
    const reply = await callRedis('script issueCoupon', () =>
      this.redis.issueCoupon(
        this.members.record(id),
        this.keys.coupon(id, coupon.code),
        this.keys.list(id),
        coupon.code,
        String(coupon.createdAt),
        ...encodeCoupon(coupon),
      ),
    );
    if (reply === -1) {
      if (claimed) await this.release(coupon.code, id);
      throw new PulseError(ErrorCodes.notFound, `no member ${id}`);
    }
    // The index stays: the code is this member's (their other coupon's).
    if (reply === -2) throw new CouponCodeTakenError(coupon.code);
    return reply === 1;
  }

  async list(memberId: string, limit: number): Promise<Coupon[]> {
    checkLimit(limit);
    const codes = await callRedis('list coupons', () => this.redis.zrevrange(this.keys.list(memberId), 0, limit - 1));
    if (codes.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const code of codes) pipeline.hgetall(this.keys.coupon(memberId, code));
    const replies = (await callRedis('read coupons', () => pipeline.exec())) ?? [];
    const coupons: Coupon[] = [];
    replies.forEach(([err, fields], i) => {
      if (err) throw err;
      const coupon = decodeCoupon(memberId, codes[i]!, fields as Record<string, string>);
      if (coupon) coupons.push(coupon);
    });
    return coupons;
  }

  async redeem(memberId: string, code: string, orderId: string, now: number): Promise<Coupon> {
    const reply = (await callRedis('script redeemCoupon', () =>
      this.redis.redeemCoupon(this.keys.coupon(memberId, code), String(now), orderId),
    )) as [number, string[]?];
    if (reply[0] === -3) throw new PulseError(ErrorCodes.couponUsed, `coupon ${code} was already used`);
    if (reply[0] === -2) throw new PulseError(ErrorCodes.couponExpired, `coupon ${code} has expired`);
    if (reply[0] === -1) {
      const owner = await callRedis('find coupon owner', () => this.redis.get(this.keys.owner(code)));
      if (owner !== null && owner !== memberId) throw new PulseError(ErrorCodes.couponNotYours, `coupon ${code} belongs to another member`);
      throw new PulseError(ErrorCodes.couponNotFound, `no coupon ${code}`);
    }
    const coupon = decodeCoupon(memberId, code, pairs(reply[1] ?? []));
    if (!coupon) throw new Error(`coupon ${code}: unreadable after redeeming`);
    return coupon;
  }

  async redeemReward(memberId: string, request: RewardRequest): Promise<RewardOutcome> {
    if (!Number.isInteger(request.points) || request.points <= 0)
      throw new RangeError(`reward points must be a positive integer, got ${request.points}`);
    const { coupon } = request;
    const marker = this.keys.rewardRequest(memberId, request.requestId);
    // A repeat claims nothing (its code was claimed the first time); the script answers it.
    const repeat = (await callRedis('read reward request', () => this.redis.exists(marker))) === 1;
    const claimed = repeat ? false : await this.claim(coupon.code, memberId);
    const args = [
      String(request.points),
      String(request.ts),
      `reward:${request.requestId}`,
      coupon.code,
      String(coupon.createdAt),
      ...encodeCoupon(coupon),
    ];
    const reply = (await callRedis('script redeemReward', () =>
      this.redis.redeemReward(
        this.members.record(memberId),
        this.members.ledger(memberId),
        marker,
        this.keys.coupon(memberId, coupon.code),
        this.keys.list(memberId),
        ...args,
      ),
    )) as [number, string?, string?];
    // Nothing was written under this code (no member, short balance, or the request raced its repeat).
    if (claimed && (reply[0] === -1 || reply[0] === -2 || reply[0] === 0)) await this.release(coupon.code, memberId);
    if (reply[0] === -1) throw new PulseError(ErrorCodes.notFound, `no member ${memberId}`);
    if (reply[0] === -2)
      throw new PulseError(ErrorCodes.insufficientPoints, `this reward costs ${request.points} points; the balance is ${reply[1]}`, {
        points: String(reply[1]),
      });
    if (reply[0] === -3) throw new CouponCodeTakenError(coupon.code);
    const code = reply[1]!;
    const stored = reply[0] === 1 ? { ...coupon, memberId } : await this.get(memberId, code);
    if (!stored) throw new Error(`coupon ${code} of reward request ${request.requestId} is missing`);
    return { applied: reply[0] === 1, coupon: stored, points: Number(reply[2]) };
  }

  private async get(memberId: string, code: string): Promise<Coupon | undefined> {
    const fields = await callRedis('read coupon', () => this.redis.hgetall(this.keys.coupon(memberId, code)));
    return decodeCoupon(memberId, code, fields);
  }

  /** Reserves `code` for `memberId`: true when reserved now, false when it already was theirs; CouponCodeTakenError when another member's. */
  private async claim(code: string, memberId: string): Promise<boolean> {
    const reply = await callRedis('script claimCouponCode', () => this.redis.claimCouponCode(this.keys.owner(code), memberId));
    if (reply === -1) throw new CouponCodeTakenError(code);
    return reply === 1;
  }

  /**
   * Undoes a claim this call made (compare-and-delete, lua/delete-if-equals.lua, as a lease release). A failed
   * undo is not reported: what it leaves is a reservation, which is harmless (see the class).
   */
  private async release(code: string, memberId: string): Promise<void> {
    await this.redis.deleteIfEquals(this.keys.owner(code), memberId).catch(() => undefined);
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new RangeError(`limit must be an integer in 1..1000, got ${limit}`);
}

function pairs(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

function encodeCoupon(coupon: Coupon): string[] {
  const fields = [
    'kind',
    coupon.kind,
    'value',
    String(coupon.value),
    'expiresAt',
    String(coupon.expiresAt),
    'createdAt',
    String(coupon.createdAt),
    'sourceType',
    coupon.source.type,
    'sourceId',
    coupon.source.id,
  ];
  if (coupon.discountPercent !== undefined) fields.push('discountPercent', String(coupon.discountPercent));
  if (coupon.redeemedAt !== undefined) fields.push('redeemedAt', String(coupon.redeemedAt));
  if (coupon.orderId !== undefined) fields.push('orderId', coupon.orderId);
  return fields;
}

function decodeCoupon(memberId: string, code: string, fields: Record<string, string>): Coupon | undefined {
  if (fields.kind === undefined || fields.expiresAt === undefined) return undefined;
  return {
    code,
    memberId,
    kind: fields.kind === 'percent' ? 'percent' : 'value',
    value: Number(fields.value ?? 0),
    ...(fields.discountPercent !== undefined ? { discountPercent: Number(fields.discountPercent) } : {}),
    expiresAt: Number(fields.expiresAt),
    createdAt: Number(fields.createdAt ?? 0),
    source: { type: fields.sourceType === 'campaign' ? 'campaign' : 'reward', id: fields.sourceId ?? '' },
    ...(fields.redeemedAt !== undefined ? { redeemedAt: Number(fields.redeemedAt) } : {}),
    ...(fields.orderId !== undefined ? { orderId: fields.orderId } : {}),
  };
}
