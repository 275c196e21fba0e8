import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Coupon } from '../../engine/contracts/coupons.js';
import { MemoryCouponStore } from '../../engine/members/adapters/memory-coupon-store.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { registerCouponHandlers } from '../../engine/members/coupon-handlers.js';
import { parseRewardCatalogue } from '../../engine/members/logic/coupons.js';
import { refusalText, type Reward } from '../../gateway/web/store/reward-words.js';
import { startHarness, type Harness } from './gateway-harness.js';

/**
 * Issue 16, rewards in the storefront's member panel (gateway/web/store/rewards.ts): the panel
 * lists `GET /v1/members/me/rewards` (the engine's REWARDS, cheapest first) with their point
 * cost, redeems one with `POST /v1/members/me/rewards` (the coupon joins the member's coupons,
 * the balance drops) and words a refusal. The browser e2e is test/e2e/browser-store-offers.test.ts.
 */
describe('rewards for the member panel', () => {
  let h: Harness;
  const members = new MemoryMemberStore();
  const coupons = new MemoryCouponStore(members);
  const rewards = parseRewardCatalogue(
    '[{"rewardId":"r10","points":1000,"value":10,"ttlDays":30},{"rewardId":"r5","points":500,"value":5,"ttlDays":90}]',
  );
  const codeOf = (res: { body: unknown }) => (res.body as { error?: { code?: string } }).error?.code;

  beforeAll(async () => {
    h = await startHarness();
    await members.create({
      memberId: 'w-1',
      email: 'w-1@example.com',
      name: 'W',
      tier: 'regular',
      points: 700,
      lifetimePoints: 700,
      createdAt: 1,
    });
    registerCouponHandlers(h.transport.rpcServer, { coupons, rewards });
  });
  afterAll(() => h?.close());

  it('lists the rewards cheapest first, for members only', async () => {
    const member = await h.token('member', 'w-1');
    const listed = await h.fetch('/v1/members/me/rewards', { token: member });
    expect([listed.status, listed.body]).toEqual([
      200,
      {
        rewards: [
          { rewardId: 'r5', points: 500, value: 5, ttlDays: 90 },
          { rewardId: 'r10', points: 1000, value: 10, ttlDays: 30 },
        ],
      },
    ]);
    expect((await h.fetch('/v1/members/me/rewards', { token: await h.token('visitor', 'v_abc') })).status).toBe(403);
  });

  it('redeems a reward the balance covers: a coupon in the list, the balance lower; refuses the rest in words', async () => {
    const member = await h.token('member', 'w-1');
    const redeemed = await h.fetch('/v1/members/me/rewards', {
      method: 'POST',
      token: member,
      json: { rewardId: 'r5', requestId: 'rw-test-1' },
    });
    expect(redeemed.status).toBe(201);
    const { coupon, points } = redeemed.body as { coupon: Coupon; points: number };
    expect(points).toBe(200);
    expect(coupon).toMatchObject({ kind: 'value', value: 5, source: { type: 'reward', id: 'r5' } });
    const listed = (await h.fetch('/v1/members/me/coupons', { token: member })).body as { coupons: Coupon[] };
    expect(listed.coupons.map((c) => c.code)).toContain(coupon.code);
    expect((await members.get('w-1'))?.points).toBe(200);

    // The same click again after a lost answer (the page keeps the request id): the same coupon, nothing more deducted.
    const again = await h.fetch('/v1/members/me/rewards', {
      method: 'POST',
      token: member,
      json: { rewardId: 'r5', requestId: 'rw-test-1' },
    });
    expect([again.status, (again.body as { coupon: Coupon }).coupon.code]).toEqual([200, coupon.code]);

    const short = await h.fetch('/v1/members/me/rewards', {
      method: 'POST',
      token: member,
      json: { rewardId: 'r5', requestId: 'rw-test-2' },
    });
    expect([short.status, codeOf(short)]).toEqual([409, 'insufficient_points']);
    const r5 = rewards.find((r) => r.rewardId === 'r5') as Reward;
    expect(refusalText('insufficient_points', r5, 200, '')).toBe(
      'Not enough points for the $5.00 coupon: it costs 500 points and you have 200. Nothing was deducted.',
    );
    const gone = await h.fetch('/v1/members/me/rewards', {
      method: 'POST',
      token: member,
      json: { rewardId: 'r7', requestId: 'rw-test-3' },
    });
    expect([gone.status, codeOf(gone)]).toEqual([404, 'reward_not_found']);
    expect(refusalText('reward_not_found', r5, 200, '')).toBe('This reward is no longer offered. Nothing was deducted.');
    expect(refusalText('unavailable', r5, 200, 'try again (unavailable)')).toBe(
      'The reward could not be redeemed: try again (unavailable)',
    );
    expect((await members.get('w-1'))?.points).toBe(200);
  });
});
