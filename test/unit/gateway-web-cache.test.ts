import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etagMatches, WEB_ASSETS, WebAssets, writeWebAssets } from '../../gateway/web-assets.js';
import { startHarness, type Harness } from './gateway-harness.js';

/** Issue 16: web assets carry an ETag and cache headers (a second view is a 304), the build is served, /metrics can want a token. */

const METRICS_TOKEN = 'metrics-token-0123456789';

describe('gateway web assets and /metrics behind METRICS_TOKEN', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ env: { METRICS_TOKEN } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers a second GET /widget.js that names its ETag with 304 and no body', async () => {
    const first = await fetch(`${h.url}/widget.js`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=300');
    expect((await first.text()).length).toBeGreaterThan(100);

    const second = await fetch(`${h.url}/widget.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(second.status).toBe(304);
    expect(second.headers.get('etag')).toBe(etag);
    expect(await second.text()).toBe('');

    // Another asset's tag is no match, and a page is revalidated on every view.
    const other = await fetch(`${h.url}/web/store.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(other.status).toBe(200);
    const page = await fetch(`${h.url}/`);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const pageAgain = await fetch(`${h.url}/`, { headers: { 'if-none-match': page.headers.get('etag') ?? '' } });
    expect(pageAgain.status).toBe(304);
  });

  it('wants `Authorization: Bearer <METRICS_TOKEN>` on /metrics when it is set', async () => {
    const open = await h.fetch('/metrics');
    expect(open.status).toBe(401);
    expect(open.body).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await h.fetch('/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${h.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain('# HELP');
  });

  it('compares If-None-Match weakly, over a list, with *', () => {
    expect(etagMatches('W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('"x", W/"abc"', 'W/"abc"')).toBe(true);
    expect(etagMatches('*', 'W/"abc"')).toBe(true);
    expect(etagMatches('W/"abd"', 'W/"abc"')).toBe(false);
    expect(etagMatches(undefined, 'W/"abc"')).toBe(false);
  });
});

describe('the built web assets (npm run build)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = `${await mkdtemp(join(tmpdir(), 'pulse-web-built-'))}/`;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes every asset with its gzip, and a WebAssets on that build serves those files', async () => {
    const sourceDir = fileURLToPath(new URL('../../gateway/web/', import.meta.url));
    expect(await writeWebAssets(sourceDir, dir)).toEqual(Object.keys(WEB_ASSETS));
    // A marker in the built widget shows where the served bytes come from.
    await writeFile(join(dir, 'widget', 'widget.js'), 'built widget');
    const served = new WebAssets({ builtDir: dir });
    expect(await served.hasBuild()).toBe(true);
    const widget = await served.get('/widget.js');
    expect(widget.body.toString()).toBe('built widget');
    expect(widget.gzip.length).toBeGreaterThan(100);
    const page = await served.get('/');
    expect(page.body.equals(await readFile(join(sourceDir, 'pages', 'store.html')))).toBe(true);
    expect(await new WebAssets({ builtDir: join(dir, 'none/') }).hasBuild()).toBe(false);
  });
});
