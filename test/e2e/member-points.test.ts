import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import type { LedgerEntry } from '../../engine/members/member-store.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, emitWithAck, http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

type Profile = { memberId: string; tier: string; points: number; lifetimePoints: number };

/**
 * Points end to end (`npm start` on real NATS and Redis, default rates 1/1.5/2 and VIP at 1000):
 * a shop order sent twice credits once, its cancellation takes it back, crossing VIP pushes a
 * `member` event and opens VIP-only items in the member's next list.
 */
describe('member points', () => {
  const secret = 'e2e-secret-points';
  let nats: TestServer;
  let redisServer: TestServer;
  let pulse: PulseProcess;
  let token: string;
  let memberId: string;
  let shop: string;
  let socket: Socket;
  const catalog = generateDemoCatalog();
  const vipItem = catalog.find((item) => item.minTier === 'vip' && item.inStock !== false)!;
  const category = vipItem.category;
  const vipIds = new Set(catalog.filter((item) => item.minTier === 'vip').map((item) => item.itemId));
  const regularItem = catalog.find((item) => !item.minTier || item.minTier === 'regular')!;

  const me = async () => (await http<Profile>(pulse.baseUrl, 'GET', '/v1/members/me', { token })).body;
  const send = async (events: unknown[]) => {
    const res = await http<{ accepted: number }>(pulse.baseUrl, 'POST', '/v1/events', { token, body: { events } });
    expect(res.status).toBe(202);
  };
  const order = async (body: Record<string, unknown>) => {
    const res = await http<{ accepted: boolean; duplicate?: boolean }>(pulse.baseUrl, 'POST', '/v1/orders', {
      token: shop,
      body: { userId: memberId, ...body },
    });
    expect(res.status).toBe(202);
    return res.body;
  };
  const waiting = { timeoutMs: 10_000, output: () => pulse.output().slice(-3000) };
  const ledger = async (query = '') =>
    (await http<{ entries: LedgerEntry[]; next?: number }>(pulse.baseUrl, 'GET', `/v1/members/me/points${query}`, { token })).body;

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret });
    const res = await http<{ memberId: string; token: string }>(pulse.baseUrl, 'POST', '/v1/members', {
      body: { email: `grace.${Date.now().toString(36)}@example.com`, password: 'compiler first', name: 'Grace' },
    });
    expect(res.status).toBe(201);
    token = res.body.token;
    memberId = res.body.memberId;
    shop = await new TokenService(secret).sign({ sub: 'shop-1', role: 'shop' }, 3600);
    socket = await connectSocket(pulse.baseUrl, token);
  });

  afterAll(async () => {
    socket?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('credits an order once when the shop sends it twice, and its cancellation takes it back', async () => {
    const paid = { orderId: 'o1', status: 'paid', lines: [{ itemId: regularItem.itemId, quantity: 2, price: regularItem.price }] };
    const points = Math.round(2 * regularItem.price);
    expect(await order(paid)).toEqual({ orderId: 'o1', status: 'paid', accepted: true });
    expect(await order(paid)).toEqual({ orderId: 'o1', status: 'paid', accepted: true, duplicate: true });
    // A browser purchase of the same member earns nothing, whatever it says.
    await send([{ id: 'order-1', type: 'purchase', orderId: 'o1', items: [{ itemId: regularItem.itemId, quantity: 2, price: 60.25 }] }]);
    // A later event of the same user is applied after both copies (per-user order).
    await send([{ id: 'view-1', type: 'view', itemId: regularItem.itemId }]);
    await waitFor('the order credited', async () => (await me()).points === points, waiting);
    await sleep(300);
    expect(await me()).toMatchObject({ points, lifetimePoints: points, tier: 'regular' });

    await order({ orderId: 'o1', status: 'cancelled' });
    await waitFor('the cancellation applied', async () => (await me()).points === 0, waiting);
    expect(await me()).toMatchObject({ points: 0, lifetimePoints: 0 });
    const page = await ledger('?limit=5');
    expect(page.entries.map((e) => [e.entryId, e.delta, e.balance, e.cause, e.orderId])).toEqual([
      [2, -points, 0, 'cancellation', 'o1'],
      [1, points, points, 'order', 'o1'],
    ]);
    expect((await ledger('?limit=1')).next).toBe(2);
    expect((await ledger('?limit=1&before=2')).entries.map((e) => e.entryId)).toEqual([1]);
    const bad = await http<{ error: { code: string } }>(pulse.baseUrl, 'GET', '/v1/members/me/points?limit=0', { token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it('pushes a member event on crossing VIP and opens VIP-only items in the next list', async () => {
    const k = 100;
    const before = await emitWithAck<RecommendationList>(socket, 'recommend', { k, category });
    expect(before.items.length).toBeGreaterThan(0);
    expect(before.items.filter((item) => vipIds.has(item.itemId))).toEqual([]);

    const memberEvent = new Promise<Record<string, unknown>>((resolve) => socket.once('member', resolve));
    // Enough units of the item for 1000 points or more at the regular rate (1 per currency unit).
    const quantity = Math.ceil(1000 / regularItem.price);
    await order({ orderId: 'o2', status: 'paid', lines: [{ itemId: regularItem.itemId, quantity, price: regularItem.price }] });
    const points = Math.round(quantity * regularItem.price);
    const pushed = await Promise.race([memberEvent, sleep(10_000).then(() => undefined)]);
    expect(pushed).toEqual({ type: 'tier_changed', from: 'regular', to: 'vip', points, lifetimePoints: points });
    expect(await me()).toMatchObject({ tier: 'vip', points });

    // The token still says regular; the member record's tier decides.
    const after = await emitWithAck<RecommendationList>(socket, 'recommend', { k, category });
    expect(after.items.some((item) => vipIds.has(item.itemId))).toBe(true);
  });
});
