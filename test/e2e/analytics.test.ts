import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalyticsOverview, SegmentList, ShopperProfile } from '../../engine/contracts/analytics.js';
import { TokenService } from '../../gateway/auth.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitForValue } from '../helpers/wait-for.js';

type ErrorBody = { error: { code: string; message: string } };
type Session = { memberId: string; token: string };
const DAY = 24 * 3600 * 1000;

/**
 * Issue 6, profiles and segments end to end (`npm start` on a private nats-server and
 * redis-server): who may read a profile, the shop's segment sizes moving as events arrive and as
 * time passes (`?at=`), the overview's counters, and bad query strings refused while serving on.
 */
describe('profiles, segments and the overview', () => {
  const secret = 'e2e-secret-analytics';
  const tokens = new TokenService(secret);
  let nats: TestServer;
  let redisServer: TestServer;
  let pulse: PulseProcess;
  let admin: string;
  let marketing: string;
  let ada: Session;
  let bob: Session;
  let started: number;

  const get = <T>(path: string, token?: string) => http<T>(pulse.baseUrl, 'GET', path, token ? { token } : {});
  const sizes = async (query = '') => {
    const res = await get<SegmentList>(`/v1/analytics/segments${query}`, marketing);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return Object.fromEntries(res.body.segments.map(({ segment, size }) => [segment, size]));
  };
  const waiting = { output: () => pulse.output().slice(-3000) };
  const send = async (token: string, events: unknown[]) => {
    const res = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', { token, body: { events } });
    expect(res.body.accepted).toBe(events.length);
  };
  /** The shop's order: lifetime value, revenue and points come from it alone (a browser purchase is a behaviour signal). */
  const order = async (body: Record<string, unknown>) => {
    const res = await http(pulse.baseUrl, 'POST', '/v1/orders', { token: await tokens.sign({ sub: 'shop-1', role: 'shop' }, 3600), body });
    expect(res.status).toBe(202);
  };

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret });
    admin = await tokens.sign({ sub: 'e2e-admin', role: 'admin' }, 3600);
    marketing = await tokens.sign({ sub: 'e2e-marketing', role: 'marketing' }, 3600);
    const items = [1, 2, 3].map((n) => ({
      itemId: `lamp-${n}`,
      title: `Lumo lamp ${n}`,
      category: 'home/lamps',
      brand: 'Lumo',
      price: 100 * n,
    }));
    expect((await http(pulse.baseUrl, 'POST', '/v1/items/batch', { token: admin, body: { items } })).status).toBe(200);
    started = Date.now();
    const register = async (name: string) =>
      (
        await http<Session>(pulse.baseUrl, 'POST', '/v1/members', {
          body: { email: `${name}.${started}@example.com`, password: 'long enough', name },
        })
      ).body;
    [ada, bob] = await Promise.all([register('ada'), register('bob')]);
    // The items must be in the engine's catalog before events name them (affinity reads it).
    await waitForValue(
      'the items',
      () => get(`/v1/items/lamp-3`, admin),
      (res) => res.status === 200,
      waiting,
    );
  });

  afterAll(async () => {
    await pulse?.stop();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('lets a member read its own profile, not another one; marketing and admin read any', async () => {
    const own = await get<ShopperProfile>(`/v1/users/${ada.memberId}/profile`, ada.token);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({
      userId: ada.memberId,
      member: { tier: 'regular' },
      segments: ['new'],
      activity: { level: 'none' },
      priceBand: null,
    });
    const other = await get<ErrorBody>(`/v1/users/${bob.memberId}/profile`, ada.token);
    expect([other.status, other.body.error.code]).toEqual([403, 'forbidden']);
    const guest = await visitor(pulse.baseUrl);
    expect((await get<ErrorBody>(`/v1/users/${ada.memberId}/profile`, guest.token)).status).toBe(403);
    expect((await get<ErrorBody>(`/v1/users/${ada.memberId}/profile?at=${started}`, ada.token)).status).toBe(403);
    expect((await get(`/v1/users/${ada.memberId}/profile`)).status).toBe(401);
    expect((await get(`/v1/users/${bob.memberId}/profile`, marketing)).status).toBe(200);
    expect((await get(`/v1/users/${bob.memberId}/profile`, admin)).status).toBe(200);
    const unknown = await get<ErrorBody>('/v1/users/nobody-here/profile', admin);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'not_found']);
    for (const path of ['/v1/analytics/overview', '/v1/analytics/segments']) {
      expect((await get(path, ada.token)).status, path).toBe(403);
      expect((await get(path, admin)).status, path).toBe(200);
    }
  });

  it('moves segment sizes as events arrive, and as time passes (?at=)', async () => {
    const before = await sizes();
    expect(before).toMatchObject({ new: 2, active: 0, lapsing: 0, big_spender: 0 });
    expect(Object.keys(before).filter((s) => s.startsWith('brand_loyal:'))).toEqual([]);

    // Ada views three Lumo lamps and buys for 1,100 (the shop's order): active, big spender, loyal to Lumo.
    await send(ada.token, [
      { id: 'a-v1', type: 'view', itemId: 'lamp-1' },
      { id: 'a-v2', type: 'view', itemId: 'lamp-2' },
      { id: 'a-v3', type: 'view', itemId: 'lamp-3' },
      {
        id: 'a-o1',
        type: 'purchase',
        orderId: 'o-1',
        items: [
          { itemId: 'lamp-3', quantity: 2, price: 300 },
          { itemId: 'lamp-2', quantity: 1, price: 500 },
        ],
      },
    ]);
    const paid = {
      orderId: 'o-1',
      userId: ada.memberId,
      status: 'paid',
      lines: [
        { itemId: 'lamp-3', quantity: 3, price: 300 },
        { itemId: 'lamp-2', quantity: 1, price: 200 },
      ],
    };
    await order(paid);
    const now = await waitForValue(
      'the segments to move',
      () => sizes(),
      (s) => s.big_spender === 1 && s['brand_loyal:lumo'] === 1,
      waiting,
    );
    expect(now).toMatchObject({ new: 2, active: 1, lapsing: 0, big_spender: 1, 'brand_loyal:lumo': 1 });
    // Sent again (same ids): nothing counts twice.
    await send(ada.token, [
      {
        id: 'a-o1',
        type: 'purchase',
        orderId: 'o-1',
        items: [
          { itemId: 'lamp-3', quantity: 2, price: 300 },
          { itemId: 'lamp-2', quantity: 1, price: 500 },
        ],
      },
    ]);
    await order(paid);
    await send(bob.token, [{ id: 'b-v1', type: 'view', itemId: 'lamp-1' }]);
    expect(
      await waitForValue(
        'bob',
        () => sizes(),
        (s) => s.active === 2,
        waiting,
      ),
    ).toMatchObject({ new: 2, active: 2, big_spender: 1, 'brand_loyal:lumo': 1 });

    // Time passes without an event: 8 days on nobody is active, 31 days on nobody is new, 61 days on Ada lapses.
    expect(await sizes(`?at=${Date.now() + 8 * DAY}`)).toMatchObject({ new: 2, active: 0, lapsing: 0, big_spender: 1 });
    expect(await sizes(`?at=${Date.now() + 31 * DAY}`)).toMatchObject({ new: 0, active: 0, lapsing: 0 });
    expect(await sizes(`?at=${Date.now() + 61 * DAY}`)).toMatchObject({
      new: 0,
      active: 0,
      lapsing: 1,
      big_spender: 1,
      'brand_loyal:lumo': 1,
    });
    expect(await sizes(`?at=${Date.now() + 400 * DAY}`)).toMatchObject({ lapsing: 0 });

    const profile = await get<ShopperProfile>(`/v1/users/${ada.memberId}/profile`, ada.token);
    expect(profile.body).toMatchObject({
      rfm: { recencyDays: 0, frequency: 1, monetary: 1100, scores: { recency: 5, frequency: 1, monetary: 4 } },
      brands: [{ brand: 'lumo', events: 4 }],
      categories: [{ category: 'home' }, { category: 'home/lamps' }],
      activity: { level: 'medium', eventsByType: { view: 3, purchase: 1 } },
      priceBand: { low: 200, median: 200, high: 300, items: 5 },
      segments: ['new', 'active', 'big_spender', 'brand_loyal:lumo'],
    });
    const later = await get<ShopperProfile>(`/v1/users/${ada.memberId}/profile?at=${Date.now() + 61 * DAY}`, marketing);
    expect(later.body).toMatchObject({
      rfm: { recencyDays: 61, scores: { recency: 4 } },
      activity: { level: 'dormant' },
      segments: ['lapsing', 'big_spender', 'brand_loyal:lumo'],
    });
  });

  it('sums the overview: members by tier, activity, events by type, orders and revenue, popular categories', async () => {
    const overview = await waitForValue(
      'the overview',
      () => get<AnalyticsOverview>('/v1/analytics/overview', marketing),
      (res) => res.body.counters?.total.events.view === 4,
      waiting,
    );
    expect(overview.body).toMatchObject({
      shoppers: 2,
      members: 2,
      // Ada's 1,100 earned 1,100 points: VIP at TIER_VIP_POINTS (1,000), counted where she moved.
      membersByTier: { regular: 1, vip: 1, enterprise: 0 },
      active: { last24h: 2, last7d: 2 },
      counters: {
        total: { events: { view: 4, purchase: 1 }, orders: 1, revenue: 1100, cancellations: 0 },
        last24h: { events: { view: 4, purchase: 1 }, orders: 1, revenue: 1100 },
        last30d: { orders: 1, revenue: 1100 },
      },
      popular: { brands: [{ brand: 'lumo' }] },
      campaigns: { total: 0, running: 0, delivered: 0 },
    });
    expect(overview.body.popular.categories.map((c) => c.category)).toEqual(expect.arrayContaining(['home', 'home/lamps']));
    const aMonthOn = await get<AnalyticsOverview>(`/v1/analytics/overview?at=${Date.now() + 40 * DAY}`, admin);
    expect(aMonthOn.body).toMatchObject({
      active: { last24h: 0, last7d: 0 },
      counters: { total: { orders: 1 }, last24h: { orders: 0, events: {} }, last30d: { orders: 0 } },
    });
  });

  it('refuses bad query strings with invalid_request and keeps serving', async () => {
    for (const path of [
      '/v1/analytics/segments?limit=abc',
      '/v1/analytics/segments?at=-5',
      '/v1/analytics/overview?at=soon',
      `/v1/users/${ada.memberId}/profile?at=1.5`,
      '/v1/analytics/segments?extra=1',
    ]) {
      const res = await get<ErrorBody>(path, admin);
      expect([res.status, res.body.error.code], path).toEqual([400, 'invalid_request']);
    }
    expect((await get('/v1/analytics/segments?limit=0', admin)).status).toBe(200);
    expect((await http(pulse.baseUrl, 'GET', '/healthz')).status).toBe(200);
  });
});
