import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/config.js';
import { GatewayLimits, type SocketLease } from '../../gateway/limits.js';
import { startRedis, type TestServer } from '../helpers/servers.js';

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Limits shared by several "gateways" (GatewayLimits instances) through one real redis-server. */
describe('gateway limits shared through Redis', () => {
  let redis: TestServer;
  const open: GatewayLimits[] = [];

  const gateway = async (env: Record<string, string> = {}) => {
    const config = loadGatewayConfig({
      AUTH_SECRET: 's',
      SOCKETS_PER_USER: '5',
      SOCKETS_PER_TOKEN: '3',
      SOCKET_LEASE_MS: '3000',
      RATE_LIMIT_SYNC_MS: '20',
      USER_CALLS_PER_SECOND: '10',
      USER_CALL_BURST: '100',
      ...env,
    });
    const limits = new GatewayLimits({ config, logger: silent, redisUrl: redis.url });
    limits.start();
    open.push(limits);
    for (let i = 0; !limits.shared; i++) {
      if (i > 100) throw new Error('limits never reached Redis');
      await sleep(20);
    }
    return limits;
  };

  beforeAll(async () => {
    redis = await startRedis();
  });

  afterAll(async () => {
    await Promise.all(open.map((l) => l.close()));
    await redis?.stop();
  });

  it('caps the sockets of a user and of a token over all gateways, exactly, even when they connect at once', async () => {
    const [a, b] = [await gateway(), await gateway()];
    // 8 simultaneous connects of one token, half on each gateway: exactly SOCKETS_PER_TOKEN (3) get in.
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).acquireSocket('u1', 'token-1')));
    const held = attempts.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(held).toHaveLength(3);
    for (const r of attempts)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'too_many_sockets', details: { scope: 'token' } });
    // Another token of the same user: 2 more, then the user's cap (5) refuses on either gateway.
    held.push(await b.acquireSocket('u1', 'token-2'), await a.acquireSocket('u1', 'token-2'));
    await expect(a.acquireSocket('u1', 'token-3')).rejects.toMatchObject({
      code: 'too_many_sockets',
      details: { scope: 'user', limit: '5' },
    });
    await expect(b.acquireSocket('u1', 'token-3')).rejects.toMatchObject({ code: 'too_many_sockets', details: { scope: 'user' } });
    // A socket closing on one gateway frees a place the other sees.
    const owners = attempts.map((_, i) => (i % 2 ? a : b));
    const first = attempts.findIndex((r) => r.status === 'fulfilled');
    owners[first]!.releaseSocket((attempts[first] as PromiseFulfilledResult<SocketLease>).value);
    const other = owners[first] === a ? b : a;
    for (let i = 0; ; i++) {
      try {
        await other.acquireSocket('u1', 'token-3');
        break;
      } catch (err) {
        // The release is sent without waiting; it lands within a round trip.
        if (i > 50) throw err;
        await sleep(10);
      }
    }
    await expect(other.acquireSocket('u1', 'token-3')).rejects.toMatchObject({ code: 'too_many_sockets' });
  });

  it("stops counting a crashed gateway's sockets once their leases lapse, while live ones are renewed", async () => {
    const survivor = await gateway();
    const crashed = await gateway();
    const mine: SocketLease[] = [];
    for (let i = 0; i < 3; i++) mine.push(await survivor.acquireSocket('u2', `t-live-${i}`));
    await crashed.acquireSocket('u2', 't-dead-1');
    await crashed.acquireSocket('u2', 't-dead-2');
    await expect(survivor.acquireSocket('u2', 't-new')).rejects.toMatchObject({ code: 'too_many_sockets' });
    // A crash: no release, no more renewals (the connection goes without a word).
    open.splice(open.indexOf(crashed), 1);
    await crashed.close();
    // Past SOCKET_LEASE_MS (3 s): the dead gateway's 2 lapse, the survivor's 3 were renewed.
    await sleep(4000);
    await survivor.acquireSocket('u2', 't-new-1');
    await survivor.acquireSocket('u2', 't-new-2');
    await expect(survivor.acquireSocket('u2', 't-new-3')).rejects.toMatchObject({ code: 'too_many_sockets', details: { scope: 'user' } });
  }, 15_000);

  it("limits a user's calls over all gateways: the second gateway sees what the first let through", async () => {
    const [a, b] = [await gateway(), await gateway()];
    let passed = 0;
    for (let i = 0; i < 60; i++) if (!a.userCalls('u3', 'visitor')) passed++;
    expect(passed).toBe(60);
    await a.syncRates();
    // B has never seen u3: its first exchange teaches it the total (one sync's overshoot at most).
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) if (!b.userCalls('u3', 'visitor')) passed++;
      await b.syncRates();
    }
    expect(passed).toBe(100);
    const refused = b.userCalls('u3', 'visitor');
    expect(refused).toMatchObject({ code: 'rate_limited' });
    expect(refused!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // A's view is as old as its last exchange for u3: a call there teaches it the total (one sync's overshoot).
    a.userCalls('u3', 'visitor');
    await a.syncRates();
    expect(a.userCalls('u3', 'visitor')).toMatchObject({ code: 'rate_limited' });
  });
});
