import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { WebAssets } from '../../gateway/web-assets.js';

/** The budget of `/widget.js` as served gzipped (bytes); Socket.IO's client alone is about 14 KB of it. */
const WIDGET_GZIP_BUDGET_BYTES = 25 * 1024;

/**
 * The drop-in widget stays small: `/widget.js` built exactly as the gateway serves it (esbuild,
 * minified IIFE, socket.io-client inside, gzip level 9) must fit the budget. Prints the figure
 * the README states: `npx vitest run test/unit/web-widget-size.test.ts`.
 */
describe('web: widget size', () => {
  it(`/widget.js is at most ${WIDGET_GZIP_BUDGET_BYTES / 1024} KB gzipped`, async () => {
    const asset = await new WebAssets().get('/widget.js');
    expect(gunzipSync(asset.gzip).equals(asset.body)).toBe(true);
    const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
    console.log(`/widget.js: ${kb(asset.body.length)} minified, ${kb(asset.gzip.length)} gzipped (budget ${kb(WIDGET_GZIP_BUDGET_BYTES)})`);
    // It is the widget (custom elements and window.Pulse), not an empty or broken bundle.
    const text = asset.body.toString('utf8');
    for (const marker of ['pulse-recommendations', 'pulse-toast', 'Recommended for you']) expect(text).toContain(marker);
    expect(asset.gzip.length).toBeLessThanOrEqual(WIDGET_GZIP_BUDGET_BYTES);
  }, 60_000);
});
