import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisCouponStore } from '../../engine/members/adapters/redis-coupon-store.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import type { LedgerEntry } from '../../engine/members/member-store.js';
import { TokenService } from '../../gateway/auth.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

type ErrorBody = { error: { code: string } };

/**
 * Coupons end to end (`npm start` on real NATS and Redis, REWARDS r5 = 500 points for 5 units):
 * a shop order earns points, a reward turns them into a coupon (once per request id), two
 * simultaneous redemptions of the code succeed exactly once, and expired / someone else's /
 * unknown codes get their own error codes.
 */
describe('coupons and rewards', () => {
  const secret = 'e2e-secret-coupons';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let pulse: PulseProcess;
  const item = generateDemoCatalog().find((candidate) => (!candidate.minTier || candidate.minTier === 'regular') && candidate.price < 100)!;
  // Enough units for 800 points or a little more at the regular rate (1 point per currency unit).
  const quantity = Math.ceil(800 / item.price);
  const earned = Math.round(quantity * item.price);

  const register = async (name: string) => {
    const res = await http<{ memberId: string; token: string }>(pulse.baseUrl, 'POST', '/v1/members', {
      body: { email: `${name}.${Date.now().toString(36)}@example.com`, password: 'coupons please', name },
    });
    expect(res.status).toBe(201);
    return res.body;
  };
  const points = async (token: string) => (await http<{ points: number }>(pulse.baseUrl, 'GET', '/v1/members/me', { token })).body.points;
  const redeem = (token: string, code: string, orderId: string) =>
    http<Coupon & ErrorBody>(pulse.baseUrl, 'POST', `/v1/members/me/coupons/${encodeURIComponent(code)}/redeem`, {
      token,
      body: { orderId },
    });

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redisServer.url,
      authSecret: secret,
      env: { REWARDS: '[{"rewardId":"r5","points":500,"value":5,"ttlDays":90}]' },
    });
  });

  afterAll(async () => {
    redis?.disconnect();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('earns points, redeems a reward once per request id, and uses its coupon exactly once', async () => {
    const ada = await register('ada');
    // The browser's purchase (a behaviour signal, no points) and the shop's order (the points).
    const res = await http(pulse.baseUrl, 'POST', '/v1/events', {
      token: ada.token,
      body: { events: [{ id: 'buy-1', type: 'purchase', orderId: 'o1', items: [{ itemId: item.itemId, quantity, price: item.price }] }] },
    });
    expect(res.status).toBe(202);
    const shop = await new TokenService(secret).sign({ sub: 'shop-1', role: 'shop' }, 3600);
    const order = await http(pulse.baseUrl, 'POST', '/v1/orders', {
      token: shop,
      body: { orderId: 'o1', userId: ada.memberId, status: 'paid', lines: [{ itemId: item.itemId, quantity, price: item.price }] },
    });
    expect(order.status).toBe(202);
    const deadline = Date.now() + 10_000;
    while ((await points(ada.token)) !== earned) {
      if (Date.now() > deadline) throw new Error(`purchase not credited\n${pulse.output().slice(-3000)}`);
      await sleep(50);
    }

    const reward = await http<{ coupon: Coupon; points: number }>(pulse.baseUrl, 'POST', '/v1/members/me/rewards', {
      token: ada.token,
      body: { rewardId: 'r5', requestId: 'rq-1' },
    });
    expect(reward.status).toBe(201);
    expect(reward.body.points).toBe(earned - 500);
    expect(reward.body.coupon).toMatchObject({ kind: 'value', value: 5, source: { type: 'reward', id: 'r5' } });
    expect(reward.body.coupon.code).toMatch(/^[A-HJ-NP-Z2-9]{12}$/);
    // The retried request: same coupon, no second deduction.
    const retry = await http<{ coupon: Coupon; points: number }>(pulse.baseUrl, 'POST', '/v1/members/me/rewards', {
      token: ada.token,
      body: { rewardId: 'r5', requestId: 'rq-1' },
    });
    expect([retry.status, retry.body.coupon.code, retry.body.points]).toEqual([200, reward.body.coupon.code, earned - 500]);
    // Another request: what is left (under 500) < 500.
    const short = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/members/me/rewards', {
      token: ada.token,
      body: { rewardId: 'r5', requestId: 'rq-2' },
    });
    expect([short.status, short.body.error.code]).toEqual([409, 'insufficient_points']);
    const unknown = await http<ErrorBody>(pulse.baseUrl, 'POST', '/v1/members/me/rewards', {
      token: ada.token,
      body: { rewardId: 'nope' },
    });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'reward_not_found']);
    expect(await points(ada.token)).toBe(earned - 500);
    const ledger = (await http<{ entries: LedgerEntry[] }>(pulse.baseUrl, 'GET', '/v1/members/me/points', { token: ada.token })).body
      .entries;
    expect(ledger.map((e) => [e.delta, e.balance, e.cause])).toEqual([
      [-500, earned - 500, 'redemption'],
      [earned, earned, 'order'],
    ]);

    const listed = await http<{ coupons: Coupon[] }>(pulse.baseUrl, 'GET', '/v1/members/me/coupons', { token: ada.token });
    expect(listed.status).toBe(200);
    expect(listed.body.coupons).toEqual([reward.body.coupon]);

    // Two calls at the same moment: exactly one wins.
    const code = reward.body.coupon.code;
    const both = await Promise.all([redeem(ada.token, code, 'o-a'), redeem(ada.token, code.toLowerCase(), 'o-b')]);
    expect(both.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(both.find((r) => r.status === 409)!.body.error.code).toBe('coupon_used');
    const won = both.find((r) => r.status === 200)!.body;
    expect(won.redeemedAt).toBeGreaterThan(0);
    expect(
      (await http<{ coupons: Coupon[] }>(pulse.baseUrl, 'GET', '/v1/members/me/coupons', { token: ada.token })).body.coupons[0],
    ).toEqual(won);

    // Someone else's code, an unknown code, a bad body.
    const bob = await register('bob');
    const stolen = await redeem(bob.token, code, 'o-x');
    expect([stolen.status, stolen.body.error.code]).toEqual([403, 'coupon_not_yours']);
    const missing = await redeem(bob.token, 'ABCDEFGHJKLM', 'o-x');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'coupon_not_found']);
    const noOrder = await http<ErrorBody>(pulse.baseUrl, 'POST', `/v1/members/me/coupons/${code}/redeem`, { token: bob.token, body: {} });
    expect([noOrder.status, noOrder.body.error.code]).toEqual([400, 'invalid_request']);
    const anonymous = await http<ErrorBody>(pulse.baseUrl, 'GET', '/v1/members/me/coupons');
    expect(anonymous.status).toBe(401);

    // History: the four lists, newest first, then paged by ts.
    type History = {
      events: Array<{ itemId: string; type: string; ts: number }>;
      orders: LedgerEntry[];
      points: LedgerEntry[];
      coupons: Coupon[];
      next?: number;
    };
    const history = await http<History>(pulse.baseUrl, 'GET', '/v1/members/me/history', { token: ada.token });
    expect(history.status).toBe(200);
    expect(history.body.events.map((e) => [e.itemId, e.type])).toEqual([[item.itemId, 'purchase']]);
    expect(history.body.orders.map((o) => [o.orderId, o.delta])).toEqual([['o1', earned]]);
    expect(history.body.points.map((p) => p.cause)).toEqual(['redemption', 'order']);
    expect(history.body.coupons).toEqual([won]);
    expect(history.body.next).toBeUndefined();
    const first = (await http<History>(pulse.baseUrl, 'GET', '/v1/members/me/history?limit=1', { token: ada.token })).body;
    expect(first.next).toBeGreaterThan(0);
    const second = (await http<History>(pulse.baseUrl, 'GET', `/v1/members/me/history?limit=1&before=${first.next}`, { token: ada.token }))
      .body;
    const seen = [...first.points, ...second.points].map((p) => p.entryId);
    expect(new Set(seen).size).toBe(seen.length);
    const badQuery = await http<ErrorBody>(pulse.baseUrl, 'GET', '/v1/members/me/history?limit=0', { token: ada.token });
    expect([badQuery.status, badQuery.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('an expired coupon answers coupon_expired and stays unused', async () => {
    const cyd = await register('cyd');
    // Campaigns are not built yet: issue one directly, as a campaign would, already past its expiry.
    const now = Date.now();
    const expired: Coupon = {
      code: 'EXPRD2345678',
      memberId: cyd.memberId,
      kind: 'percent',
      value: 0,
      discountPercent: 10,
      expiresAt: now - 1,
      createdAt: now - 10_000,
      source: { type: 'campaign', id: 'old' },
    };
    await new RedisCouponStore(redis).issue(expired);
    const res = await redeem(cyd.token, expired.code, 'o-1');
    expect([res.status, res.body.error.code]).toEqual([410, 'coupon_expired']);
    expect((await http<{ coupons: Coupon[] }>(pulse.baseUrl, 'GET', '/v1/members/me/coupons', { token: cyd.token })).body.coupons).toEqual([
      expired,
    ]);
  });
});
