import { describe, expect, it } from 'vitest';
import { emitWithAck, startHarness } from './gateway-harness.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, string> } };
type SocketError = Error & { data?: { code: string; message: string } };

/** The shared limits as the gateway applies them (in-memory transport, no Redis: one gateway counting alone). */
describe('gateway limits over HTTP and Socket.IO', () => {
  it('answers 429 rate_limited with Retry-After per address, never for probes or exempt roles', async () => {
    const h = await startHarness({ env: { IP_REQUESTS_PER_SECOND: '1', IP_REQUEST_BURST: '3' } });
    try {
      for (let i = 0; i < 3; i++) expect((await h.fetch('/v1/visitors', { method: 'POST' })).status).toBe(201);
      const refused = await h.fetch('/v1/visitors', { method: 'POST' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({
        error: {
          code: 'rate_limited',
          message: expect.stringContaining('IP_REQUESTS_PER_SECOND'),
          details: { retryAfterSeconds: refused.headers.get('retry-after') },
        },
      });
      // Probes are not counted; the shop's staff and servers skip the rates.
      for (let i = 0; i < 5; i++) expect((await h.fetch('/healthz')).status).toBe(200);
      const admin = await h.token('admin', 'ops');
      expect((await h.fetch('/v1/admin/dead-letters', { token: admin })).status).not.toBe(429);
      // Socket connections count as requests of the address.
      const err = (await h.connect(await h.token('visitor', 'v-ip')).catch((e: unknown) => e)) as SocketError;
      expect(err.data).toMatchObject({ code: 'rate_limited' });
    } finally {
      await h.close();
    }
  });

  it("counts a user's HTTP requests, each event of a batch and its socket calls against one budget", async () => {
    const h = await startHarness({ env: { USER_CALLS_PER_SECOND: '0.1', USER_CALL_BURST: '10' } });
    try {
      const token = await h.token('member', 'm-budget');
      const events = (n: number) => ({ events: Array.from({ length: n }, () => ({ type: 'view', itemId: 'i-1' })) });
      expect((await h.fetch('/v1/events', { method: 'POST', token, json: events(6) })).status).toBe(202);
      // 6 spent: a batch of 5 does not fit and is refused whole, nothing appended.
      const before = h.appended.length;
      const refused = await h.fetch('/v1/events', { method: 'POST', token, json: events(5) });
      expect(refused.status).toBe(429);
      expect((refused.body as ErrorBody).error.code).toBe('rate_limited');
      expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(h.appended.length).toBe(before);
      // The socket draws from the same budget: 3 left (the refused request itself counted, its events did not).
      const socket = await h.connect(token);
      const acks = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          emitWithAck<{ ok: boolean; error?: { code: string; retryAfterSeconds?: number } }>(socket, 'track', {
            id: `b-${i}`,
            type: 'view',
            itemId: 'i-1',
          }),
        ),
      );
      expect(acks.filter((a) => a.ok)).toHaveLength(3);
      const limited = acks.filter((a) => !a.ok);
      expect(limited).toHaveLength(3);
      for (const a of limited) expect(a.error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: expect.any(Number) });
      // Another user is not affected.
      expect((await h.fetch('/v1/events', { method: 'POST', token: await h.token('member', 'm-other'), json: events(3) })).status).toBe(
        202,
      );
    } finally {
      await h.close();
    }
  });

  it('refuses a socket beyond SOCKETS_PER_TOKEN / SOCKETS_PER_USER with too_many_sockets, and frees the place on disconnect', async () => {
    const h = await startHarness({ env: { SOCKETS_PER_USER: '3', SOCKETS_PER_TOKEN: '2' } });
    try {
      const first = await h.token('visitor', 'v-socks');
      const a = await h.connect(first);
      await h.connect(first);
      const byToken = (await h.connect(first).catch((e: unknown) => e)) as SocketError;
      expect(byToken.data).toMatchObject({ code: 'too_many_sockets', message: expect.stringContaining('SOCKETS_PER_TOKEN') });
      // Another token of the same user: one more, then the user's cap.
      const second = await h.tokens.sign({ sub: 'v-socks', role: 'visitor' }, 7200);
      await h.connect(second);
      const byUser = (await h.connect(second).catch((e: unknown) => e)) as SocketError;
      expect(byUser.data).toMatchObject({ code: 'too_many_sockets', message: expect.stringContaining('SOCKETS_PER_USER') });
      a.disconnect();
      for (let i = 0; ; i++) {
        const again = await h.connect(second).catch((e: unknown) => e);
        if (!(again instanceof Error)) break;
        if (i > 50) throw again;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await h.close();
    }
  });
});
