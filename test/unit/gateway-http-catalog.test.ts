import { describe, expect, it } from 'vitest';
import { shoes, useGatewayHttpApi } from '../helpers/gateway-http-api.js';
import type { Harness } from './gateway-harness.js';

/** The gateway HTTP API's catalog routes: who may write, validation, batches, reads, lists, similar items, deletes. */

describe('gateway HTTP API', () => {
  let h: Harness;
  const { calls } = useGatewayHttpApi((harness) => {
    h = harness;
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
});
