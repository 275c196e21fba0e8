import { describe, expect, it } from 'vitest';
import { useGatewayHttpApi } from '../helpers/gateway-http-api.js';
import type { Harness } from './gateway-harness.js';

/** The gateway HTTP API's operations: /healthz, /readyz, CORS preflights and the served pages and bundles. /metrics: gateway-http.test.ts. */

describe('gateway HTTP API', () => {
  let h: Harness;
  let ready = true;
  useGatewayHttpApi(
    (harness) => {
      h = harness;
    },
    () => ready,
  );

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
      const styles = [
        ...['base', 'header', 'catalog', 'panels', 'dialogs', 'narrow'].map((name) => `/web/store/${name}.css`),
        ...['base', 'forms', 'panels'].map((name) => `/web/console/${name}.css`),
      ];
      for (const path of ['/console', ...styles, '/web/store.js', '/web/console.js', '/socket.io/socket.io.js']) {
        const res = await fetch(`${h.url}${path}`);
        expect(res.status, path).toBe(200);
        expect((await res.text()).length, path).toBeGreaterThan(100);
      }
    });
  });
});
