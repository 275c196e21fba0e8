import { SignJWT } from 'jose';
import type { Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import { ControllableEventLog, emitWithAck, SECRET, sleep, startHarness, type AckReply, type Harness } from './gateway-harness.js';

const list = (cause?: string): RecommendationList => ({
  items: [{ itemId: 'i-1', score: 0.5, reason: 'similar to what you viewed' }],
  generatedAt: Date.now(),
  modelVersion: 'm-1',
  ...(cause ? { cause } : {}),
});

async function connectError(
  h: Harness,
  token: string | undefined,
  extra = {},
): Promise<{ message: string; data?: { code: string; message: string } }> {
  try {
    await h.connect(token, extra);
  } catch (err) {
    return err as { message: string; data?: { code: string; message: string } };
  }
  throw new Error('connection was accepted');
}

async function socketsGauge(h: Harness): Promise<number> {
  return (await h.gateway.metrics.sockets.get()).values[0]?.value ?? 0;
}

describe('gateway Socket.IO', () => {
  let h: Harness;
  let log!: ControllableEventLog;
  const open: ClientSocket[] = [];
  const connect = async (token: string) => {
    const socket = await h.connect(token);
    open.push(socket);
    return socket;
  };

  beforeAll(async () => {
    h = await startHarness({
      env: { MAX_BODY_BYTES: '4096' },
      wrapEventLog: (inner) => (log = new ControllableEventLog(inner)),
    });
    h.transport.rpcServer.serve('recommend', async ({ options }) => {
      if (options.category === 'explode') throw new PulseError(ErrorCodes.unavailable, 'index not ready');
      return { ...list(), context: options };
    });
  });
  afterEach(() => {
    log.release();
    log.failWith = undefined;
    for (const socket of open.splice(0)) socket.disconnect();
  });
  afterAll(() => h.close());

  describe('connecting', () => {
    it('refuses a missing, forged or expired token with err.data = {code, message}', async () => {
      expect((await connectError(h, undefined)).data).toEqual({ code: 'unauthorized', message: expect.any(String) });
      const forged = await new SignJWT({ role: 'member' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('m-1')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('wrong-secret'));
      expect((await connectError(h, forged)).data?.code).toBe('unauthorized');
      const past = Math.floor(Date.now() / 1000) - 10;
      const expired = await new SignJWT({ role: 'member' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('m-1')
        .setExpirationTime(past)
        .sign(new TextEncoder().encode(SECRET));
      const refused = await connectError(h, expired);
      expect(refused.data?.code).toBe('token_expired');
      expect(refused.message).toBe('token expired');
    });

    it('accepts the token from the Authorization header too, and counts sockets', async () => {
      const token = await h.token('member', 'm-header');
      const socket = await h.connect(undefined, { extraHeaders: { Authorization: `Bearer ${token}` } });
      open.push(socket);
      expect(socket.connected).toBe(true);
      expect(await socketsGauge(h)).toBe(1);
      socket.disconnect();
      await expect.poll(() => socketsGauge(h)).toBe(0);
    });
  });

  describe('track', () => {
    it('acks {ok, id} after the log stored the event, with the user from the token', async () => {
      const socket = await connect(await h.token('visitor', 'v_track'));
      const ack = await emitWithAck<AckReply>(socket, 'track', { id: 'ev-1', type: 'view', itemId: 'i-1', userId: 'someone-else' });
      expect(ack).toEqual({ ok: true, id: 'ev-1' });
      await expect
        .poll(() => h.appended.some((e) => e.id === 'ev-1'), { timeout: 3000, interval: 10, message: 'ev-1 appended' })
        .toBe(true);
      expect(h.appended.find((e) => e.id === 'ev-1')).toMatchObject({ userId: 'v_track', type: 'view', itemId: 'i-1' });

      const generated = await emitWithAck<AckReply>(socket, 'track', { type: 'like', itemId: 'i-2' });
      expect(generated).toEqual({ ok: true, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    });

    it('acks invalid_event with details for a malformed event and appends nothing', async () => {
      const socket = await connect(await h.token('member', 'm-bad'));
      const callsBefore = log.calls.length;
      for (const bad of [{ type: 'view' }, { type: 'fly', itemId: 'x' }, 'not an object', { type: 'view', itemId: 'has space' }, null]) {
        const ack = await emitWithAck<AckReply>(socket, 'track', bad);
        expect(ack, JSON.stringify(bad)).toMatchObject({
          ok: false,
          error: { code: 'invalid_event', message: expect.any(String), details: expect.any(Object) },
        });
      }
      expect(log.calls.length).toBe(callsBefore);
      expect(socket.connected).toBe(true);
    });

    it('tolerates a missing ack callback', async () => {
      const socket = await connect(await h.token('member', 'm-noack'));
      socket.emit('track', { id: 'no-ack-1', type: 'view', itemId: 'i-1' });
      await expect
        .poll(() => h.appended.some((e) => e.id === 'no-ack-1'), { timeout: 3000, interval: 10, message: 'no-ack-1 appended' })
        .toBe(true);
      expect(socket.connected).toBe(true);
    });

    it('does not ack while the append hangs, and acks once it is stored', async () => {
      const socket = await connect(await h.token('member', 'm-hang'));
      log.hold();
      let ack: AckReply | undefined;
      socket.emit('track', { id: 'hang-1', type: 'view', itemId: 'i-1' }, (reply: AckReply) => {
        ack = reply;
      });
      await expect
        .poll(() => log.calls.some((e) => e.id === 'hang-1'), { timeout: 3000, interval: 10, message: 'append called' })
        .toBe(true);
      await sleep(300);
      expect(ack).toBeUndefined();
      log.release();
      await expect.poll(() => ack !== undefined, { timeout: 3000, interval: 10, message: 'ack after release' }).toBe(true);
      expect(ack).toEqual({ ok: true, id: 'hang-1' });
    });

    it('acks unavailable when the log fails', async () => {
      const socket = await connect(await h.token('member', 'm-fail'));
      log.failWith = new Error('stream gone');
      expect(await emitWithAck<AckReply>(socket, 'track', { type: 'view', itemId: 'i-1' })).toMatchObject({
        ok: false,
        error: { code: 'unavailable' },
      });
    });

    it('acks payload_too_large for an oversized event and keeps the socket', async () => {
      const socket = await connect(await h.token('member', 'm-big'));
      const ack = await emitWithAck<AckReply>(socket, 'track', { type: 'search', query: 'x'.repeat(6000) });
      expect(ack).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
      expect(socket.connected).toBe(true);
      expect(await emitWithAck<AckReply>(socket, 'track', { type: 'view', itemId: 'i-1' })).toMatchObject({ ok: true });
    });

    it('closes only the socket that sends a frame beyond maxHttpBufferSize; the process keeps serving', async () => {
      const victim = await connect(await h.token('member', 'm-huge'));
      const bystander = await connect(await h.token('member', 'm-bystander'));
      const closed = new Promise<string>((resolve) => victim.once('disconnect', resolve));
      victim.emit('track', { type: 'search', query: 'x'.repeat(200_000) }, () => undefined);
      expect(await closed).toBe('transport close');
      expect(await emitWithAck<AckReply>(bystander, 'track', { type: 'view', itemId: 'i-1' })).toMatchObject({ ok: true });
      expect((await h.fetch('/healthz')).status).toBe(200);
    });
  });

  describe('recommend', () => {
    it('acks with the list itself, or {ok: false, error}', async () => {
      const socket = await connect(await h.token('member', 'm-rec'));
      const reply = await emitWithAck<RecommendationList>(socket, 'recommend', { k: 3, category: 'shoes' });
      expect(reply).toMatchObject({ modelVersion: 'm-1', items: [{ itemId: 'i-1' }], context: { k: 3, category: 'shoes' } });
      expect(await socket.timeout(3000).emitWithAck('recommend')).toMatchObject({ modelVersion: 'm-1' });
      expect(await emitWithAck(socket, 'recommend', { k: 'many' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await emitWithAck(socket, 'recommend', { category: 'explode' })).toMatchObject({
        ok: false,
        error: { code: 'unavailable', message: 'index not ready' },
      });
    });
  });

  describe('redeem', () => {
    const coupon = {
      code: 'K7QX2M9PRT4W',
      kind: 'value',
      value: 5,
      expiresAt: 2e12,
      createdAt: 1e12,
      source: { type: 'reward', id: 'r5' },
    } as const;
    const calls: Array<{ memberId: string; code: string; orderId: string }> = [];
    beforeAll(() => {
      h.transport.rpcServer.serve('coupons.redeem', async (request) => {
        calls.push(request);
        if (request.code === 'USEDUSEDUSED') throw new PulseError(ErrorCodes.couponUsed, 'coupon USEDUSEDUSED was already used');
        return { ...coupon, memberId: request.memberId, code: request.code, redeemedAt: 1.5e12, orderId: request.orderId };
      });
    });

    it('forwards {code, orderId} of a member to coupons.redeem and acks {ok, coupon}', async () => {
      const socket = await connect(await h.token('member', 'm-redeem'));
      const ack = await emitWithAck(socket, 'redeem', { code: 'K7QX2M9PRT4W', orderId: ' o-1 ' });
      expect(ack).toEqual({ ok: true, coupon: { ...coupon, memberId: 'm-redeem', redeemedAt: 1.5e12, orderId: 'o-1' } });
      expect(calls.at(-1)).toEqual({ memberId: 'm-redeem', code: 'K7QX2M9PRT4W', orderId: 'o-1' });
      // The engine's error comes back as the same object HTTP carries.
      expect(await emitWithAck(socket, 'redeem', { code: 'USEDUSEDUSED', orderId: 'o-2' })).toEqual({
        ok: false,
        error: { code: 'coupon_used', message: 'coupon USEDUSEDUSED was already used' },
      });
    });

    it('refuses non-members and malformed payloads without calling the engine', async () => {
      const before = calls.length;
      for (const role of ['visitor', 'admin'] as const) {
        const socket = await connect(await h.token(role, `${role}-redeem`));
        expect(await emitWithAck(socket, 'redeem', { code: 'K7QX2M9PRT4W', orderId: 'o-1' })).toMatchObject({
          ok: false,
          error: { code: 'forbidden' },
        });
      }
      const member = await connect(await h.token('member', 'm-redeem-bad'));
      for (const bad of [
        { code: 'K7QX2M9PRT4W' },
        { orderId: 'o-1' },
        { code: 7, orderId: 'o-1' },
        { code: 'K7QX2M9PRT4W', orderId: 'o-1', extra: true },
        'K7QX2M9PRT4W',
        undefined,
      ]) {
        const ack = await emitWithAck(member, 'redeem', bad);
        expect(ack, JSON.stringify(bad)).toMatchObject({
          ok: false,
          error: { code: 'invalid_request', message: expect.stringMatching(/^invalid /), details: expect.any(Object) },
        });
      }
      expect(calls.length).toBe(before);
      expect(member.connected).toBe(true);
    });
  });

  describe('pushes', () => {
    it("reach every socket of the user on this gateway and no other user's", async () => {
      const [a1, a2, b] = await Promise.all([
        connect(await h.token('member', 'alice')),
        connect(await h.token('member', 'alice')),
        connect(await h.token('member', 'bob')),
      ]);
      const got = { a1: [] as RecommendationList[], a2: [] as RecommendationList[], b: [] as RecommendationList[] };
      a1.on('recommendations', (l: RecommendationList) => got.a1.push(l));
      a2.on('recommendations', (l: RecommendationList) => got.a2.push(l));
      b.on('recommendations', (l: RecommendationList) => got.b.push(l));
      const before = (await h.gateway.metrics.pushLatency.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;

      h.transport.notifier.pushToUser('alice', { event: 'recommendations', data: list('ev-x'), causeReceivedAt: Date.now() - 5 });
      await expect
        .poll(() => got.a1.length === 1 && got.a2.length === 1, { timeout: 3000, interval: 10, message: 'both alice sockets' })
        .toBe(true);
      expect(got.a1[0]).toMatchObject({ cause: 'ev-x', modelVersion: 'm-1' });
      await sleep(100);
      expect(got.b).toHaveLength(0);
      const after = (await h.gateway.metrics.pushLatency.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
      expect(after).toBe(before + 1);

      // Alice keeps getting pushes while one socket remains; broadcasts reach everyone.
      a1.disconnect();
      await sleep(50);
      h.transport.notifier.pushToUser('alice', { event: 'recommendations', data: list('ev-y') });
      await expect.poll(() => got.a2.length, { timeout: 3000, interval: 10, message: 'remaining alice socket' }).toBe(2);
      const promos: unknown[] = [];
      b.on('promotion', (p: unknown) => promos.push(p));
      h.transport.notifier.pushToAll({
        event: 'promotion',
        data: { promotionId: 'p1', campaignId: 'c1', title: 'Sale', message: 'All 10% off' },
      });
      await expect.poll(() => promos.length, { timeout: 3000, interval: 10, message: 'broadcast' }).toBe(1);
      expect(got.a1).toHaveLength(1);
    });
  });
});

describe('gateway Socket.IO rate limit and close', () => {
  it('rate-limits track per socket with a token bucket', async () => {
    const h = await startHarness({ env: { SOCKET_EVENTS_PER_SECOND: '1', SOCKET_EVENT_BURST: '3' } });
    try {
      const socket = await h.connect(await h.token('member', 'm-rate'));
      const acks = await Promise.all(
        Array.from({ length: 5 }, (_, i) => emitWithAck<AckReply>(socket, 'track', { id: `r-${i}`, type: 'view', itemId: 'i-1' })),
      );
      expect(acks.filter((a) => a.ok)).toHaveLength(3);
      expect(acks.filter((a) => !a.ok).map((a) => !a.ok && a.error.code)).toEqual(['rate_limited', 'rate_limited']);
      // Another socket has its own bucket.
      const other = await h.connect(await h.token('member', 'm-rate'));
      expect(await emitWithAck<AckReply>(other, 'track', { type: 'view', itemId: 'i-1' })).toMatchObject({ ok: true });
      const metrics = (await h.fetch('/metrics')).body as string;
      expect(metrics).toMatch(/^pulse_gateway_events_rejected_total\{code="rate_limited"\} 2$/m);
      expect(metrics).toMatch(/^pulse_gateway_errors_total\{code="rate_limited"\} 2$/m);
      // No engine serves `recommend` here: the ack says so.
      expect(await emitWithAck(other, 'recommend', {})).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    } finally {
      await h.close();
    }
  });

  it('closes gracefully: in-flight acks answered, sockets disconnected, idempotent', async () => {
    let log!: ControllableEventLog;
    const h = await startHarness({ wrapEventLog: (inner) => (log = new ControllableEventLog(inner)) });
    try {
      const socket = await h.connect(await h.token('member', 'm-close'));
      const disconnected = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      log.hold();
      const ack = emitWithAck<AckReply>(socket, 'track', { id: 'last-1', type: 'view', itemId: 'i-1' });
      await expect.poll(() => log.calls.length, { timeout: 3000, interval: 10, message: 'append called' }).toBe(1);
      const closing = h.gateway.close();
      expect(h.gateway.close()).toBe(closing);
      await sleep(100);
      log.release();
      expect(await ack).toEqual({ ok: true, id: 'last-1' });
      await closing;
      // A transport close (not a server disconnect): Socket.IO clients reconnect by themselves.
      expect(await disconnected).toBe('transport close');
      await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
    } finally {
      await h.close();
    }
  });

  it('cuts connections still open at the shutdown deadline', async () => {
    const h = await startHarness({ env: { SHUTDOWN_TIMEOUT_MS: '300' } });
    try {
      // A client that never reads: its response stays unflushed, so the connection is not idle.
      const stalled = await fetch(`${h.url}/socket.io/socket.io.js`);
      expect(stalled.status).toBe(200);
      // Without the cut, close() would wait for the stalled client for ever (and the test time out).
      await h.gateway.close();
    } finally {
      await h.close();
    }
  });
});
