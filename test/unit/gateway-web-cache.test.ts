import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentHash,
  etagMatches,
  hashedPath,
  parseHashedPath,
  rewriteAssetUrls,
  WEB_ASSETS,
  WebAssets,
  writeWebAssets,
} from '../../gateway/web-assets.js';
import { startHarness, type Harness } from './gateway-harness.js';

/**
 * Issue 16: web assets carry an ETag and cache headers (a second view is a 304), the pages name
 * their scripts and styles by content-hashed URLs cached as immutable, the build is served,
 * /metrics can want a token.
 */

const IMMUTABLE = 'public, max-age=31536000, immutable';
const sourceDir = fileURLToPath(new URL('../../gateway/web/', import.meta.url));
/** The `src`/`href` values of a page. */
const referencesOf = (html: string) => [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);

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

  it('serves the pages naming their scripts and styles by content hash, those URLs immutable', async () => {
    for (const [page, script] of [
      ['/', '/web/store.js'],
      ['/console', '/web/console.js'],
    ] as const) {
      const html = await (await fetch(`${h.url}${page}`)).text();
      const refs = referencesOf(html).filter((ref) => ref.startsWith('/web/'));
      // Every script and stylesheet under /web/ is named by its hash, none by its plain URL.
      expect(refs.length).toBeGreaterThan(2);
      for (const ref of refs) expect(ref, page).toMatch(/^\/web\/.+\.[0-9a-f]{8}\.(js|css)$/);
      const hashedScript = refs.find((ref) => parseHashedPath(ref)?.path === script);
      expect(hashedScript, page).toBeDefined();

      // The hashed URL serves the plain URL's bytes, whose hash it names, cached for a year.
      const plain = await fetch(`${h.url}${script}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.headers.get('cache-control')).toBe('public, max-age=300');
      const body = Buffer.from(await plain.arrayBuffer());
      expect(hashedScript).toBe(hashedPath(script, contentHash(body)));
      const hashed = await fetch(`${h.url}${hashedScript}`, { headers: { 'accept-encoding': 'identity' } });
      expect(hashed.status).toBe(200);
      expect(hashed.headers.get('cache-control')).toBe(IMMUTABLE);
      expect(hashed.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(Buffer.from(await hashed.arrayBuffer()).equals(body)).toBe(true);
      const again = await fetch(`${h.url}${hashedScript}`, { headers: { 'if-none-match': hashed.headers.get('etag') ?? '' } });
      expect(again.status).toBe(304);
    }
    // A stylesheet too, gzipped like the plain one.
    const html = await (await fetch(`${h.url}/`)).text();
    const style = referencesOf(html).find((ref) => parseHashedPath(ref)?.path === '/web/store/base.css') ?? '';
    const css = await fetch(`${h.url}${style}`);
    expect(css.headers.get('cache-control')).toBe(IMMUTABLE);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toBe(await (await fetch(`${h.url}/web/store/base.css`)).text());
    // The widget keeps its one stable URL, in the page as shops embed it.
    expect(html).toContain('<script src="/widget.js" data-target="#pulse-recs"');
  });

  it('gives an old hash the current content without immutable caching, and 404 to what is no asset', async () => {
    const html = await (await fetch(`${h.url}/`)).text();
    const current = referencesOf(html).find((ref) => parseHashedPath(ref)?.path === '/web/store.js') ?? '';
    const old = current.replace(/\.[0-9a-f]{8}\.js$/, (hash) => (hash === '.00000000.js' ? '.11111111.js' : '.00000000.js'));
    const stale = await fetch(`${h.url}${old}`);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await stale.text()).toBe(await (await fetch(`${h.url}${current}`)).text());
    for (const path of ['/web/nothing.0123abcd.js', '/web/store.0123abcd.css', '/web/store.xyz.js', '/widget.0123abcd.js', '/web/']) {
      const missing = await h.fetch(path);
      expect(missing.status, path).toBe(404);
      expect(missing.body, path).toMatchObject({ error: { code: 'not_found' } });
    }
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

describe('content-hashed asset URLs', () => {
  it('gives a changed asset a new URL in the page, and leaves the rest as they were', () => {
    const page =
      '<link rel="stylesheet" href="/web/store/base.css">\n<script src="/widget.js" defer></script><script src="/web/store.js" defer></script><a href="/">home</a>';
    const script = contentHash('console.log(1)');
    const before = new Map([
      ['/web/store/base.css', contentHash('body { color: black }')],
      ['/web/store.js', script],
    ]);
    const after = new Map([...before, ['/web/store/base.css', contentHash('body { color: navy }')]]);
    expect(before.get('/web/store/base.css')).toMatch(/^[0-9a-f]{8}$/);
    expect(after.get('/web/store/base.css')).not.toBe(before.get('/web/store/base.css'));
    const first = referencesOf(rewriteAssetUrls(page, before));
    const second = referencesOf(rewriteAssetUrls(page, after));
    expect(first).toEqual([`/web/store/base.${before.get('/web/store/base.css')}.css`, '/widget.js', `/web/store.${script}.js`, '/']);
    expect(second[0]).toBe(`/web/store/base.${after.get('/web/store/base.css')}.css`);
    expect(second.slice(1)).toEqual(first.slice(1));
  });

  it('parses a hashed URL back to its asset, only for scripts and styles under /web/', () => {
    expect(parseHashedPath('/web/store/base.0123abcd.css')).toEqual({ path: '/web/store/base.css', hash: '0123abcd' });
    expect(parseHashedPath(hashedPath('/web/console.js', 'ffffffff'))).toEqual({ path: '/web/console.js', hash: 'ffffffff' });
    expect(parseHashedPath('/web/store.js')).toBeUndefined();
    expect(parseHashedPath('/web/store.0123ABCD.js')).toBeUndefined();
    expect(parseHashedPath('/widget.0123abcd.js')).toBeUndefined();
    expect(parseHashedPath('/web/missing.0123abcd.js')).toBeUndefined();
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
    expect(await writeWebAssets(sourceDir, dir)).toEqual(Object.keys(WEB_ASSETS));
    // A marker in the built widget shows where the served bytes come from.
    await writeFile(join(dir, 'widget', 'widget.js'), 'built widget');
    const served = new WebAssets({ builtDir: dir });
    expect(await served.hasBuild()).toBe(true);
    const widget = await served.get('/widget.js');
    expect(widget.body.toString()).toBe('built widget');
    expect(widget.gzip.length).toBeGreaterThan(100);
    // The built page is the source page with the built scripts' and styles' hashes in its URLs.
    const page = await served.get('/');
    const hashes = new Map<string, string>();
    for (const path of [
      '/web/store.js',
      ...['base', 'header', 'catalog', 'panels', 'dialogs', 'narrow'].map((name) => `/web/store/${name}.css`),
    ]) {
      hashes.set(path, contentHash((await served.get(path)).body));
    }
    const source = (await readFile(join(sourceDir, 'pages', 'store.html'))).toString();
    expect(page.body.toString()).toBe(rewriteAssetUrls(source, hashes));
    expect(page.body.toString()).toContain(`src="/web/store.${hashes.get('/web/store.js')}.js"`);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.hashed['/web/store/base.css']).toBe(`/web/store/base.${hashes.get('/web/store/base.css')}.css`);
    const hashed = await served.getHashed(manifest.hashed['/web/store/base.css']);
    expect(hashed?.current).toBe(true);
    expect(hashed?.asset.body.equals(await readFile(join(dir, 'pages', 'store', 'base.css')))).toBe(true);
    expect(await new WebAssets({ builtDir: join(dir, 'none/') }).hasBuild()).toBe(false);
  });
});
