import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item, RecommendationList, Tier } from '../../engine/contracts/schemas.js';
import { tierRank } from '../../engine/contracts/schemas.js';
import { TokenService } from '../../gateway/auth.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { connectSocket, emitWithAck, http, nextPush } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

/**
 * Issue 4, must-show 3: a regular member never receives a VIP-only (or enterprise-only) item in
 * any push, list, search, similar-items answer or catalog route, over many random sessions that
 * lean toward the hidden items; after crossing the VIP threshold the same member, with the token
 * minted before the upgrade, gets VIP items in all of them, and still no enterprise item.
 * A separate engine and gateway on real NATS and Redis; VIP at 100 points.
 */

// 12 groups (category x brand) of 16 look-alike items: 8 regular, 5 VIP-only, 3 enterprise-only.
const CATEGORIES = [
  { category: 'home/lamps', noun: 'lamp', brands: ['Lumo', 'Halden', 'Brio'] },
  { category: 'kitchen/knives', noun: 'knife', brands: ['Kato', 'Sabre', 'Ferro'] },
  { category: 'garden/tools', noun: 'spade', brands: ['Verde', 'Rook', 'Moss'] },
  { category: 'fashion/watches', noun: 'watch', brands: ['Tempo', 'Orbit', 'Quill'] },
];
const WORDS = ['aurora', 'nimbus', 'solace', 'ember', 'tundra', 'zephyr', 'marlin', 'cobalt', 'juniper', 'saffron', 'onyx', 'willow'];
const PER_GROUP: Record<Tier, number> = { regular: 8, vip: 5, enterprise: 3 };

interface Group {
  word: string;
  category: string;
  ids: Record<Tier, string[]>;
}

const groups: Group[] = CATEGORIES.flatMap(({ category, brands }, c) =>
  brands.map((_, b) => ({ word: WORDS[c * 3 + b]!, category, ids: { regular: [], vip: [], enterprise: [] } })),
);
const items: Item[] = groups.flatMap((group, g) => {
  const { noun, brands } = CATEGORIES[Math.floor(g / 3)]!;
  const brand = brands[g % 3]!;
  return (['regular', 'vip', 'enterprise'] as const).flatMap((tier) =>
    Array.from({ length: PER_GROUP[tier] }, (_, i) => {
      const itemId = `g${g}-${tier[0]}${i}`;
      group.ids[tier].push(itemId);
      const price = { regular: 20, vip: 90, enterprise: 300 }[tier] + i * 5;
      return {
        itemId,
        title: `${group.word} ${brand} ${noun} no ${i}`,
        category: group.category,
        brand,
        price,
        tags: [group.word],
        ...(tier === 'regular' ? {} : { minTier: tier }),
      };
    }),
  );
});
const minTierOf = new Map(items.map((item) => [item.itemId, item.minTier ?? 'regular']));
const count = (tiers: Tier[], category?: string) =>
  items.filter((item) => tiers.includes(item.minTier ?? 'regular') && (!category || item.category === category)).length;

