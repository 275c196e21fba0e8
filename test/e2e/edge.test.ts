import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SignJWT } from 'jose';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { connectSocket, emitWithAck, http, visitor } from '../helpers/clients.js';
import { EVENTS_STREAM } from '../../engine/contracts/subjects.js';

/**
 * Must-show 4: forged and expired tokens get 401 (HTTP) or a refused connect; a visitor cannot
 * read another user's list (403); a malformed event gets an error ack with a stable code and never
 * reaches the stream; a 1 MB payload is refused; and the process keeps serving throughout.
 */
describe('the edge refuses bad input and keeps serving', () => {
  const secret = 'e2e-secret-edge';
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let nc: NatsConnection;

  const streamCount = async () => (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.messages;
  const sign = (claims: Record<string, unknown>, key: string, exp: number) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime(exp).sign(new TextEncoder().encode(key));

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret });
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('refuses forged and expired tokens on HTTP (401) and at socket connect', async () => {
    const now = Math.floor(Date.now() / 1000);
    const forged = await sign({ sub: 'mallory', role: 'admin' }, 'not-the-secret', now + 600);
    const expired = await sign({ sub: 'late', role: 'member' }, secret, now - 10);
    for (const token of [forged, expired, 'not-a-jwt']) {
      const res = await http<{ error: { code: string } }>(pulse.baseUrl, 'GET', '/v1/recommendations', { token });
      expect(res.status).toBe(401);
      expect(['unauthorized', 'token_expired']).toContain(res.body.error.code);
      await expect(connectSocket(pulse.baseUrl, token)).rejects.toThrow();
    }
    const expiredRes = await http<{ error: { code: string } }>(pulse.baseUrl, 'GET', '/v1/recommendations', { token: expired });
    expect(expiredRes.body.error.code).toBe('token_expired');
    expect((await http(pulse.baseUrl, 'GET', '/v1/recommendations')).status).toBe(401);
  });

  it("forbids a visitor from reading another user's recommendations (403)", async () => {
    const me = await visitor(pulse.baseUrl);
    const other = await visitor(pulse.baseUrl);
    const res = await http<{ error: { code: string } }>(pulse.baseUrl, 'GET', `/v1/users/${other.visitorId}/recommendations`, {
      token: me.token,
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('forbidden');
    const own = await http(pulse.baseUrl, 'GET', `/v1/users/${me.visitorId}/recommendations`, { token: me.token });
    expect(own.status).toBe(200);
  });

  it('acks a malformed event with a stable code and keeps it out of the stream', async () => {
    const me = await visitor(pulse.baseUrl);
    const socket = await connectSocket(pulse.baseUrl, me.token);
    try {
      const before = await streamCount();
      const bad = [
        { type: 'teleport', itemId: 'x' },
        { type: 'view' },
        { type: 'purchase', items: [] },
        'not an object',
        { type: 'view', itemId: 'a b c' },
      ];
      for (const event of bad) {
        const ack = await emitWithAck<{ ok: boolean; error: { code: string; message: string } }>(socket, 'track', event);
        expect(ack.ok).toBe(false);
        expect(ack.error.code).toBe('invalid_event');
        expect(ack.error.message.length).toBeGreaterThan(0);
      }
      const res = await http<{ accepted: number; rejected: Array<{ index: number; error: { code: string } }> }>(
        pulse.baseUrl,
        'POST',
        '/v1/events',
        {
          token: me.token,
          body: { events: [{ type: 'view' }, { type: 'nope' }] },
        },
      );
      expect(res.status).toBe(202);
      expect(res.body.accepted).toBe(0);
      expect(res.body.rejected.map((r) => r.error.code)).toEqual(['invalid_event', 'invalid_event']);
      expect(await streamCount()).toBe(before);
      // The same socket still works.
      const ok = await emitWithAck<{ ok: boolean }>(socket, 'track', { type: 'search', query: 'lamp' });
      expect(ok.ok).toBe(true);
      expect(await streamCount()).toBe(before + 1);
    } finally {
      socket.close();
    }
  });

  it('refuses a 1 MB payload over HTTP and over the socket, and serves the next request', async () => {
    const me = await visitor(pulse.baseUrl);
    const big = 'x'.repeat(1024 * 1024);
    const res = await http<{ error: { code: string } }>(pulse.baseUrl, 'POST', '/v1/events', {
      token: me.token,
      body: { events: [{ type: 'search', query: big }] },
    });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');

    const socket = await connectSocket(pulse.baseUrl, me.token);
    const before = await streamCount();
    try {
      const ack = await Promise.race([
        emitWithAck<{ ok: boolean; error?: { code: string } }>(socket, 'track', { type: 'search', query: big }, 3000),
        new Promise<{ ok: false; error: { code: string } }>((resolve) =>
          socket.once('disconnect', () => resolve({ ok: false, error: { code: 'disconnected' } })),
        ),
      ]);
      expect(ack.ok).toBe(false);
      expect(['payload_too_large', 'disconnected']).toContain(ack.error?.code);
    } finally {
      socket.close();
    }
    expect(await streamCount()).toBe(before);
    expect((await http(pulse.baseUrl, 'GET', '/healthz')).status).toBe(200);
    const again = await visitor(pulse.baseUrl);
    const fresh = await connectSocket(pulse.baseUrl, again.token);
    const ok = await emitWithAck<{ ok: boolean }>(fresh, 'track', { type: 'search', query: 'lamp' });
    fresh.close();
    expect(ok.ok).toBe(true);
  });
});
