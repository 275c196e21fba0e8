import { Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, emitWithAck, http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { tvShopCatalog, tvShopStream } from '../helpers/tv-shop.js';

/**
 * Issue 6, must-show 1 (cross-category chains), with real servers: an engine and a gateway
 * process on a private nats-server and redis-server. The TV shop (test/helpers/tv-shop.ts: TVs
 * are substitutes of each other, wall brackets and soundbars their complements) is imported with
 * its shoppers' history; a new visitor who compares TVs is shown TVs, and once they buy one, the
 * pushed list holds brackets and soundbars, "often bought with" that TV, and no TV at all.
 */
describe('after a purchase the list turns from substitutes to complements (engine + gateway)', () => {
  const secret = 'e2e-secret-complements';
  const shop = tvShopCatalog();
  const tvs = new Set(shop.tvs);
  const goesWithTv = new Set([...shop.brackets, ...shop.soundbars]);
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let engine: PulseProcess;
  let gateway: PulseProcess;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    const common = { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret, env: { DEMO_CATALOG: 'false' } };
    [engine, gateway] = await Promise.all([spawnPulse('engine', common), spawnPulse('gateway', common)]);
    const admin = await new TokenService(secret).sign({ sub: 'ops', role: 'admin' }, 600);

    const put = await http<{ upserted: number }>(gateway.baseUrl, 'POST', '/v1/items/batch', { token: admin, body: { items: shop.items } });
    expect(put.body.upserted).toBe(shop.items.length);
    const last = shop.items[shop.items.length - 1]!.itemId;
    await vi.waitFor(
      async () =>
        expect((await http<Item>(gateway.baseUrl, 'GET', `/v1/items/${last}`, { token: admin })).status, 'the catalog in the engine').toBe(
          200,
        ),
      { timeout: 30_000, interval: 100 },
    );

    const history = tvShopStream(shop, { start: Date.now() - 20 * 86_400_000 });
    for (let i = 0; i < history.length; i += 500) {
      const posted = await http<{ accepted: number }>(gateway.baseUrl, 'POST', '/v1/events', {
        token: admin,
        body: { events: history.slice(i, i + 500) },
      });
      expect(posted.body.accepted).toBe(Math.min(500, history.length - i));
    }
    // Each batch writes its aggregates and then its analytics counters on the engine's one Redis
    // connection (in that order): once the counters hold every event, so do the aggregates.
    await vi.waitFor(async () => expect(await countedEvents(), 'the history applied').toBe(history.length), {
      timeout: 60_000,
      interval: 100,
    });
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all([engine?.stop(), gateway?.stop()]);
    redis?.disconnect();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('pushes brackets and soundbars, and no TV, to a shopper who compared TVs and bought one', async () => {
    const { visitorId, token } = await visitor(gateway.baseUrl);
    const socket = await connectSocket(gateway.baseUrl, token);
    sockets.push(socket);
    const [a, b, bought] = [shop.tvs[1]!, shop.tvs[6]!, shop.tvs[3]!];
    for (const itemId of [a, b, bought]) {
      const ack = await emitWithAck<{ ok: boolean }>(socket, 'track', { type: 'view', itemId });
      expect(ack.ok).toBe(true);
    }
    await expect
      .poll(async () => Number(await redis.hget(`u:{${visitorId}}:st`, 'c:total')) === 3, {
        timeout: 30_000,
        interval: 100,
        message: 'three views applied',
      })
      .toBe(true);
    const before = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10 });
    expect(before.items.slice(0, 5).filter((item) => tvs.has(item.itemId)).length).toBeGreaterThanOrEqual(4);

    const pushed = collect(socket);
    const ack = await emitWithAck<{ ok: boolean; id: string }>(socket, 'track', {
      type: 'purchase',
      items: [{ itemId: bought, quantity: 1, price: 700 }],
    });
    expect(ack.ok).toBe(true);
    await expect
      .poll(async () => pushed.some((list) => list.cause === ack.id), {
        timeout: 5000,
        interval: 100,
        message: 'the push after the purchase',
      })
      .toBe(true);
    const after = pushed.find((list) => list.cause === ack.id)!;
    expect(after.items).toHaveLength(10);
    expect(after.items.filter((item) => tvs.has(item.itemId))).toEqual([]);
    expect(after.items.slice(0, 5).every((item) => goesWithTv.has(item.itemId))).toBe(true);
    const title = shop.items.find((item) => item.itemId === bought)!.title;
    expect(after.items.filter((item) => item.reason === `often bought with ${title}`).length).toBeGreaterThanOrEqual(5);

    // The list asked for again says the same; a search for TVs still finds them.
    const asked = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10 });
    expect(asked.items.map((item) => item.itemId)).toEqual(after.items.map((item) => item.itemId));
    const scoped = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 5, category: 'electronics/tvs' });
    expect(scoped.items.every((item) => tvs.has(item.itemId))).toBe(true);
  });

  async function countedEvents(): Promise<number> {
    const totals = await redis.hgetall('sx:{sx}:tot');
    return Object.entries(totals).reduce((sum, [field, value]) => (field.startsWith('ev:') ? sum + Number(value) : sum), 0);
  }
});

function collect(socket: Socket): RecommendationList[] {
  const lists: RecommendationList[] = [];
  socket.on('recommendations', (list: RecommendationList) => lists.push(list));
  return lists;
}