interface Shopper {
  userId: string;
  token: string;
  socket: Socket;
  /** The tier the shopper holds now: every answer must stay within it. */
  tier: Tier;
  events: number;
  pushes: number;
  /** VIP-only items seen in answers (the controls prove the walks make them rank). */
  vipSeen: number;
  favourites: Group[];
}

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
  const violations: string[] = [];
  let checked = 0;

  const url = () => gateway.baseUrl;
  const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}\n${engine.output().slice(-2000)}\n${gateway.output().slice(-2000)}`);
      await sleep(50);
    }
  };

  /** Records every item of an answer above the shopper's tier; returns the ids. */
  const check = (shopper: Shopper, where: string, ids: string[]): string[] => {
    for (const id of ids) {
      checked++;
      const minTier = minTierOf.get(id) ?? 'enterprise';
      if (minTier === 'vip') shopper.vipSeen++;
      if (tierRank(minTier) > tierRank(shopper.tier))
        violations.push(`${shopper.userId} (${shopper.tier}) got ${id} (${minTier}) in ${where}`);
    }
    return ids;
  };
  const listIds = (list: RecommendationList) => list.items.map((item) => item.itemId);
  const get = async <T>(shopper: Shopper, path: string, status = 200) => {
    const res = await http<T>(url(), 'GET', path, { token: shopper.token });
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(status);
    return res.body;
  };

  async function join(userId: string, token: string, tier: Tier, random: () => number): Promise<Shopper> {
    const socket = await connectSocket(url(), token);
    const favourites = [groups[Math.floor(random() * groups.length)]!, groups[Math.floor(random() * groups.length)]!];
    const shopper: Shopper = { userId, token, socket, tier, events: 0, pushes: 0, vipSeen: 0, favourites };
    socket.on('recommendations', (list: RecommendationList) => {
      shopper.pushes++;
      check(shopper, `push caused by ${list.cause}`, listIds(list));
    });
    return shopper;
  }

  // Every answer a shopper can ask for, each returning the item ids it held (already checked).
  const probes: Array<(s: Shopper, g: Group, random: () => number) => Promise<string[]>> = [
    async (s) => check(s, 'recommend ack', listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30 }))),
    async (s, g) =>
      check(s, 'recommend ack with query', listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, query: g.word }))),
    async (s, g) =>
      check(
        s,
        'recommend ack with category',
        listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, category: g.category })),
      ),
    async (s, g) =>
      check(
        s,
        'recommend ack with both',
        listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, category: g.category, query: g.word })),
      ),
    async (s) => check(s, 'GET /v1/recommendations', listIds(await get<RecommendationList>(s, '/v1/recommendations?k=30'))),
    async (s, g) =>
      check(
        s,
        'GET /v1/recommendations?category',
        listIds(await get<RecommendationList>(s, `/v1/recommendations?k=30&category=${encodeURIComponent(g.category)}&query=${g.word}`)),
      ),
    async (s, g, random) =>
      check(s, 'similar', listIds(await get<RecommendationList>(s, `/v1/items/${g.ids.regular[Math.floor(random() * 8)]}/similar?k=20`))),
    async (s, g) =>
      check(
        s,
        'GET /v1/items?query',
        (await get<{ items: Item[] }>(s, `/v1/items?query=${g.word}&limit=100`)).items.map((item) => item.itemId),
      ),
    async (s, g) =>
      check(
        s,
        'GET /v1/items?category',
        (await get<{ items: Item[] }>(s, `/v1/items?category=${encodeURIComponent(g.category)}&limit=100`)).items.map(
          (item) => item.itemId,
        ),
      ),
  ];

  /** A random walk leaning toward the favourite groups' hidden items, with answers asked in between. */
  async function walk(shopper: Shopper, random: () => number, steps: number): Promise<void> {
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    for (let step = 0; step < steps; step++) {
      const g = random() < 0.75 ? shopper.favourites[0]! : shopper.favourites[1]!;
      const r = random();
      if (r < 0.25) {
        await pick(probes)(shopper, g, random);
        continue;
      }
      const event =
        r < 0.45
          ? { type: 'view', itemId: pick(g.ids.regular) }
          : r < 0.55
            ? { type: 'click', itemId: pick(g.ids.regular) }
            : r < 0.65
              ? { type: 'add_to_cart', itemId: pick(g.ids.regular) }
              : r < 0.8
                ? { type: 'search', query: `${g.word} ${random() < 0.5 ? 'no' : ''}`.trim() }
                : // A link to a hidden item (shared by a friend): the taste moves toward the hidden ones.
                  { type: 'view', itemId: pick([...g.ids.vip, ...g.ids.enterprise]) };
      const ack = await emitWithAck<{ ok: boolean }>(shopper.socket, 'track', event);
      expect(ack, JSON.stringify(ack)).toMatchObject({ ok: true });
      shopper.events++;
    }
    for (const probe of probes) await probe(shopper, shopper.favourites[0]!, random);
  }

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
    await until('gateway up', async () => (await http(url(), 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200);
    admin = await new TokenService(secret).sign({ sub: 'ops', role: 'admin' }, 600);
    const batch = await http<{ upserted: number }>(url(), 'POST', '/v1/items/batch', { token: admin, body: { items } });
    expect(batch.body.upserted).toBe(items.length);
    await until(
      'the catalog indexed',
      async () => (await http<{ total: number }>(url(), 'GET', '/v1/items?limit=1', { token: admin })).body.total === items.length,
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
    await until('every event applied', async () => (await Promise.all([...members, ...controls].map(applied))).every(Boolean));

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
    expect(checked).toBeGreaterThan(5_000);
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

    const tierChanged = new Promise<Record<string, unknown>>((resolve) => buyer.socket.once('member', resolve)).then((event) => {
      buyer.tier = 'vip';
      return event;
    });
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
    await until("the buyer's events applied", () => applied(buyer));
    expect(violations).toEqual([]);
  });
});
