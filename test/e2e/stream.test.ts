import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { connectSocket, emitWithAck, http, nextPush, visitor } from '../helpers/clients.js';
import { TokenService } from '../../gateway/auth.js';

/**
 * Must-show 1: `npm start` (gateway + engine in one process, demo catalog) against a real
 * nats-server and redis-server; a visitor's view of item A is answered by a pushed list within
 * one second that differs from the one before and moves toward A's neighbours.
 */
describe('the stream, end to end (npm start)', () => {
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: 'e2e-secret-stream' });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('pushes a fresh list caused by a view, moved toward the viewed item (latency: npm run bench)', async () => {
    const { token } = await visitor(pulse.baseUrl);
    const socket = await connectSocket(pulse.baseUrl, token);
    sockets.push(socket);

    const before = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10 });
    expect(before.items).toHaveLength(10);

    // Item A: a visible, in-stock item outside the current list, from a category of its own.
    const browse = await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=200', { token });
    expect(browse.status).toBe(200);
    const shown = new Set(before.items.map((i) => i.itemId));
    const a = browse.body.items.find((item) => !shown.has(item.itemId) && item.inStock !== false)!;
    expect(a).toBeDefined();
    const neighbours = await http<RecommendationList>(pulse.baseUrl, 'GET', `/v1/items/${a.itemId}/similar?k=50`, { token });
    expect(neighbours.status).toBe(200);
    const near = new Set(neighbours.body.items.map((i) => i.itemId));
    const overlap = (list: RecommendationList) => list.items.filter((i) => near.has(i.itemId)).length;

    const pushed = nextPush(socket, 10_000);
    const ack = await emitWithAck<{ ok: boolean; id: string }>(socket, 'track', { type: 'view', itemId: a.itemId });
    expect(ack.ok).toBe(true);
    const after = await pushed;

    expect(after.cause).toBe(ack.id);
    expect(after.items).toHaveLength(10);
    expect(after.items.map((i) => i.itemId)).not.toEqual(before.items.map((i) => i.itemId));
    expect(after.items.some((i) => i.itemId === a.itemId)).toBe(false);
    expect(overlap(after)).toBeGreaterThan(overlap(before));
    expect(overlap(after)).toBeGreaterThanOrEqual(5);
  });

  it('makes an upserted item recommendable without a restart', async () => {
    const admin = await new TokenService('e2e-secret-stream').sign({ sub: 'ops', role: 'admin' }, 600);
    const { token } = await visitor(pulse.baseUrl);
    const browse = await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=50', { token });
    const anchor = browse.body.items.find((item) => item.inStock !== false)!;
    const fresh: Item = { ...anchor, itemId: 'sku-new-1', title: `${anchor.title} (new edition)`, inStock: true };
    delete fresh.minTier;
    const put = await http<Item>(pulse.baseUrl, 'PUT', '/v1/items/sku-new-1', { token: admin, body: fresh });
    expect(put.status).toBe(200);
    await expect
      .poll(
        async () =>
          (await http<RecommendationList>(pulse.baseUrl, 'GET', `/v1/items/${anchor.itemId}/similar?k=5`, { token })).body.items.map(
            (i) => i.itemId,
          ),
        { timeout: 10_000, interval: 20 },
      )
      .toContain('sku-new-1');
    const deleted = await http(pulse.baseUrl, 'DELETE', '/v1/items/sku-new-1', { token: admin });
    expect(deleted.status).toBe(200);
    // The delete travels through the catalog log to the engine's copy: the item is gone once it lands.
    await expect
      .poll(async () => (await http(pulse.baseUrl, 'GET', '/v1/items/sku-new-1', { token })).status, { timeout: 10_000 })
      .toBe(404);
  });

  it('serves health, readiness with the real servers, and Prometheus metrics', async () => {
    expect((await http(pulse.baseUrl, 'GET', '/healthz')).status).toBe(200);
    const ready = await http<{ ready: boolean; checks: Record<string, { ok: boolean; detail: string }> }>(pulse.baseUrl, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.nats?.detail).toContain('connected');
    expect(ready.body.checks.redis?.detail).toContain('ready');
    const metrics = await http<string>(pulse.baseUrl, 'GET', '/metrics');
    expect(metrics.body).toContain('pulse_gateway_push_latency_seconds_bucket');
    expect(metrics.body).toContain('pulse_engine_events_applied_total{type="view"} 1');
  });
});
