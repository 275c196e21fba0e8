import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { authOf, openApiPath } from '../../gateway/openapi.js';
import { OPENAPI_DOC_PATH, renderOpenApi } from '../../scripts/docs-openapi.js';
import { startHarness, type Harness } from './gateway-harness.js';

/**
 * docs/openapi.json is generated from the gateway's route schemas (`npm run docs:api`, served at
 * `GET /v1/openapi.json`): a route added, removed or given another schema without running the
 * command fails here. The routes a gateway registers are listed independently of the generator:
 * every Fastify instance made in this file gets its own `onRoute` hook before any route exists.
 */
const made = vi.hoisted(() => ({ apps: [] as Array<Array<{ method: string; url: string }>> }));
vi.mock('fastify', async (importOriginal) => {
  const original = await importOriginal<typeof import('fastify')>();
  const create = ((options?: Parameters<typeof original.default>[0]) => {
    const app = original.default(options);
    const routes: Array<{ method: string; url: string }> = [];
    made.apps.push(routes);
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) routes.push({ method, url: route.url });
    });
    return app;
  }) as typeof original.default;
  return { ...original, default: create };
});

type Operation = Record<string, unknown> & { parameters?: Array<{ name: string; in: string; schema: Record<string, unknown> }> };
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('docs: openapi.json from the route schemas', () => {
  let h: Harness;
  let registered: Array<{ method: string; url: string }>;
  let served: Document;

  beforeAll(async () => {
    const before = made.apps.length;
    h = await startHarness();
    expect(made.apps.length).toBe(before + 1);
    registered = made.apps[before]!;
    const res = await h.fetch('/v1/openapi.json');
    expect(res.status).toBe(200);
    served = res.body as Document;
  });
  afterAll(async () => h?.close());

  it('equals what `npm run docs:api` generates now', async () => {
    const onDisk = readFileSync(OPENAPI_DOC_PATH, 'utf8');
    // On a difference, run `npm run docs:api` and commit docs/openapi.json.
    expect(onDisk).toBe(await renderOpenApi());
  });

  it('lists every route the gateway registers (HEAD and the CORS preflight aside), and nothing else', () => {
    const routes = registered.filter((route) => route.method !== 'HEAD' && route.method !== 'OPTIONS');
    expect(routes.length).toBeGreaterThan(40);
    expect(routes).toContainEqual({ method: 'PUT', url: '/v1/items/:itemId' });
    expect(routes).toContainEqual({ method: 'GET', url: '/v1/openapi.json' });
    for (const { method, url } of routes) {
      expect(served.paths[openApiPath(url)]?.[method.toLowerCase()], `${method} ${url}`).toBeDefined();
    }
    const operations = Object.values(served.paths).flatMap((ops) => Object.keys(ops));
    expect(operations.length).toBe(new Set(routes.map((route) => `${route.method} ${route.url}`)).size);
    const ids = Object.values(served.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
    expect(served.openapi).toMatch(/^3\.0\./);
  });

  it('says who may call each route: no route is left undocumented', () => {
    const undocumented = Object.entries(served.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op['x-pulse-auth'] === 'undocumented')
        .map(([method]) => `${method} ${path}`),
    );
    expect(undocumented).toEqual([]);
    const put = served.paths['/v1/items/{itemId}']!.put!;
    expect(put.security).toEqual([{ bearer: [] }]);
    expect(put['x-pulse-roles']).toEqual(['admin']);
    expect(served.paths['/v1/campaigns']!.get!['x-pulse-roles']).toEqual(['marketing', 'admin']);
    expect(served.paths['/v1/admin/dead-letters']!.get!['x-pulse-roles']).toEqual(['admin']);
    expect(served.paths['/v1/items']!.get!['x-pulse-roles']).toEqual([]);
    expect(served.paths['/v1/visitors']!.post!.security).toEqual([]);
    expect(served.paths['/v1/sessions']!.post!['x-pulse-auth']).toBe('optional');
    expect(served.paths['/healthz']!.get!['x-pulse-auth']).toBe('public');
  });

  it('carries the zod schemas: path and query parameters, bodies', () => {
    const list = served.paths['/v1/items']!.get!.parameters!;
    expect(list.find((p) => p.name === 'limit')).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
    });
    const put = served.paths['/v1/items/{itemId}']!.put!;
    expect(put.parameters?.[0]).toMatchObject({ name: 'itemId', in: 'path', required: true, schema: { maxLength: 100 } });
    const body = (put.requestBody as { content: Record<string, { schema: { required: string[] } }> }).content['application/json']!;
    expect(body.schema.required).toEqual(expect.arrayContaining(['itemId', 'title', 'category', 'price']));
    expect(served.paths['/v1/members/me/coupons/{code}/redeem']!.post!.requestBody).toBeDefined();
    expect(served.paths['/v1/items/{itemId}']!.get!.requestBody).toBeUndefined();
  });

  it('is served without a token, with an ETag: the second fetch is a 304', async () => {
    const first = await fetch(`${h.url}/v1/openapi.json`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    expect(await first.text()).toBe(readFileSync(OPENAPI_DOC_PATH, 'utf8'));
    const second = await fetch(`${h.url}/v1/openapi.json`, { headers: { 'If-None-Match': etag! } });
    expect(second.status).toBe(304);
  });

  it('names an API route with no guard and no entry in ROUTE_AUTH undocumented', () => {
    expect(authOf({ method: 'GET', url: '/v1/new-thing' })).toEqual({ kind: 'undocumented' });
    expect(authOf({ method: 'GET', url: '/v1/new-thing', guard: [] })).toEqual({ kind: 'bearer', roles: [] });
    expect(authOf({ method: 'GET', url: '/web/new.css' })).toEqual({ kind: 'public' });
  });
});
