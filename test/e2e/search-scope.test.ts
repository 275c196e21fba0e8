import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, emitWithAck, http, nextPush, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

/**
 * Search and scopes through `npm start` on real nats-server and redis-server, with a catalog the
 * test puts (DEMO_CATALOG=false): 2,000 demo-shop items, of which 20 (1%) form the category
 * `garden/seeds`, 5% are offered in the `app` channel (a third of the lamps, 12 of the seeds) and
 * all others on the `web` only.
 */
const SECRET = 'e2e-secret-search';
const SEEDS = 'garden/seeds';

function shopCatalog(): Item[] {
  const items = generateDemoCatalog({ count: 2000, seed: 7 }).map((item) => {
    const { minTier: _tier, inStock: _stock, ...visible } = item;
    return visible as Item;
  });
  const books = items.filter((item) => item.category === 'books/fiction').slice(0, 20);
  books.forEach((item, i) => {
    item.category = SEEDS;
    item.title = `Heirloom ${item.title}`;
    if (i < 12) item.channels = ['app'];
  });
  let lamps = 0;
  items.forEach((item, i) => {
    if (item.channels) return;
    const app = item.category === 'home/lamps' ? lamps++ % 3 === 0 : i % 40 === 0;
    item.channels = app ? ['app', 'web'] : ['web'];
  });
  return items;
}

describe('search, category and channel scope, end to end (npm start)', () => {
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let token: string;
  let socket: Socket;
  const catalog = shopCatalog();
  const byId = new Map(catalog.map((item) => [item.itemId, item]));
  const isLamp = (id: string) => byId.get(id)?.category === 'home/lamps';
  const inApp = (id: string) => byId.get(id)?.channels?.includes('app') === true;

  const waiting = { timeoutMs: 30_000, intervalMs: 100, output: () => pulse?.output() ?? '' };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    // Wait for the gateway, put the catalog, wait until the engine holds it, then for /readyz.
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redis.url,
      authSecret: SECRET,
      waitReady: false,
      env: { DEMO_CATALOG: 'false' },
    });
    await waitFor(
      'the gateway up',
      async () => (await http(pulse.baseUrl, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200,
      waiting,
    );
    const admin = await new TokenService(SECRET).sign({ sub: 'ops', role: 'admin' }, 600);
    for (let start = 0; start < catalog.length; start += 1000) {
      const put = await http<{ upserted: number }>(pulse.baseUrl, 'POST', '/v1/items/batch', {
        token: admin,
        body: { items: catalog.slice(start, start + 1000) },
      });
      expect(put.body.upserted).toBe(1000);
    }
    // The catalog reaches the engine through the CATALOG stream: wait until it holds every item.
    await waitFor(
      'the catalog indexed',
      async () =>
        (await http<{ total: number }>(pulse.baseUrl, 'GET', '/v1/items?limit=1', { token: admin })).body.total === catalog.length,
      waiting,
    );
    await waitFor('the engine ready', async () => (await http(pulse.baseUrl, 'GET', '/readyz')).status === 200, waiting);
    token = (await visitor(pulse.baseUrl)).token;
    socket = await connectSocket(pulse.baseUrl, token);
  }, 90_000);

  afterAll(async () => {
    socket?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('turns the next pushed list toward lamps after a search for "lamp"', async () => {
    const runner = catalog.find((item) => item.category === 'sports/running')!;
    const viewed = nextPush(socket, 5000, (list) => list.cause === 'view-1');
    expect(await emitWithAck(socket, 'track', { id: 'view-1', type: 'view', itemId: runner.itemId })).toMatchObject({ ok: true });
    const before = await viewed;
    const searched = nextPush(socket, 5000, (list) => list.cause === 'search-1');
    expect(await emitWithAck(socket, 'track', { id: 'search-1', type: 'search', query: 'lamp' })).toMatchObject({ ok: true });
    const after = await searched;
    const lamps = (list: RecommendationList) => list.items.filter((item) => isLamp(item.itemId)).length;
    expect(before.items).toHaveLength(10);
    expect(after.items).toHaveLength(10);
    expect(lamps(before)).toBeLessThanOrEqual(2);
    expect(lamps(after)).toBeGreaterThanOrEqual(6);
    expect(lamps(after)).toBeGreaterThan(lamps(before));

    // Asked with the query, the list is lamps, each saying why.
    const asked = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10, query: 'lamp' });
    expect(asked.items).toHaveLength(10);
    for (const { itemId, reason } of asked.items) {
      expect(isLamp(itemId)).toBe(true);
      expect(reason).toBe("for your search 'lamp'");
    }
  });

  it('returns k in-scope items for a category of 1% of the catalog, for a channel, and for both', async () => {
    expect(catalog.filter((item) => item.category === SEEDS)).toHaveLength(catalog.length / 100);
    expect(catalog.filter((item) => inApp(item.itemId)).length / catalog.length).toBeLessThan(0.06);
    const seeds = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10, category: SEEDS });
    expect(seeds.items).toHaveLength(10);
    for (const { itemId } of seeds.items) expect(byId.get(itemId)!.category).toBe(SEEDS);

    const app = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10, channel: 'app' });
    expect(app.items).toHaveLength(10);
    for (const { itemId } of app.items) expect(inApp(itemId)).toBe(true);
    expect(app.context).toMatchObject({ channel: 'app', k: 10 });

    const both = await http<RecommendationList>(
      pulse.baseUrl,
      'GET',
      `/v1/recommendations?k=10&channel=app&category=${encodeURIComponent(SEEDS)}`,
      { token },
    );
    expect(both.status).toBe(200);
    expect(both.body.items).toHaveLength(10);
    for (const { itemId } of both.body.items) {
      expect(byId.get(itemId)!.category).toBe(SEEDS);
      expect(inApp(itemId)).toBe(true);
    }

    const appLamps = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10, channel: 'app', query: 'lamp' });
    expect(appLamps.items).toHaveLength(10);
    for (const { itemId } of appLamps.items) expect(isLamp(itemId) && inApp(itemId)).toBe(true);
  });

  it('refuses an item with an empty channel list and keeps serving', async () => {
    const admin = await new TokenService(SECRET).sign({ sub: 'ops', role: 'admin' }, 600);
    const bad = await http<{ error: { code: string } }>(pulse.baseUrl, 'PUT', '/v1/items/bad-1', {
      token: admin,
      body: { itemId: 'bad-1', title: 'X', category: 'x', price: 1, channels: [] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_item');
    expect((await http(pulse.baseUrl, 'GET', '/v1/items/bad-1', { token: admin })).status).toBe(404);
    const still = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 5, channel: 'web' });
    expect(still.items).toHaveLength(5);
  });
});
