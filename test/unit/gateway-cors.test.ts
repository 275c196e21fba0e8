import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './gateway-harness.js';

const SHOP = 'https://shop.example';
const EVIL = 'https://evil.example';

describe('CORS (gateway/cors.ts) with a list of origins', () => {
  let h: Harness;
  beforeAll(async () => {
    // A burst of 4 requests per IP: the last test sees a 429.
    h = await startHarness({
      env: { CORS_ORIGINS: `${SHOP}/, https://other.example`, IP_REQUEST_BURST: '4', IP_REQUESTS_PER_SECOND: '0.01' },
    });
  });
  afterAll(() => h.close());

  it('echoes an allowed origin, lets it read Retry-After and says the answer varies by Origin', async () => {
    const res = await h.fetch('/healthz', { headers: { Origin: SHOP } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('gives a refused origin no Access-Control-Allow-Origin, and still Vary: Origin', async () => {
    const res = await h.fetch('/healthz', { headers: { Origin: EVIL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toMatch(/\bOrigin\b/);
    const none = await h.fetch('/healthz');
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
    expect(none.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('answers preflights 204 with methods, headers and max age; a refused origin gets no Allow-Origin', async () => {
    const preflight = (origin: string) =>
      h.fetch('/v1/events', { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' } });
    const allowed = await preflight(SHOP);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(allowed.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE, OPTIONS');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Idempotency-Key');
    expect(allowed.headers.get('access-control-max-age')).toBe('600');
    const refused = await preflight(EVIL);
    expect(refused.status).toBe(204);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('vary')).toMatch(/\bOrigin\b/);
  });

  it('answers a 429 with the CORS headers, so the page can read Retry-After', async () => {
    let res = await h.fetch('/v1/nothing', { headers: { Origin: SHOP } });
    for (let i = 0; i < 10 && res.status !== 429; i++) res = await h.fetch('/v1/nothing', { headers: { Origin: SHOP } });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(res.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After');
  });
});

describe('CORS (gateway/cors.ts) with any origin', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { CORS_ORIGINS: '*' } });
  });
  afterAll(() => h.close());

  it('allows every origin with `*` and no Vary (the answer does not depend on the Origin)', async () => {
    const res = await h.fetch('/healthz', { headers: { Origin: EVIL } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('vary') ?? '').not.toMatch(/\bOrigin\b/);
  });

  it('answers any OPTIONS request as a preflight, as before: 204 without Origin or a requested method', async () => {
    const res = await h.fetch('/v1/items', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, PUT, DELETE, OPTIONS');
  });
});
