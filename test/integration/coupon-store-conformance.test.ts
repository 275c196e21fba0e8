import { randomBytes, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { MemoryCouponStore } from '../../engine/members/adapters/memory-coupon-store.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { RedisCouponStore } from '../../engine/members/adapters/redis-coupon-store.js';
import { RedisMemberStore } from '../../engine/members/adapters/redis-member-store.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { couponCodeFrom } from '../../engine/members/logic/coupons.js';
import { CouponCodeTakenError, type Coupon, type CouponStore } from '../../engine/members/coupon-store.js';
import type { MemberStore, StoredMember } from '../../engine/members/member-store.js';
import { useRedisServer } from '../helpers/redis-suite.js';

/** Coupons and rewards: one suite for both CouponStore implementations (Redis on its own server, random prefixes). */
let redis: Redis;
useRedisServer((client) => (redis = client));

const T0 = 1_700_000_000_000;
const thresholds = { vip: 1000, enterprise: 10_000 };
const newMember = (): StoredMember => ({
  memberId: `m_${randomUUID().slice(0, 12)}`,
  email: `${randomUUID().slice(0, 8)}@example.com`,
  name: 'Ada',
  tier: 'regular',
  points: 0,
  lifetimePoints: 0,
  createdAt: T0,
  passwordHash: 'scrypt$1024$8$1$c2FsdA==$a2V5',
});
const coupon = (memberId: string, overrides: Partial<Coupon> = {}): Coupon => ({
  code: couponCodeFrom(randomBytes(12)),
  memberId,
  kind: 'value',
  value: 5,
  expiresAt: T0 + 86_400_000,
  createdAt: T0,
  source: { type: 'reward', id: 'r5' },
  ...overrides,
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (err instanceof PulseError) return err.code;
    if (err instanceof CouponCodeTakenError) return 'code_taken';
    throw err;
  }
}

interface Stores {
  members: MemberStore;
  coupons: CouponStore;
  /** What a crash between a store's two steps leaves: the code's index names `memberId`, and no coupon exists. */
  reserveOnly(code: string, memberId: string): Promise<void>;
}

const implementations: Array<[string, () => Stores]> = [
  [
    'memory',
    () => {
      const members = new MemoryMemberStore();
      const codeIndex = new Map<string, string>();
      return {
        members,
        coupons: new MemoryCouponStore(members, { codeIndex }),
        reserveOnly: async (code, memberId) => void codeIndex.set(code, memberId),
      };
    },
  ],
  [
    'redis',
    () => {
      const keyPrefix = `t${randomUUID().slice(0, 8)}:`;
      return {
        members: new RedisMemberStore(redis, { keyPrefix }),
        coupons: new RedisCouponStore(redis, { keyPrefix }),
        reserveOnly: async (code, memberId) => void (await redis.set(`${keyPrefix}coupon:{${code}}`, memberId)),
      };
    },
  ],
];

describe.each(implementations)('CouponStore conformance: %s', (_name, make) => {
  async function memberWith(points: number, stores: { members: MemberStore }): Promise<StoredMember> {
    const member = newMember();
    await stores.members.create(member);
    if (points > 0)
      await stores.members.applyPoints(
        member.memberId,
        { eventId: `seed-${member.memberId}`, ts: T0, delta: points, cause: 'order', orderId: 'o-seed' },
        thresholds,
      );
    return member;
  }

  it('issues, lists newest first and redeems a coupon exactly once under 20 concurrent attempts', async () => {
    const stores = make();
    const member = await memberWith(0, stores);
    const older = coupon(member.memberId, { createdAt: T0 - 1000 });
    const percent = coupon(member.memberId, { kind: 'percent', value: 0, discountPercent: 15, source: { type: 'campaign', id: 'spring' } });
    await stores.coupons.issue(older);
    await stores.coupons.issue(percent);
    expect(await stores.coupons.list(member.memberId, 10)).toEqual([percent, older]);

    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => codeOf(stores.coupons.redeem(member.memberId, percent.code, `o-${i}`, T0 + 5))),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'coupon_used')).toHaveLength(19);
    const [listed] = await stores.coupons.list(member.memberId, 1);
    expect(listed).toMatchObject({ code: percent.code, redeemedAt: T0 + 5, discountPercent: 15 });
    expect(listed!.orderId).toMatch(/^o-\d+$/);
    // The other coupon is untouched.
    expect((await stores.coupons.list(member.memberId, 10))[1]).toEqual(older);
  });

  it("expired, someone else's and unknown codes get their own codes and change nothing", async () => {
    const stores = make();
    const alice = await memberWith(0, stores);
    const bob = await memberWith(0, stores);
    const expiring = coupon(alice.memberId, { expiresAt: T0 + 100 });
    await stores.coupons.issue(expiring);
    expect(await codeOf(stores.coupons.redeem(alice.memberId, expiring.code, 'o1', T0 + 100))).toBe('coupon_expired');
    expect(await codeOf(stores.coupons.redeem(bob.memberId, expiring.code, 'o1', T0))).toBe('coupon_not_yours');
    expect(await codeOf(stores.coupons.redeem(alice.memberId, couponCodeFrom(randomBytes(12)), 'o1', T0))).toBe('coupon_not_found');
    expect(await stores.coupons.list(alice.memberId, 10)).toEqual([expiring]);
    expect(await stores.coupons.list(bob.memberId, 10)).toEqual([]);
    // Still valid one millisecond before expiry, for its owner.
    expect(await stores.coupons.redeem(alice.memberId, expiring.code, 'o2', T0 + 99)).toMatchObject({ redeemedAt: T0 + 99, orderId: 'o2' });
    expect(await codeOf(stores.coupons.redeem(alice.memberId, expiring.code, 'o3', T0 + 200))).toBe('coupon_used');
  });

  it('refuses a campaign coupon for an unknown member', async () => {
    const stores = make();
    expect(await codeOf(stores.coupons.issue(coupon('m_nobody')))).toBe('not_found');
  });

  it('a reward deducts points, appends a redemption entry and issues the coupon, once per request id', async () => {
    const stores = make();
    const member = await memberWith(1200, stores);
    const request = { requestId: 'req-1', points: 500, ts: T0 + 1, coupon: coupon(member.memberId, { createdAt: T0 + 1 }) };
    const first = await stores.coupons.redeemReward(member.memberId, request);
    expect(first).toEqual({ applied: true, coupon: request.coupon, points: 700 });
    // A retry (even with another drawn code) changes nothing and returns the first coupon.
    const again = await stores.coupons.redeemReward(member.memberId, { ...request, coupon: coupon(member.memberId) });
    expect(again).toEqual({ applied: false, coupon: request.coupon, points: 700 });
    const after = await stores.members.get(member.memberId);
    expect(after).toMatchObject({ points: 700, lifetimePoints: 1200, tier: 'vip' });
    const ledger = await stores.members.ledger(member.memberId, { limit: 10 });
    expect(ledger).toHaveLength(2);
    expect(ledger[0]).toEqual({ entryId: 2, ts: T0 + 1, delta: -500, balance: 700, cause: 'redemption', eventId: 'reward:req-1' });
    expect(await stores.coupons.list(member.memberId, 10)).toEqual([request.coupon]);
    // The reward's coupon is redeemable like any other, and someone else's for others.
    const other = await memberWith(0, stores);
    expect(await codeOf(stores.coupons.redeem(other.memberId, request.coupon.code, 'o', T0))).toBe('coupon_not_yours');
  });

  it('a short balance writes nothing; concurrent distinct requests never overdraw', async () => {
    const stores = make();
    const member = await memberWith(1100, stores);
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        codeOf(stores.coupons.redeemReward(member.memberId, { requestId: `r${i}`, points: 500, ts: T0, coupon: coupon(member.memberId) })),
      ),
    );
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(2);
    expect(outcomes.filter((o) => o === 'insufficient_points')).toHaveLength(3);
    expect(await stores.members.get(member.memberId)).toMatchObject({ points: 100 });
    expect(await stores.members.ledger(member.memberId, { limit: 10 })).toHaveLength(3);
    expect(await stores.coupons.list(member.memberId, 10)).toHaveLength(2);
    // No member: nothing to spend.
    expect(await codeOf(stores.coupons.redeemReward('m_nobody', { requestId: 'x', points: 1, ts: T0, coupon: coupon('m_nobody') }))).toBe(
      'not_found',
    );
  });

  it("a crash after reserving a reward's code: owner not_found, others not_yours, the retried request issues one coupon", async () => {
    const stores = make();
    const alice = await memberWith(1200, stores);
    const bob = await memberWith(600, stores);
    const lost = coupon(alice.memberId);
    // The first attempt of request rq-1 reserved its code and died before the member's script.
    await stores.reserveOnly(lost.code, alice.memberId);
    expect(await codeOf(stores.coupons.redeem(alice.memberId, lost.code, 'o1', T0))).toBe('coupon_not_found');
    expect(await codeOf(stores.coupons.redeem(bob.memberId, lost.code, 'o1', T0))).toBe('coupon_not_yours');
    // Nobody else gets the reserved code, and a refused attempt deducts nothing.
    expect(await codeOf(stores.coupons.issue(coupon(bob.memberId, { code: lost.code })))).toBe('code_taken');
    expect(
      await codeOf(
        stores.coupons.redeemReward(bob.memberId, {
          requestId: 'b1',
          points: 500,
          ts: T0,
          coupon: coupon(bob.memberId, { code: lost.code }),
        }),
      ),
    ).toBe('code_taken');
    expect(await stores.members.get(bob.memberId)).toMatchObject({ points: 600 });
    expect(await stores.coupons.list(bob.memberId, 10)).toEqual([]);

    // The retry (the handler draws a fresh code) issues the one coupon; retried again, the same one.
    const issued = coupon(alice.memberId, { createdAt: T0 + 1 });
    const retry = { requestId: 'rq-1', points: 500, ts: T0 + 1, coupon: issued };
    expect(await stores.coupons.redeemReward(alice.memberId, retry)).toEqual({ applied: true, coupon: issued, points: 700 });
    expect(await stores.coupons.redeemReward(alice.memberId, { ...retry, coupon: coupon(alice.memberId) })).toEqual({
      applied: false,
      coupon: issued,
      points: 700,
    });
    expect(await stores.coupons.list(alice.memberId, 10)).toEqual([issued]);
    expect((await stores.members.ledger(alice.memberId, { limit: 10 })).map((e) => [e.delta, e.cause])).toEqual([
      [-500, 'redemption'],
      [1200, 'order'],
    ]);
    expect(await codeOf(stores.coupons.redeem(bob.memberId, issued.code, 'o2', T0))).toBe('coupon_not_yours');
    // The reservation stays harmless.
    expect(await codeOf(stores.coupons.redeem(alice.memberId, lost.code, 'o3', T0))).toBe('coupon_not_found');
    expect(await codeOf(stores.coupons.redeem(bob.memberId, lost.code, 'o3', T0))).toBe('coupon_not_yours');

    // A request retried with the reserved code itself completes it too.
    const again = { requestId: 'rq-2', points: 500, ts: T0 + 2, coupon: coupon(alice.memberId, { createdAt: T0 + 2 }) };
    await stores.reserveOnly(again.coupon.code, alice.memberId);
    expect(await stores.coupons.redeemReward(alice.memberId, again)).toEqual({ applied: true, coupon: again.coupon, points: 200 });
    expect(await stores.coupons.redeem(alice.memberId, again.coupon.code, 'o4', T0 + 3)).toMatchObject({
      redeemedAt: T0 + 3,
      orderId: 'o4',
    });
  });

  it("a crash after reserving a campaign coupon's code: issuing the same coupon again completes it, once", async () => {
    const stores = make();
    const alice = await memberWith(0, stores);
    const bob = await memberWith(0, stores);
    const promo = coupon(alice.memberId, { kind: 'percent', value: 0, discountPercent: 20, source: { type: 'campaign', id: 'spring' } });
    await stores.reserveOnly(promo.code, alice.memberId);
    expect(await codeOf(stores.coupons.redeem(bob.memberId, promo.code, 'o1', T0))).toBe('coupon_not_yours');
    expect(await stores.coupons.issue(promo)).toBe(true);
    expect(await stores.coupons.issue(promo)).toBe(false);
    expect(await stores.coupons.list(alice.memberId, 10)).toEqual([promo]);
    expect(await stores.coupons.redeem(alice.memberId, promo.code, 'o2', T0 + 1)).toMatchObject({ code: promo.code, redeemedAt: T0 + 1 });
    // Retried after it was used: still the one coupon, still used.
    expect(await stores.coupons.issue(promo)).toBe(false);
    expect(await codeOf(stores.coupons.redeem(alice.memberId, promo.code, 'o3', T0 + 2))).toBe('coupon_used');
    // Another coupon under that code, for her or anyone else, is refused and changes nothing.
    expect(await codeOf(stores.coupons.issue({ ...promo, discountPercent: 50 }))).toBe('code_taken');
    expect(await codeOf(stores.coupons.issue({ ...promo, memberId: bob.memberId }))).toBe('code_taken');
    expect(await stores.coupons.list(alice.memberId, 10)).toEqual([{ ...promo, redeemedAt: T0 + 1, orderId: 'o2' }]);
    expect(await stores.coupons.list(bob.memberId, 10)).toEqual([]);
  });

  it('an attempt that writes nothing leaves its code free: short balance, unknown member, a taken code of her own', async () => {
    const stores = make();
    const alice = await memberWith(100, stores);
    const bob = await memberWith(0, stores);
    const short = coupon(alice.memberId);
    expect(await codeOf(stores.coupons.redeemReward(alice.memberId, { requestId: 'r1', points: 500, ts: T0, coupon: short }))).toBe(
      'insufficient_points',
    );
    const orphan = coupon('m_nobody');
    expect(await codeOf(stores.coupons.issue(orphan))).toBe('not_found');
    // Neither code was left reserved: Bob can have both.
    expect(await codeOf(stores.coupons.redeem(bob.memberId, short.code, 'o1', T0))).toBe('coupon_not_found');
    expect(await stores.coupons.issue(coupon(bob.memberId, { code: short.code }))).toBe(true);
    expect(await stores.coupons.issue(coupon(bob.memberId, { code: orphan.code }))).toBe(true);
    // A reward drawing the code of one of her own coupons is refused (draw again), nothing deducted.
    const own = coupon(alice.memberId);
    await stores.coupons.issue(own);
    expect(
      await codeOf(
        stores.coupons.redeemReward(alice.memberId, {
          requestId: 'r2',
          points: 50,
          ts: T0,
          coupon: coupon(alice.memberId, { code: own.code, createdAt: T0 + 9 }),
        }),
      ),
    ).toBe('code_taken');
    expect(await stores.members.get(alice.memberId)).toMatchObject({ points: 100 });
    expect(await stores.coupons.list(alice.memberId, 10)).toEqual([own]);
    expect(await codeOf(stores.coupons.redeem(bob.memberId, own.code, 'o2', T0))).toBe('coupon_not_yours');
  });
});
