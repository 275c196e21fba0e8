import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { connectSocket, emitWithAck, http, nextPush } from '../helpers/clients.js';
import { TokenService } from '../../gateway/auth.js';
import type { Item } from '../../engine/contracts/schemas.js';

/** Must-show 2: one user's two sockets on two gateway processes both receive the push. */
describe('two gateways, two engines', () => {
  const secret = 'e2e-secret-scale';
  let nats: TestServer;
  let redis: TestServer;
  const procs: PulseProcess[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    const common = { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret, env: { PARTITION_LEASE_MS: '1500' } };
    procs.push(await spawnPulse('engine', common));
    procs.push(await spawnPulse('engine', common));
    procs.push(await spawnPulse('gateway', common), await spawnPulse('gateway', common));
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await Promise.all(procs.map((p) => p.stop()));
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('delivers the push to both sockets of the user, each on its own gateway', async () => {
    const [g1, g2] = procs.filter((p) => p.role === 'gateway') as [PulseProcess, PulseProcess];
    const token = await new TokenService(secret).sign({ sub: 'shopper-2gw', role: 'member' }, 600);
    const s1 = await connectSocket(g1.baseUrl, token);
    const s2 = await connectSocket(g2.baseUrl, token);
    sockets.push(s1, s2);

    const items = await http<{ items: Item[] }>(g1.baseUrl, 'GET', '/v1/items?limit=20', { token });
    const itemId = items.body.items[3]!.itemId;
    const onFirst = nextPush(s1, 2000);
    const onSecond = nextPush(s2, 2000);
    const ack = await emitWithAck<{ ok: boolean; id: string }>(s1, 'track', { type: 'view', itemId });
    expect(ack.ok).toBe(true);
    const [a, b] = await Promise.all([onFirst, onSecond]);
    expect(a.cause).toBe(ack.id);
    expect(b.cause).toBe(ack.id);
    expect(b.items.map((i) => i.itemId)).toEqual(a.items.map((i) => i.itemId));
  });

  it('answers queries through either gateway while the engines share the partitions', async () => {
    const token = await new TokenService(secret).sign({ sub: 'shopper-q', role: 'member' }, 600);
    for (const gateway of procs.filter((p) => p.role === 'gateway')) {
      const res = await http<{ items: unknown[] }>(gateway.baseUrl, 'GET', '/v1/recommendations?k=7', { token });
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(7);
    }
  });
});
