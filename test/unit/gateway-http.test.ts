import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RpcMethods } from '../../engine/contracts/messages.js';
import type { Item, RecommendationList } from '../../engine/contracts/schemas.js';
import type { EventLogWriter } from '../../engine/stream/event-log.js';
import { SECRET, startHarness, type Harness } from './gateway-harness.js';

const shoes: Item = { itemId: 'shoe-1', title: 'Trail shoe', category: 'shoes', brand: 'Acme', price: 89.5 };

/** Fails appends of events about item `boom` (a log outage for just those). */
function flakyLog(inner: EventLogWriter): EventLogWriter {
  return {
    append: async (event) => {
      if ('itemId' in event && event.itemId === 'boom') throw new Error('nats: connection lost');
      if ('itemId' in event && event.itemId === 'boom-pulse') throw new PulseError(ErrorCodes.unavailable, 'stream unavailable');
      return inner.append(event);
    },
  };
}

describe('gateway HTTP API', () => {
  let h: Harness;
  let ready = true;
  const calls: {
    recommend: RpcMethods['recommend']['request'][];
    upsert: Item[][];
    list: RpcMethods['catalog.list']['request'][];
    similar: RpcMethods['similar']['request'][];
  } = {
    recommend: [],
    upsert: [],
    list: [],
    similar: [],
  };
  const list = (modelVersion: string): RecommendationList => ({
    items: [{ itemId: 'shoe-1', score: 0.9, reason: 'popular' }],
    generatedAt: Date.now(),
    modelVersion,
  });

  beforeAll(async () => {
    h = await startHarness({
      env: { MAX_BODY_BYTES: '4096' },
      wrapEventLog: flakyLog,
      readiness: async () => ({ ready, checks: { nats: { ok: ready, detail: ready ? 'connected' : 'down' } } }),
    });
    const rpc = h.transport.rpcServer;
    rpc.serve('recommend', async (request) => {
      calls.recommend.push(request);
      return list('test-1');
    });
    rpc.serve('similar', async (request) => {
      calls.similar.push(request);
      return list('test-1');
    });
    rpc.serve('catalog.get', async ({ itemId }) => {
      if (itemId !== shoes.itemId) throw new PulseError(ErrorCodes.notFound, `no item "${itemId}"`);
      return shoes;
    });
    rpc.serve('catalog.list', async (request) => {
      calls.list.push(request);
      return { items: [shoes], total: 1, categories: ['shoes'] };
    });
    rpc.serve('catalog.upsert', async ({ items }) => {
      calls.upsert.push(items);
      return { upserted: items.length };
    });
    rpc.serve('catalog.delete', async ({ itemId }) => ({ deleted: itemId === shoes.itemId }));
  });
  afterAll(() => h.close());

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

  describe('catalog', () => {
    it('lets only admins write, and validates items', async () => {
      const member = await h.token('member', 'm-1');
      const admin = await h.token('admin', 'root');
      const denied = await h.fetch('/v1/items/shoe-1', { method: 'PUT', token: member, json: shoes });
      expect(denied.status).toBe(403);
      expect(denied.body).toMatchObject({ error: { code: 'forbidden' } });

      const put = await h.fetch('/v1/items/shoe-1', { method: 'PUT', token: admin, json: shoes });
      expect(put.status).toBe(200);
      expect(put.body).toEqual(shoes);
      expect(calls.upsert.at(-1)).toEqual([shoes]);

      const { itemId: _omitted, ...withoutId } = shoes;
      expect((await h.fetch('/v1/items/shoe-2', { method: 'PUT', token: admin, json: withoutId })).body).toMatchObject({
        itemId: 'shoe-2',
      });

      const mismatch = await h.fetch('/v1/items/other', { method: 'PUT', token: admin, json: shoes });
      expect(mismatch.status).toBe(400);
      expect(mismatch.body).toMatchObject({ error: { code: 'invalid_item' } });

      const upsertsBefore = calls.upsert.length;
      const invalid = await h.fetch('/v1/items/shoe-1', { method: 'PUT', token: admin, json: { ...shoes, price: -1 } });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toMatchObject({ error: { code: 'invalid_item', details: { price: expect.any(String) } } });
      expect(calls.upsert.length).toBe(upsertsBefore);
    });

    it('upserts a batch partially, reporting rejected items by index', async () => {
      const admin = await h.token('admin', 'root');
      const items = [shoes, { ...shoes, itemId: 'bad id with spaces' }, { ...shoes, itemId: 'shoe-3' }, { title: 'no id' }];
      const res = await h.fetch('/v1/items/batch', { method: 'POST', token: admin, json: { items } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        upserted: 2,
        rejected: [
          { index: 1, error: { code: 'invalid_item', message: expect.any(String), details: expect.any(Object) } },
          { index: 3, error: { code: 'invalid_item', message: expect.any(String), details: expect.any(Object) } },
        ],
      });
      expect(calls.upsert.at(-1)?.map((i) => i.itemId)).toEqual(['shoe-1', 'shoe-3']);

      const tooMany = await h.fetch('/v1/items/batch', {
        method: 'POST',
        token: admin,
        json: { items: Array.from({ length: 1001 }, () => ({})) },
      });
      expect(tooMany.status).toBe(400);
      expect(tooMany.body).toMatchObject({ error: { code: 'invalid_request' } });
    });

    it('reads, lists, finds similar items and deletes', async () => {
      const visitor = await h.token('visitor', 'v_carol');
      const admin = await h.token('admin', 'root');
      expect((await h.fetch('/v1/items/shoe-1', { token: visitor })).body).toEqual(shoes);
      const missing = await h.fetch('/v1/items/ghost', { token: visitor });
      expect(missing.status).toBe(404);
      expect(missing.body).toMatchObject({ error: { code: 'not_found' } });

      const page = await h.fetch('/v1/items?category=shoes&limit=5', { token: visitor });
      expect(page.body).toEqual({ items: [shoes], total: 1, categories: ['shoes'] });
      expect(calls.list.at(-1)).toEqual({
        principal: { userId: 'v_carol', role: 'visitor', tier: 'regular' },
        category: 'shoes',
        limit: 5,
        offset: 0,
      });
      expect((await h.fetch('/v1/items?limit=abc', { token: visitor })).status).toBe(400);

      expect((await h.fetch('/v1/items/shoe-1/similar', { token: visitor })).status).toBe(200);
      expect(calls.similar.at(-1)).toMatchObject({ itemId: 'shoe-1', k: 10 });
      expect((await h.fetch('/v1/items/shoe-1/similar?k=500', { token: visitor })).status).toBe(400);

      expect((await h.fetch('/v1/items/shoe-1', { method: 'DELETE', token: visitor })).status).toBe(403);
      expect((await h.fetch('/v1/items/shoe-1', { method: 'DELETE', token: admin })).body).toEqual({ deleted: true });
      expect((await h.fetch('/v1/items/nope', { method: 'DELETE', token: admin })).status).toBe(404);
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
    it('serves /healthz, and /readyz as 200 or 503 with the report', async () => {
      expect(await h.fetch('/healthz')).toMatchObject({ status: 200, body: { ok: true } });
      const up = await h.fetch('/readyz');
      expect(up.status).toBe(200);
      expect(up.body).toEqual({
        ready: true,
        checks: { nats: { ok: true, detail: 'connected' }, gateway: { ok: true, detail: 'accepting' } },
      });
      ready = false;
      try {
        const down = await h.fetch('/readyz');
        expect(down.status).toBe(503);
        expect(down.body).toMatchObject({ ready: false, checks: { nats: { ok: false } } });
      } finally {
        ready = true;
      }
    });

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

    it('answers CORS preflights', async () => {
      const res = await fetch(`${h.url}/v1/events`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    });

    it('serves the storefront, the console, the widget and their bundles (gzipped when asked)', async () => {
      const page = await h.fetch('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.body).toContain('<script src="/widget.js" data-target="#pulse-recs"');
      const widget = await fetch(`${h.url}/widget.js`, { headers: { 'accept-encoding': 'identity' } });
      expect(widget.headers.get('content-type')).toMatch(/javascript/);
      expect(widget.headers.get('content-encoding')).toBeNull();
      const plain = Buffer.from(await widget.arrayBuffer());
      const { gunzipSync } = await import('node:zlib');
      const zipped = await new Promise<Buffer>((resolve, reject) => {
        import('node:http').then(({ get }) =>
          get(`${h.url}/widget.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            expect(res.headers['content-encoding']).toBe('gzip');
            const chunks: Buffer[] = [];
            res
              .on('data', (c: Buffer) => chunks.push(c))
              .on('end', () => resolve(Buffer.concat(chunks)))
              .on('error', reject);
          }),
        );
      });
      expect(gunzipSync(zipped).equals(plain)).toBe(true);
      expect(zipped.length).toBeLessThan(plain.length);
      for (const path of ['/console', '/web/pulse.css', '/web/store.js', '/web/console.js', '/socket.io/socket.io.js']) {
        const res = await fetch(`${h.url}${path}`);
        expect(res.status, path).toBe(200);
        expect((await res.text()).length, path).toBeGreaterThan(100);
      }
    });
  });
});
