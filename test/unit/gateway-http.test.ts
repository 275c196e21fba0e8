import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { useGatewayHttpApi } from '../helpers/gateway-http-api.js';
import { SECRET, type Harness } from './gateway-harness.js';

/**
 * The gateway HTTP API: auth, request validation and errors, events, and the counters /metrics
 * shows for them (the metrics test reads what the tests before it counted, so they share a
 * harness). The catalog routes: gateway-http-catalog.test.ts; health, readiness, CORS and the
 * served pages: gateway-http-operations.test.ts.
 */

describe('gateway HTTP API', () => {
  let h: Harness;
  const { calls } = useGatewayHttpApi((harness) => {
    h = harness;
  });

  describe('auth', () => {
    it('issues visitor tokens that work for the visitor own recommendations', async () => {
      const res = await h.fetch('/v1/visitors', { method: 'POST' });
      expect(res.status).toBe(201);
      const { visitorId, token } = res.body as { visitorId: string; token: string };
      expect(visitorId).toMatch(/^v_[A-Za-z0-9_-]{16}$/);
      const claims = await h.tokens.verify(token);
      expect(claims).toMatchObject({ sub: visitorId, role: 'visitor' });
      expect(claims.exp! - claims.iat!).toBe(30 * 24 * 3600);

      const recs = await h.fetch('/v1/recommendations?k=5&channel=web', { token });
      expect(recs.status).toBe(200);
      expect(recs.body).toMatchObject({ modelVersion: 'test-1', items: [{ itemId: 'shoe-1' }] });
      expect(calls.recommend.at(-1)).toEqual({
        principal: { userId: visitorId, role: 'visitor', tier: 'regular' },
        userId: visitorId,
        options: { k: 5, channel: 'web' },
      });
    });

    it('accepts a bare POST /v1/visitors with a JSON content type and an empty body', async () => {
      const res = await h.fetch('/v1/visitors', { method: 'POST', headers: { 'Content-Type': 'application/json' } });
      expect(res.status).toBe(201);
    });

    it('refuses missing, malformed, forged and expired tokens with 401', async () => {
      const missing = await h.fetch('/v1/recommendations');
      expect(missing.status).toBe(401);
      expect(missing.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const garbage = await h.fetch('/v1/recommendations', { token: 'not.a.jwt' });
      expect(garbage.status).toBe(401);
      expect(garbage.body).toMatchObject({ error: { code: 'unauthorized' } });

      const forged = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret'));
      const forgedRes = await h.fetch('/v1/recommendations', { token: forged });
      expect(forgedRes.status).toBe(401);
      expect(forgedRes.body).toMatchObject({ error: { code: 'unauthorized' } });

      const past = Math.floor(Date.now() / 1000) - 60;
      const expired = await new SignJWT({ role: 'member' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('m-1')
        .setIssuedAt(past - 60)
        .setExpirationTime(past)
        .sign(new TextEncoder().encode(SECRET));
      const expiredRes = await h.fetch('/v1/recommendations', { token: expired });
      expect(expiredRes.status).toBe(401);
      expect(expiredRes.body).toMatchObject({ error: { code: 'token_expired' } });
    });

    it("forbids a visitor reading another user's recommendations, allows self and admin", async () => {
      const visitor = await h.token('visitor', 'v_alice');
      const other = await h.fetch('/v1/users/v_bob/recommendations', { token: visitor });
      expect(other.status).toBe(403);
      expect(other.body).toMatchObject({ error: { code: 'forbidden' } });

      expect((await h.fetch('/v1/users/v_alice/recommendations', { token: visitor })).status).toBe(200);

      const admin = await h.token('admin', 'root');
      const asAdmin = await h.fetch('/v1/users/v_bob/recommendations?includeBought=false', { token: admin });
      expect(asAdmin.status).toBe(200);
      expect(calls.recommend.at(-1)).toMatchObject({
        principal: { userId: 'root', role: 'admin' },
        userId: 'v_bob',
        options: { includeBought: false },
      });
    });
  });

  describe('validation and errors', () => {
    it('rejects bad recommendation queries with invalid_request and details', async () => {
      const token = await h.token('member', 'm-1');
      const badK = await h.fetch('/v1/recommendations?k=0', { token });
      expect(badK.status).toBe(400);
      expect(badK.body).toMatchObject({ error: { code: 'invalid_request', details: { k: expect.any(String) } } });
      expect((await h.fetch('/v1/recommendations?colour=red', { token })).status).toBe(400);
      expect((await h.fetch('/v1/recommendations?includeBought=maybe', { token })).status).toBe(400);
    });

    it('answers malformed JSON with 400, unknown routes with 404, other content types with 415', async () => {
      const token = await h.token('member', 'm-1');
      const malformed = await h.fetch('/v1/events', {
        method: 'POST',
        token,
        headers: { 'Content-Type': 'application/json' },
        body: '{"events": [',
      });
      expect(malformed.status).toBe(400);
      expect(malformed.body).toMatchObject({ error: { code: 'invalid_request' } });

      const unknown = await h.fetch('/v1/nothing-here', { token });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error: { code: 'not_found' } });

      const text = await h.fetch('/v1/events', { method: 'POST', token, headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
      expect(text.status).toBe(415);
      expect(text.body).toMatchObject({ error: { code: 'unsupported_media_type' } });
    });

    it('answers an oversized body with 413 payload_too_large and keeps serving', async () => {
      const token = await h.token('member', 'm-1');
      const events = Array.from({ length: 200 }, (_, i) => ({ type: 'view', itemId: `item-${i}` }));
      const res = await h.fetch('/v1/events', { method: 'POST', token, json: { events } });
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ error: { code: 'payload_too_large' } });
      expect((await h.fetch('/healthz')).body).toEqual({ ok: true });
    });
  });

  describe('events', () => {
    it('validates each event alone and reports partial rejection', async () => {
      const token = await h.token('member', 'm-batch', 'vip');
      const before = h.appended.length;
      const events = [
        { id: 'e-1', type: 'view', itemId: 'shoe-1' },
        { type: 'teleport', itemId: 'shoe-1' },
        { type: 'purchase', items: [{ itemId: 'shoe-1', quantity: 1, price: 89.5 }], orderId: 'o-1' },
        { type: 'view' },
        { type: 'view', itemId: 'boom' },
        { type: 'view', itemId: 'boom-pulse' },
      ];
      const res = await h.fetch('/v1/events', { method: 'POST', token, json: { events } });
      expect(res.status).toBe(202);
      const body = res.body as { accepted: number; rejected: Array<{ index: number; error: { code: string } }> };
      expect(body.accepted).toBe(2);
      expect(body.rejected.map((r) => [r.index, r.error.code])).toEqual([
        [1, 'invalid_event'],
        [3, 'invalid_event'],
        [4, 'unavailable'],
        [5, 'unavailable'],
      ]);
      await expect.poll(() => h.appended.length >= before + 2, { timeout: 3000, interval: 10, message: 'appended events' }).toBe(true);
      const mine = h.appended.filter((e) => e.userId === 'm-batch');
      expect(mine.map((e) => e.type).sort()).toEqual(['purchase', 'view']);
      const view = mine.find((e) => e.type === 'view')!;
      expect(view).toMatchObject({ id: 'e-1', tier: 'vip' });
      expect(view.receivedAt).toBeGreaterThan(Date.now() - 10_000);
      expect(mine.find((e) => e.type === 'purchase')!.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('honours a body userId for admins only', async () => {
      const admin = await h.token('admin', 'root', 'vip');
      const visitor = await h.token('visitor', 'v_dave');
      await h.fetch('/v1/events', {
        method: 'POST',
        token: admin,
        json: { events: [{ id: 'adm-1', type: 'view', itemId: 'shoe-1', userId: 'u-42', ts: 1_700_000_000_000 }] },
      });
      await h.fetch('/v1/events', {
        method: 'POST',
        token: visitor,
        json: { events: [{ id: 'vis-1', type: 'view', itemId: 'shoe-1', userId: 'u-42' }] },
      });
      await expect
        .poll(() => h.appended.some((e) => e.id === 'adm-1') && h.appended.some((e) => e.id === 'vis-1'), {
          timeout: 3000,
          interval: 10,
          message: 'both events',
        })
        .toBe(true);
      const byAdmin = h.appended.find((e) => e.id === 'adm-1')!;
      expect(byAdmin).toMatchObject({ userId: 'u-42', ts: 1_700_000_000_000 });
      expect(byAdmin.tier).toBeUndefined();
      expect(h.appended.find((e) => e.id === 'vis-1')!.userId).toBe('v_dave');
    });

    it('rejects a body that is not {events: [...]} or holds more than 1000 events', async () => {
      const token = await h.token('member', 'm-1');
      expect((await h.fetch('/v1/events', { method: 'POST', token, json: [{ type: 'view', itemId: 'x' }] })).body).toMatchObject({
        error: { code: 'invalid_request' },
      });
      expect((await h.fetch('/v1/events', { method: 'POST', token, json: { events: [] } })).body).toEqual({ accepted: 0, rejected: [] });
      const tooMany = await h.fetch('/v1/events', { method: 'POST', token, json: { events: Array.from({ length: 1001 }, () => 0) } });
      expect(tooMany.status).toBe(400);
    });
  });

  describe('operations', () => {
    it('exposes the gateway counters and process metrics on /metrics', async () => {
      const res = await h.fetch('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = res.body as string;
      const value = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
      expect(value(/^pulse_gateway_events_received_total (\d+)/m)).toBeGreaterThanOrEqual(8);
      expect(value(/^pulse_gateway_events_acked_total (\d+)/m)).toBeGreaterThanOrEqual(4);
      expect(value(/^pulse_gateway_events_rejected_total\{code="invalid_event"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
      expect(value(/^pulse_gateway_events_rejected_total\{code="unavailable"\} (\d+)/m)).toBeGreaterThanOrEqual(2);
      expect(value(/^pulse_gateway_errors_total\{code="unauthorized"\} (\d+)/m)).toBeGreaterThanOrEqual(3);
      expect(value(/^pulse_gateway_errors_total\{code="token_expired"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
      expect(value(/^pulse_gateway_errors_total\{code="payload_too_large"\} (\d+)/m)).toBeGreaterThanOrEqual(1);
      for (const name of [
        'pulse_gateway_push_latency_seconds_bucket{le="0.0005"}',
        'pulse_gateway_pushes_total',
        'pulse_gateway_sockets',
        'process_cpu_user_seconds_total',
      ]) {
        expect(text).toContain(name);
      }
      expect(text).toMatch(/^pulse_gateway_http_request_duration_seconds_count\{method="POST",route="\/v1\/events",status="202"\} \d+/m);
    });
  });
});
