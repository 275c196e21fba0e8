import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from '../helpers/pulse-process.js';
import { connectSocket, emitWithAck, http } from '../helpers/clients.js';
import { TokenService } from '../../gateway/auth.js';
import type { Item } from '../../engine/contracts/schemas.js';

/**
 * Must-show 3: a repeated event id counts once; of 10,000 events sent while the engine is killed
 * with SIGKILL and restarted, every acked one is applied exactly once (counts read from Redis).
 */
describe('exactly once, across an engine SIGKILL', () => {
  const secret = 'e2e-secret-once';
  let nats: TestServer;
  let redis: TestServer;
  let client: Redis;
  let gateway: PulseProcess;
  let engine: PulseProcess;
  let options: SpawnPulseOptions;
  let admin: string;
  let itemIds: string[];

  const totalOf = async (userId: string) => Number((await client.hget(`u:{${userId}}:st`, 'c:total')) ?? 0);

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    client = new Redis(redis.url);
    // Short lease and ack wait so a killed engine's partitions and unacked events come back fast.
    options = {
      natsUrl: nats.url,
      redisUrl: redis.url,
      authSecret: secret,
      env: { PARTITION_LEASE_MS: '1500', ACK_WAIT_MS: '1500', PULSE_PARTITIONS: '8' },
    };
    engine = await spawnPulse('engine', options);
    gateway = await spawnPulse('gateway', options);
    admin = await new TokenService(secret).sign({ sub: 'admin-test', role: 'admin' }, 3600);
    const items = await http<{ items: Item[] }>(gateway.baseUrl, 'GET', '/v1/items?limit=100', { token: admin });
    itemIds = items.body.items.map((i) => i.itemId);
    expect(itemIds.length).toBe(100);
  });

  afterAll(async () => {
    client?.disconnect();
    await Promise.all([gateway?.stop(), engine?.stop()]);
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('counts the same event id once, over the socket and over HTTP', async () => {
    const token = await new TokenService(secret).sign({ sub: 'dup-user', role: 'member' }, 600);
    const socket = await connectSocket(gateway.baseUrl, token);
    try {
      const event = { id: 'evt-twice', type: 'view', itemId: itemIds[0] };
      const first = await emitWithAck<{ ok: boolean; id: string }>(socket, 'track', event);
      const second = await emitWithAck<{ ok: boolean; id: string }>(socket, 'track', event);
      expect(first).toEqual({ ok: true, id: 'evt-twice' });
      expect(second).toEqual({ ok: true, id: 'evt-twice' });
      const viaHttp = await http<{ accepted: number }>(gateway.baseUrl, 'POST', '/v1/events', { token, body: { events: [event] } });
      expect(viaHttp.status).toBe(202);
      await expect.poll(async () => await totalOf('dup-user'), { timeout: 10_000, interval: 200 }).toBe(1);
      await new Promise((r) => setTimeout(r, 500));
      expect(await totalOf('dup-user')).toBe(1);
    } finally {
      socket.close();
    }
  });

  it('applies each of 10,000 acked events exactly once while the engine is SIGKILLed and restarted', async () => {
    const users = Array.from({ length: 200 }, (_, i) => `kill-user-${i}`);
    const types = ['view', 'click', 'add_to_cart', 'like'] as const;
    const events = Array.from({ length: 10_000 }, (_, n) => ({
      id: `k-${n}`,
      userId: users[n % users.length]!,
      type: types[n % types.length]!,
      itemId: itemIds[(n * 7) % itemIds.length]!,
    }));
    const acceptedBy = new Map<string, number>();
    const send = async (batch: typeof events) => {
      const res = await http<{ accepted: number; rejected: Array<{ index: number }> }>(gateway.baseUrl, 'POST', '/v1/events', {
        token: admin,
        body: { events: batch },
      });
      expect(res.status).toBe(202);
      const rejected = new Set(res.body.rejected.map((r) => r.index));
      batch.forEach((event, i) => {
        if (!rejected.has(i)) acceptedBy.set(event.userId, (acceptedBy.get(event.userId) ?? 0) + 1);
      });
      return res.body;
    };

    const batches: Array<typeof events> = [];
    for (let i = 0; i < events.length; i += 250) batches.push(events.slice(i, i + 250));
    const sum = async () => (await Promise.all(users.map(totalOf))).reduce((a, b) => a + b, 0);

    // A burst of 4,000 events in parallel builds a backlog; the engine is killed while working on it.
    await Promise.all(batches.slice(0, 16).map(send));
    const appliedAtKill = await sum();
    await engine.kill();
    // Mid-stream: some of the burst was applied, not all of it.
    expect(appliedAtKill).toBeGreaterThan(0);
    expect(appliedAtKill).toBeLessThan(4000);
    // Sending goes on while no engine runs (JetStream keeps every acked event); a new one starts meanwhile.
    const restarted = spawnPulse('engine', options).then((p) => (engine = p));
    for (const batch of batches.slice(16)) await send(batch);
    await restarted;
    // Replays of already-acked events (a client retrying) must not count again.
    const replay = await http<{ accepted: number }>(gateway.baseUrl, 'POST', '/v1/events', {
      token: admin,
      body: { events: events.slice(0, 500) },
    });
    expect(replay.status).toBe(202);

    const expected = [...acceptedBy.values()].reduce((a, b) => a + b, 0);
    expect(expected).toBe(10_000);
    await expect.poll(async () => await sum(), { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(expected);
    // Let any straggling redelivery land before checking that nothing counted twice.
    await new Promise((r) => setTimeout(r, 3000));
    expect(await sum()).toBe(expected);
    for (const user of users) expect(await totalOf(user)).toBe(acceptedBy.get(user));
  }, 120_000);
});
