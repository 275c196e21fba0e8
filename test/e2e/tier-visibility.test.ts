import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { TokenService } from '../../gateway/auth.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { emitWithAck, http, nextPush } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { count, groups, items, listIds, minTierOf, type Shopper, tierWatch } from '../helpers/tier-visibility-e2e.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Issue 4, must-show 3: a regular member never receives a VIP-only (or enterprise-only) item in
 * any push, list, search, similar-items answer or catalog route, over many random sessions that
 * lean toward the hidden items; after crossing the VIP threshold the same member, with the token
 * minted before the upgrade, gets VIP items in all of them, and still no enterprise item.
 * A separate engine and gateway on real NATS and Redis; VIP at 100 points.
 */
describe('tier visibility', () => {
  const secret = 'e2e-secret-tiers';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let engine: PulseProcess;
  let gateway: PulseProcess;
  let admin: string;
  const members: Shopper[] = [];
  const controls: Shopper[] = [];

  const url = () => gateway.baseUrl;
  const waiting = { timeoutMs: 15_000, output: () => `${engine.output().slice(-2000)}\n${gateway.output().slice(-2000)}` };
  const watch = tierWatch(url);
  const { violations, check, get, join, probes, walk } = watch;
  const applied = async (shopper: Shopper) => Number((await redis.hget(`u:{${shopper.userId}}:st`, 'c:total')) ?? 0) >= shopper.events;

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url);
    const options = { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret };
    engine = await spawnPulse('engine', {
      ...options,
      env: { DEMO_CATALOG: 'false', TIER_VIP_POINTS: '100', TIER_ENTERPRISE_POINTS: '1000000', RECOMMEND_K: '20' },
    });
    gateway = await spawnPulse('gateway', { ...options, waitReady: false });
    await waitFor('gateway up', async () => (await http(url(), 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200, waiting);
    admin = await new TokenService(secret).sign({ sub: 'ops', role: 'admin' }, 600);
    const batch = await http<{ upserted: number }>(url(), 'POST', '/v1/items/batch', { token: admin, body: { items } });
    expect(batch.body.upserted).toBe(items.length);
    await waitFor(
      'the catalog indexed',
      async () => (await http<{ total: number }>(url(), 'GET', '/v1/items?limit=1', { token: admin })).body.total === items.length,
      waiting,
    );

    // Fans make hidden items popular and co-visited with the regular ones (admin-sent, no points):
    // without the tier filter they would fill new shoppers' lists.
    const fanEvents = groups
      .flatMap((g, gi) =>
        Array.from({ length: 3 }, (_, f) =>
          [
            ...g.ids.regular.slice(0, 3).map((itemId) => ({ type: 'view', itemId })),
            ...[...g.ids.vip, ...g.ids.enterprise].map((itemId) => ({ type: 'view', itemId })),
            {
              type: 'purchase',
              orderId: `fan-${gi}-${f}`,
              items: [...g.ids.vip, ...g.ids.enterprise].map((itemId) => ({ itemId, quantity: 1, price: 100 })),
            },
          ].map((event) => ({ ...event, userId: `fan-${gi}-${f}` })),
        ),
      )
      .flat();
    const fans = await http<{ accepted: number }>(url(), 'POST', '/v1/events', { token: admin, body: { events: fanEvents } });
    expect(fans.body.accepted).toBe(fanEvents.length);

    const random = mulberry32(4);
    // Four registrations at a time: each is an scrypt hash on the engine's thread pool.
    for (let i = 0; i < 32; i += 4) {
      const registered = await Promise.all(
        [i, i + 1, i + 2, i + 3].map((n) =>
          http<{ memberId: string; token: string }>(url(), 'POST', '/v1/members', {
            body: { email: `shopper${n}.${Date.now().toString(36)}@example.com`, password: 'regular member', name: `Shopper ${n}` },
          }),
        ),
      );
      for (const res of registered) {
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        members.push(await join(res.body.memberId, res.body.token, 'regular', random));
      }
    }
    // Controls with storefront-minted VIP tokens walk the same way: VIP items do rank for them.
    for (const i of [0, 1])
      controls.push(
        await join(
          `v_control_${i}`,
          await new TokenService(secret).sign({ sub: `v_control_${i}`, role: 'visitor', tier: 'vip' }, 600),
          'vip',
          random,
        ),
      );
  }, 60_000);

  afterAll(async () => {
    for (const shopper of [...members, ...controls]) shopper.socket.close();
    redis?.disconnect();
    await Promise.all([gateway?.stop(), engine?.stop()]);
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('never shows a regular member a VIP or enterprise item, over 32 random sessions', async () => {
    await Promise.all([...members, ...controls].map((shopper, i) => walk(shopper, mulberry32(100 + i), 14)));
    await waitFor('every event applied', async () => (await Promise.all([...members, ...controls].map(applied))).every(Boolean), waiting);

    for (const shopper of members) {
      const g = shopper.favourites[0]!;
      // Hidden items do not exist for them: the item, its similar list.
      for (const itemId of [g.ids.vip[0]!, g.ids.enterprise[0]!]) {
        expect((await get<{ error: { code: string } }>(shopper, `/v1/items/${itemId}`, 404)).error.code).toBe('not_found');
        expect((await get<{ error: { code: string } }>(shopper, `/v1/items/${itemId}/similar`, 404)).error.code).toBe('not_found');
      }
      expect((await get<{ total: number }>(shopper, `/v1/items?category=${encodeURIComponent(g.category)}&limit=1`)).total).toBe(
        count(['regular'], g.category),
      );
    }
    expect(violations).toEqual([]);
    expect(watch.checked).toBeGreaterThan(5_000);
    expect(members.reduce((sum, s) => sum + s.pushes, 0)).toBeGreaterThan(members.length * 3);
    for (const control of controls) expect(control.vipSeen, control.userId).toBeGreaterThan(0);
  });

  it('shows VIP items, never enterprise ones, once the member crosses the VIP threshold, with the old token', async () => {
    const buyer = members[0]!;
    const bystander = members[1]!;
    const g = buyer.favourites[0]!;
    const vipId = g.ids.vip[0]!;
    const hasVip = (ids: string[]) => ids.some((id) => minTierOf.get(id) === 'vip');
    expect((await get<{ total: number }>(buyer, '/v1/items?limit=1')).total).toBe(count(['regular']));

    // The tier is taken as the 'member' event arrives, not a microtask later: the push that follows
    // it may come in the same socket read (the gateway coalesces writes) and be checked at once.
    const tierChanged = new Promise<Record<string, unknown>>((resolve) =>
      buyer.socket.once('member', (event: Record<string, unknown>) => {
        buyer.tier = 'vip';
        resolve(event);
      }),
    );
    const vipPush = nextPush(buyer.socket, 10_000, (list) => hasVip(listIds(list)));
    // The browser's purchase is a behaviour signal; the shop's order for it earns the points (100+ for VIP).
    const bought = items.find((item) => item.itemId === g.ids.regular[0]!)!;
    const quantity = Math.ceil(150 / bought.price);
    const purchase = { type: 'purchase', orderId: 'upgrade-1', items: [{ itemId: bought.itemId, quantity, price: bought.price }] };
    expect(await emitWithAck(buyer.socket, 'track', purchase)).toMatchObject({ ok: true });
    buyer.events++;
    const shop = await new TokenService(secret).sign({ sub: 'shop-1', role: 'shop' }, 600);
    const order = await http(url(), 'POST', '/v1/orders', {
      token: shop,
      body: {
        orderId: 'upgrade-1',
        userId: buyer.userId,
        status: 'paid',
        lines: [{ itemId: bought.itemId, quantity, price: bought.price }],
      },
    });
    expect(order.status).toBe(202);
    buyer.events++; // the order counts in the user state's total too
    const points = Math.round(quantity * bought.price);
    expect(await Promise.race([tierChanged, sleep(10_000).then(() => 'no member event')])).toEqual({
      type: 'tier_changed',
      from: 'regular',
      to: 'vip',
      points,
      lifetimePoints: points,
    });
    // The push after the upgrading purchase (checked, like every push, by the socket's listener).
    const pushed = listIds(await vipPush);

    // Every answer, asked with the token minted before the upgrade.
    expect((await get<Item>(buyer, `/v1/items/${vipId}`)).itemId).toBe(vipId);
    expect(
      hasVip(check(buyer, 'similar of a VIP item', listIds(await get<RecommendationList>(buyer, `/v1/items/${vipId}/similar?k=20`)))),
    ).toBe(true);
    expect((await get<{ total: number }>(buyer, '/v1/items?limit=1')).total).toBe(count(['regular', 'vip']));
    expect((await get<{ total: number }>(buyer, `/v1/items?category=${encodeURIComponent(g.category)}&limit=1`)).total).toBe(
      count(['regular', 'vip'], g.category),
    );
    expect(
      hasVip(
        check(
          buyer,
          'GET /v1/items?query',
          (await get<{ items: Item[] }>(buyer, `/v1/items?query=${g.word}&limit=100`)).items.map((item) => item.itemId),
        ),
      ),
    ).toBe(true);
    const inCategory = await emitWithAck<RecommendationList>(buyer.socket, 'recommend', { k: 100, category: g.category });
    expect(hasVip(check(buyer, 'recommend ack with category', listIds(inCategory)))).toBe(true);
    expect(
      hasVip(
        check(buyer, 'GET /v1/recommendations', listIds(await get<RecommendationList>(buyer, `/v1/recommendations?k=100&query=${g.word}`))),
      ),
    ).toBe(true);

    // A later event sent with the old token: its push is still ranked for VIP (seeing a listed
    // VIP item removes it from the list, so the list changes and is pushed).
    const nextVipPush = nextPush(buyer.socket, 10_000, (list) => hasVip(listIds(list)));
    expect(
      await emitWithAck(buyer.socket, 'track', { type: 'view', itemId: pushed.find((id) => minTierOf.get(id) === 'vip') }),
    ).toMatchObject({ ok: true });
    buyer.events++;
    await nextVipPush;

    // Enterprise items stay hidden; the other members are untouched.
    expect((await get<{ error: { code: string } }>(buyer, `/v1/items/${g.ids.enterprise[0]}`, 404)).error.code).toBe('not_found');
    expect((await get<{ error: { code: string } }>(buyer, `/v1/items/${g.ids.enterprise[0]}/similar`, 404)).error.code).toBe('not_found');
    for (const probe of probes) await probe(buyer, g, mulberry32(9));
    expect((await get<{ total: number }>(bystander, '/v1/items?limit=1')).total).toBe(count(['regular']));
    await get(bystander, `/v1/items/${vipId}`, 404);
    await waitFor("the buyer's events applied", () => applied(buyer), waiting);
    expect(violations).toEqual([]);
  });
});
