import { setTimeout as sleep } from 'node:timers/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { TokenService } from '../../gateway/auth.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from '../helpers/pulse-process.js';
import { freePort, startNats, startRedis, type RedisServer, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

const SECRET = 'e2e-secret-redis-crash';
const PARTITIONS = '4';
const PASSWORD = 'kept across a crash';

type Readyz = { ready: boolean; failed?: string[]; checks: Record<string, { ok: boolean; detail: string }> };
type Profile = { memberId: string; email: string; tier: string; points: number; lifetimePoints: number };

/** Checks here may throw while Redis or a process is down: that counts as not yet. */
const polling = { intervalMs: 100, retryErrors: true };

/**
 * Must-show 4 (nothing accepted is lost), end to end on real servers: redis-server with an
 * append-only file is SIGKILLed while events and member actions flow through a spawned gateway and
 * engine, and restarted on the same port and data dir. Every acked event counts exactly once
 * (those acked during the outage are applied once Redis is back), every account and its points
 * are still there, and both /readyz tell the truth on the way. A Redis that keeps nothing is
 * refused at start unless REDIS_EPHEMERAL_OK says the operator accepts the loss.
 */
describe('a Redis crash loses nothing acked; an ephemeral Redis is refused', () => {
  let nats: TestServer;
  let redis: RedisServer;
  let engine: PulseProcess;
  let gateway: PulseProcess;
  let engineUrl: string;
  let admin: string;
  // A small catalog keeps the engine's start short; orders are checked against its prices.
  const items = generateDemoCatalog()
    .filter((item) => (!item.minTier || item.minTier === 'regular') && item.inStock !== false)
    .slice(0, 60);
  const output = () => `--- engine\n${engine?.output().slice(-3000)}\n--- gateway\n${gateway?.output().slice(-1500)}`;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const options: SpawnPulseOptions = { natsUrl: nats.url, redisUrl: redis.url, authSecret: SECRET, timeoutMs: 60_000 };
    const enginePort = await freePort();
    engineUrl = `http://127.0.0.1:${enginePort}`;
    engine = await spawnPulse('engine', {
      ...options,
      env: { PULSE_PARTITIONS: PARTITIONS, ENGINE_PORT: String(enginePort), DEMO_CATALOG: 'false' },
    });
    gateway = await spawnPulse('gateway', { ...options, env: { PULSE_PARTITIONS: PARTITIONS } });
    admin = await new TokenService(SECRET).sign({ sub: 'ops', role: 'admin' }, 600);
    const put = await http<{ upserted: number }>(gateway.baseUrl, 'POST', '/v1/items/batch', { token: admin, body: { items } });
    expect(put.body.upserted).toBe(items.length);
    // The engine is ready once started (an empty catalog too); wait until its index holds the catalog.
    await waitFor(
      'the catalog indexed',
      async () => {
        const ready = await http<Readyz>(engineUrl, 'GET', '/readyz');
        return ready.status === 200 && ready.body.checks.index?.detail.startsWith(`${items.length} items`) === true;
      },
      {
        ...polling,
        timeoutMs: 30_000,
        output: () => engine.output().slice(-4000),
      },
    );
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await engine?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('(a) SIGKILL of redis-server mid-load: accounts, points and every acked event are there afterwards', async () => {
    const readyz = async (url: string) => http<Readyz>(url, 'GET', '/readyz');
    const engineReady = await readyz(engineUrl);
    expect(engineReady.status).toBe(200);
    expect(engineReady.body.checks.persistence).toEqual({ ok: true, detail: 'aof: appendonly yes (appendfsync everysec), save ""' });
    expect((await http<string>(engineUrl, 'GET', '/metrics')).body).toContain('pulse_engine_redis_persistence{mode="aof"} 1');
    const gatewayReady = await readyz(gateway.baseUrl);
    expect(gatewayReady.status).toBe(200);
    expect(Object.keys(gatewayReady.body.checks).sort()).toEqual(['engine', 'gateway', 'nats', 'persistence', 'redis']);

    // Accounts and an order each, before the crash.
    const run = Date.now().toString(36);
    const members: Array<{ memberId: string; email: string }> = [];
    for (let i = 0; i < 8; i++) {
      const email = `crash-${i}.${run}@example.com`;
      const res = await http<{ memberId: string }>(gateway.baseUrl, 'POST', '/v1/members', {
        body: { email, password: PASSWORD, name: `Crash ${i}` },
      });
      expect(res.status).toBe(201);
      members.push({ memberId: res.body.memberId, email });
    }
    const visitors = Array.from({ length: 8 }, (_, i) => `crash-visitor-${i}-${run}`);
    const users = [...members.map((m) => m.memberId), ...visitors];
    // Points come from orders the shop vouches for (admin may post them too).
    for (const [i, m] of members.entries()) {
      const item = items[i * 7]!;
      const order = {
        orderId: `o-${run}-${i}`,
        userId: m.memberId,
        status: 'paid',
        lines: [{ itemId: item.itemId, quantity: 2, price: item.price }],
      };
      const placed = await http(gateway.baseUrl, 'POST', '/v1/orders', { token: admin, body: order });
      expect(placed.status).toBe(202);
    }

    // Views flow from here on: each batch is retried with the same ids until the gateway acks all of it.
    const acked = new Map<string, number>(users.map((u) => [u, 0]));
    let sequence = 0;
    let sending = true;
    const sendBatch = async () => {
      const events = users.flatMap((userId) =>
        [0, 1].map(() => ({ id: `v-${(sequence += 1)}`, userId, type: 'view', itemId: items[sequence % items.length]!.itemId })),
      );
      for (;;) {
        const res = await http<{ accepted: number; rejected: unknown[] }>(gateway.baseUrl, 'POST', '/v1/events', {
          token: admin,
          body: { events },
        }).catch(() => undefined);
        if (res?.status === 202 && res.body.rejected.length === 0) break;
        await sleep(100);
      }
      for (const e of events) acked.set(e.userId, acked.get(e.userId)! + 1);
    };
    const load = (async () => {
      while (sending) {
        await sendBatch();
        await sleep(150);
      }
    })();

    const viewsOf = async (userId: string) => {
      const res = await http<{ activity?: { eventsByType?: Record<string, number> } }>(
        gateway.baseUrl,
        'GET',
        `/v1/users/${userId}/profile`,
        { token: admin },
      );
      return res.status === 200 ? (res.body.activity?.eventsByType?.view ?? 0) : -1;
    };
    const memberState = async (memberId: string) => {
      const profile = await http<Profile>(gateway.baseUrl, 'GET', `/v1/members/${memberId}`, { token: admin });
      const ledger = await http<{ entries: unknown[] }>(gateway.baseUrl, 'GET', `/v1/members/${memberId}/points?limit=1000`, {
        token: admin,
      });
      expect(profile.status).toBe(200);
      expect(ledger.status).toBe(200);
      return { ...profile.body, ledger: ledger.body.entries.length };
    };
    // The orders' points (and some views) are applied before the crash: that state must survive it.
    await waitFor(
      "the orders' points applied",
      async () =>
        (await Promise.all(members.map((m) => memberState(m.memberId)))).every((state) => state.points > 0 && state.ledger === 1) &&
        (await viewsOf(users[0]!)) > 0,
      { ...polling, timeoutMs: 15_000, output },
    );
    await sleep(1000);
    const before = await Promise.all(members.map((m) => memberState(m.memberId)));

    // Crash, mid-load.
    const ackedSoFar = () => [...acked.values()].reduce((a, b) => a + b, 0);
    await redis.kill();
    const ackedAtKill = ackedSoFar();
    // During the outage: the gateway says so (its own Redis connection and the engine's both fail).
    await waitFor(
      'the gateway /readyz to report redis failed',
      async () => {
        const res = await readyz(gateway.baseUrl);
        return res.status === 503 && (res.body.failed ?? []).includes('redis') && (res.body.failed ?? []).includes('engine');
      },
      { ...polling, timeoutMs: 5000, output },
    );
    expect((await readyz(engineUrl)).body).toMatchObject({ ready: false, failed: ['redis'] });
    // A registration during the outage either fails or, if it says 201, must exist afterwards.
    const during = await http<{ memberId: string }>(gateway.baseUrl, 'POST', '/v1/members', {
      body: { email: `during.${run}@example.com`, password: PASSWORD, name: 'During' },
      patient: false,
    }).catch(() => undefined);
    // Events keep being acked while Redis is down (JetStream holds them): a few batches' worth.
    await waitFor('events acked during the outage', async () => ackedSoFar() >= ackedAtKill + 3 * users.length * 2, {
      ...polling,
      timeoutMs: 10_000,
      output,
    });
    await redis.restart();
    await sleep(1500);
    sending = false;
    await load;
    const total = [...acked.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(300);

    // Every acked view counted exactly once: the ones before the crash survived it, the ones acked during the outage were applied after.
    await waitFor(
      'every acked view applied',
      async () => (await Promise.all(users.map(async (u) => (await viewsOf(u)) >= acked.get(u)!))).every(Boolean),
      { ...polling, timeoutMs: 30_000, output },
    );
    await sleep(1000);
    for (const user of users) expect(await viewsOf(user)).toBe(acked.get(user));

    // Accounts, points and ledgers as they were; every account still logs in with its password.
    expect(await Promise.all(members.map((m) => memberState(m.memberId)))).toEqual(before);
    for (const member of members) {
      const login = await http<{ memberId: string }>(gateway.baseUrl, 'POST', '/v1/sessions', {
        body: { email: member.email, password: PASSWORD },
      });
      expect(login.status).toBe(200);
      expect(login.body.memberId).toBe(member.memberId);
    }
    if (during?.status === 201) {
      expect(
        (await http(gateway.baseUrl, 'POST', '/v1/sessions', { body: { email: `during.${run}@example.com`, password: PASSWORD } })).status,
      ).toBe(200);
    }
    // Both ready again, without a restart of either.
    await waitFor(
      'both /readyz 200 again',
      async () => (await readyz(gateway.baseUrl)).status === 200 && (await readyz(engineUrl)).status === 200,
      { ...polling, timeoutMs: 5000, output },
    );
    expect(engine.child.exitCode).toBeNull();
  }, 90_000);

  it('(b) a Redis that keeps nothing: the engine exits non-zero naming the setting; with REDIS_EPHEMERAL_OK=1 it runs and says so', async () => {
    const [ownNats, ephemeral] = await Promise.all([startNats(), startRedis({ persistence: 'none' })]);
    const dataDir = await mkdtemp(join(tmpdir(), 'pulse-ephemeral-'));
    let accepted: PulseProcess | undefined;
    try {
      const options: SpawnPulseOptions = {
        natsUrl: ownNats.url,
        redisUrl: ephemeral.url,
        authSecret: SECRET,
        waitReady: false,
        env: { DATA_DIR: dataDir, PULSE_PARTITIONS: PARTITIONS, DEMO_CATALOG: 'false' },
      };
      const refused = await spawnPulse('engine', options);
      const code = await new Promise<number | null>((resolve) =>
        refused.child.exitCode !== null ? resolve(refused.child.exitCode) : refused.child.once('exit', (c) => resolve(c)),
      );
      expect(code).toBe(1);
      expect(refused.output()).toMatch(
        /refusing to start: Redis at redis:\/\/127\.0\.0\.1:\d+ keeps nothing on disk \(appendonly no, save ""\)/,
      );
      expect(refused.output()).toContain('`appendonly yes`');
      expect(refused.output()).toContain('REDIS_EPHEMERAL_OK=1');
      expect(refused.output()).not.toContain('engine started');

      const port = await freePort();
      accepted = await spawnPulse('engine', {
        ...options,
        waitReady: true,
        timeoutMs: 60_000,
        env: { ...options.env, REDIS_EPHEMERAL_OK: '1', ENGINE_PORT: String(port) },
      });
      expect(accepted.output()).toMatch(/"level":40[^\n]*accepted by REDIS_EPHEMERAL_OK=1/);
      const url = `http://127.0.0.1:${port}`;
      // Started: ready with its empty catalog (persistence is what matters here).
      await waitFor("the engine's HTTP server", async () => (await http(url, 'GET', '/healthz')).status === 200, {
        ...polling,
        timeoutMs: 10_000,
        output: () => accepted!.output().slice(-4000),
      });
      const ready = await http<Readyz>(url, 'GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.index).toMatchObject({ ok: true, detail: expect.stringMatching(/^0 items/) });
      expect(ready.body.checks.persistence).toMatchObject({
        ok: true,
        detail: expect.stringContaining('none: accepted by REDIS_EPHEMERAL_OK=1'),
      });
      const metrics = (await http<string>(url, 'GET', '/metrics')).body;
      expect(metrics).toContain('pulse_engine_redis_ephemeral_accepted 1');
      expect(metrics).toContain('pulse_engine_redis_persistence{mode="none"} 1');
    } finally {
      await accepted?.stop();
      await Promise.all([ownNats.stop(), ephemeral.stop()]);
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
