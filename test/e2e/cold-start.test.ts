import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import { subjects } from '../../engine/contracts/subjects.js';
import { TokenService } from '../../gateway/auth.js';
import { connectSocket, emitWithAck, http } from '../helpers/clients.js';
import { coPurchaseStream, groupedCatalog, groupIds, newItemLike, trainInto } from '../helpers/grouped-shop.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

/**
 * Must-show (issue 3), end to end: `npm start` finds the newest trained model in DATA_DIR/models
 * at start and serves it; an item PUT through the API after training reaches the list of a shopper
 * whose taste matches its attributes within one second; a model announced on NATS by another
 * process is swapped in without a restart.
 */
const secret = 'e2e-secret-cold-start';
const items: Item[] = groupedCatalog(12);

describe('cold start and model announcements (npm start)', () => {
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let dataDir: string;
  let admin: string;
  let first: { version: string; dir: string };
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    dataDir = await mkdtemp(join(tmpdir(), 'pulse-cold-'));
    first = await trainInto(join(dataDir, 'models'), items, coPurchaseStream(items), 64);
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redis.url,
      authSecret: secret,
      waitReady: false,
      env: { DATA_DIR: dataDir, DEMO_CATALOG: 'false' },
    });
    admin = await new TokenService(secret).sign({ sub: 'admin-cold', role: 'admin' }, 3600);
    await vi.waitFor(
      async () => expect((await http(pulse.baseUrl, 'GET', '/healthz').catch(() => ({ status: 0 }))).status, 'gateway up').toBe(200),
      { timeout: 30_000, interval: 100 },
    );
    const batch = await http<{ upserted: number }>(pulse.baseUrl, 'POST', '/v1/items/batch', { token: admin, body: { items } });
    expect(batch.body.upserted).toBe(items.length);
    // The batch's answer means stored in CATALOG; the engine indexes it shortly after, in slices.
    await vi.waitFor(
      async () => {
        const ready = await http<{ checks?: { index?: { detail?: string } } }>(pulse.baseUrl, 'GET', '/readyz');
        expect(
          ready.status === 200 && ready.body.checks?.index?.detail?.startsWith(`${items.length} items`) === true,
          'ready with the whole batch indexed',
        ).toBe(true);
      },
      { timeout: 30_000, interval: 100 },
    );
  }, 120_000);

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const readyDetail = async () =>
    (await http<{ checks: { index: { detail: string } } }>(pulse.baseUrl, 'GET', '/readyz')).body.checks.index.detail;

  it("serves the newest model found at start and puts a new item in a matching shopper's list", async () => {
    expect(await readyDetail()).toBe(`${items.length} items, model ${first.version}`);
    const token = await new TokenService(secret).sign({ sub: 'cold-shopper', role: 'member' }, 600);
    const socket = await connectSocket(pulse.baseUrl, token);
    sockets.push(socket);

    // Taste for A, with most of the A+B cluster already seen, so few near items are left.
    const seen = [...groupIds(items, 'a'), ...groupIds(items, 'b').slice(0, 6)];
    const pushed: RecommendationList[] = [];
    socket.on('recommendations', (list: RecommendationList) => pushed.push(list));
    let last: { ok: boolean; id: string } | undefined;
    for (const itemId of seen) last = await emitWithAck<{ ok: boolean; id: string }>(socket, 'track', { type: 'view', itemId });
    await expect
      .poll(async () => pushed.some((list) => list.cause === last!.id), { timeout: 5000, interval: 100, message: 'push for the last view' })
      .toBe(true);
    expect(pushed.every((list) => list.modelVersion === first.version)).toBe(true);

    const put = await http<Item>(pulse.baseUrl, 'PUT', '/v1/items/a-new', { token: admin, body: newItemLike('a', 'a-new') });
    expect(put.status).toBe(200);
    let ids: string[] = [];
    await expect
      .poll(async () => (ids = (await emitWithAck<RecommendationList>(socket, 'recommend', { k: 10 })).items.map((item) => item.itemId)), {
        timeout: 10_000,
        interval: 20,
      })
      .toContain('a-new');
    const firstOther = ids.findIndex((id) => !id.startsWith('a-') && !id.startsWith('b-'));
    expect(firstOther === -1 || ids.indexOf('a-new') < firstOther).toBe(true);
  }, 60_000);

  it('swaps in a model another process announces on NATS, without a restart', async () => {
    const second = await trainInto(join(dataDir, 'models'), items, coPurchaseStream(items, { seed: 8 }), 48);
    const trainer = await connect({ servers: nats.url });
    trainer.publish(subjects.modelPublished, JSON.stringify({ version: second.version, dir: second.dir }));
    await trainer.flush();
    await trainer.close();
    await expect
      .poll(async () => (await readyDetail()).includes(`model ${second.version}`), {
        timeout: 20_000,
        interval: 100,
        message: 'new model serving',
      })
      .toBe(true);

    const token = await new TokenService(secret).sign({ sub: 'after-swap', role: 'member' }, 600);
    const list = await http<RecommendationList>(pulse.baseUrl, 'GET', '/v1/recommendations?k=5', { token });
    expect(list.status).toBe(200);
    expect(list.body.modelVersion).toBe(second.version);
    expect(list.body.items).toHaveLength(5);
    // The log line comes through a pipe: it may trail the readiness answer a little.
    await expect
      .poll(() => pulse.output(), { timeout: 5000 })
      .toContain(`"msg":"model ${second.version} serving (${items.length + 1} items, built in`);
  }, 60_000);
});
