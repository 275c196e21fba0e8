import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';

/**
 * The browser side the gateway serves: the drop-in widget, the demo storefront and the marketing
 * console. TypeScript sources under gateway/web/ are bundled by esbuild (minified, one IIFE per
 * entry, socket.io-client inside); pages and styles are served as they are.
 *
 * `npm run build` writes every asset and its gzip once (`writeWebAssets`) to `built/` beside the
 * compiled gateway (dist/gateway/web/built/); a gateway that finds that build serves it. Without
 * one (development, `npm run dev`), each asset is built the first time it is asked for and kept in
 * memory. Either way each asset carries an ETag (a hash of its content) for conditional requests.
 *
 * Long-lived caching by content hash: a script or stylesheet under `/web/` also answers at a URL
 * naming its hash (`/web/store.js` at `/web/store.<hash8>.js`), cached for a year as immutable, and
 * the pages are served with their `/web/` references rewritten to those URLs (by the build into
 * the built pages, by `WebAssets` in development), so a deployment changes the URLs it changed the
 * content of. The plain URLs still answer (ETag, five minutes); `/widget.js` has only its stable one.
 */

/** A servable file: its bytes, gzipped bytes, content type, ETag (weak: the gzip is the same content) and content hash. */
export interface WebAsset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
  /** `contentHash(body)`: the part of its hashed URL that names this content. */
  hash: string;
}

type Source = { bundle: string } | { file: string };

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const HTML = 'text/html; charset=utf-8';
const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));
/** Where the build puts the assets: beside this module, so dist/gateway/web/built/ once compiled. */
export const BUILT_DIR = `${WEB_DIR}built/`;
/** Written last by `writeWebAssets`: its presence means the build is complete. */
const MANIFEST = 'manifest.json';
const gzip = promisify(gzipCallback);

/** URL path -> source under gateway/web/. The allowlist of what the gateway serves. */
export const WEB_ASSETS: Record<string, Source & { type: string }> = {
  '/': { file: 'pages/store.html', type: HTML },
  '/console': { file: 'pages/console.html', type: HTML },
  '/web/store/base.css': { file: 'pages/store/base.css', type: CSS },
  '/web/store/header.css': { file: 'pages/store/header.css', type: CSS },
  '/web/store/catalog.css': { file: 'pages/store/catalog.css', type: CSS },
  '/web/store/panels.css': { file: 'pages/store/panels.css', type: CSS },
  '/web/store/dialogs.css': { file: 'pages/store/dialogs.css', type: CSS },
  '/web/store/narrow.css': { file: 'pages/store/narrow.css', type: CSS },
  '/web/console/base.css': { file: 'pages/console/base.css', type: CSS },
  '/web/console/forms.css': { file: 'pages/console/forms.css', type: CSS },
  '/web/console/panels.css': { file: 'pages/console/panels.css', type: CSS },
  '/widget.js': { bundle: 'widget/widget.ts', type: JS },
  '/web/store.js': { bundle: 'store/store.ts', type: JS },
  '/web/console.js': { bundle: 'console/console.ts', type: JS },
};

/**
 * `Cache-Control` of an asset: pages are revalidated on every view (a deployment shows at once);
 * scripts and styles keep their stable URLs (shops embed `/widget.js`), so they are cached for five
 * minutes and then revalidated with their ETag (a 304 while unchanged).
 */
export function cacheControlOf(asset: Pick<WebAsset, 'type'>): string {
  return asset.type === HTML ? 'no-cache' : 'public, max-age=300';
}

/** `Cache-Control` of an asset at its hashed URL: that URL's content never changes. */
export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** The hash a hashed URL carries: the first 8 hex digits of the content's SHA-256. */
export function contentHash(body: Buffer | string): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 8);
}

/** Whether the asset at `path` has a hashed URL: the scripts and styles under `/web/` (not pages, not `/widget.js`). */
export function hasHashedUrl(path: string): boolean {
  const source = WEB_ASSETS[path];
  return source !== undefined && source.type !== HTML && path.startsWith('/web/');
}

/** The hashed URL of the asset at `path`: `.<hash>` before its extension (`/web/store/base.<hash>.css`). */
export function hashedPath(path: string, hash: string): string {
  const dot = path.lastIndexOf('.');
  return `${path.slice(0, dot)}.${hash}${path.slice(dot)}`;
}

/** The asset path and hash a hashed URL names, if it is one (of an asset that has a hashed URL). */
export function parseHashedPath(url: string): { path: string; hash: string } | undefined {
  const match = /^(\/web\/.+)\.([0-9a-f]{8})(\.[a-z]+)$/.exec(url);
  if (!match) return undefined;
  const path = `${match[1]}${match[3]}`;
  return hasHashedUrl(path) ? { path, hash: match[2] as string } : undefined;
}

const REFERENCE = /(\s(?:src|href)=")([^"?#]+)"/g;

/** The asset paths with a hashed URL that a page's `src`/`href` attributes name. */
export function referencedAssets(html: string): string[] {
  return [...new Set([...html.matchAll(REFERENCE)].map((match) => match[2] as string).filter(hasHashedUrl))];
}

/** A page with each `src`/`href` naming an asset of `hashes` (path -> content hash) pointed at its hashed URL. */
export function rewriteAssetUrls(html: string, hashes: ReadonlyMap<string, string>): string {
  return html.replace(REFERENCE, (whole, attribute: string, path: string) => {
    const hash = hasHashedUrl(path) ? hashes.get(path) : undefined;
    return hash ? `${attribute}${hashedPath(path, hash)}"` : whole;
  });
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  const wanted = opaque(etag);
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === wanted);
}

function etagOf(body: Buffer): string {
  return `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** The file name of an asset in the build: its source path, `.ts` bundles as `.js`. */
function builtName(source: Source): string {
  return 'file' in source ? source.file : source.bundle.replace(/\.ts$/, '.js');
}

/** Serves the assets of WEB_ASSETS: from the build in `builtDir` when there is one, else built on first use. */
export class WebAssets {
  readonly #cache = new Map<string, Promise<WebAsset>>();
  readonly #builtDir: string;
  #built: Promise<boolean> | undefined;

  constructor(options: { builtDir?: string } = {}) {
    this.#builtDir = options.builtDir ?? BUILT_DIR;
  }

  /** Whether `path` is one of ours. */
  has(path: string): boolean {
    return Object.hasOwn(WEB_ASSETS, path);
  }

  /** The asset at `path`, read or built on first use; a failure is not cached (the next request retries). */
  get(path: string): Promise<WebAsset> {
    const source = WEB_ASSETS[path];
    if (!source) return Promise.reject(new Error(`no web asset ${path}`));
    let asset = this.#cache.get(path);
    if (!asset) {
      asset = this.#load(source);
      asset.catch(() => this.#cache.delete(path));
      this.#cache.set(path, asset);
    }
    return asset;
  }

  /** Whether a complete build is there (looked up once). */
  hasBuild(): Promise<boolean> {
    this.#built ??= readFile(this.#builtDir + MANIFEST).then(
      () => true,
      () => false,
    );
    return this.#built;
  }

  /**
   * The asset a hashed URL names and whether the hash is its current one; undefined when `url` is
   * no hashed URL of ours. An old hash (a page of the previous version, during a rolling upgrade)
   * still gets the current content, but without the immutable caching.
   */
  async getHashed(url: string): Promise<{ asset: WebAsset; current: boolean } | undefined> {
    const hashed = parseHashedPath(url);
    if (!hashed) return undefined;
    const asset = await this.get(hashed.path);
    return { asset, current: asset.hash === hashed.hash };
  }

  async #load(source: Source & { type: string }): Promise<WebAsset> {
    const name = builtName(source);
    if (await this.hasBuild()) {
      // Built pages already name the hashed URLs (writeWebAssets).
      const [body, zipped] = await Promise.all([readFile(this.#builtDir + name), readFile(`${this.#builtDir}${name}.gz`)]);
      return assetOf(body, zipped, source.type);
    }
    let body = await load(source, WEB_DIR);
    if (source.type === HTML) {
      const html = body.toString('utf8');
      const paths = referencedAssets(html);
      // One that fails to build keeps its plain URL (which answers with the failure); the page is still served.
      const assets = await Promise.allSettled(paths.map((path) => this.get(path)));
      const hashes = new Map<string, string>();
      assets.forEach((asset, i) => asset.status === 'fulfilled' && hashes.set(paths[i] as string, asset.value.hash));
      body = Buffer.from(rewriteAssetUrls(html, hashes));
    }
    return assetOf(body, await gzip(body, { level: 9 }), source.type);
  }
}

function assetOf(body: Buffer, zipped: Buffer, type: string): WebAsset {
  return { body, gzip: zipped, type, etag: etagOf(body), hash: contentHash(body) };
}

/**
 * The build's step for the browser (scripts/build.mjs): every asset of WEB_ASSETS, bundled or read
 * from `sourceDir` (gateway/web/ of the sources), written to `outDir` with its `.gz`, the pages last
 * with their references rewritten to the hashed URLs; then the manifest (the files, and each
 * hashed URL). `outDir` is emptied first. Returns the URL paths written.
 */
export async function writeWebAssets(sourceDir: string, outDir: string = BUILT_DIR): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  const names: string[] = [];
  const hashes = new Map<string, string>();
  const entries = Object.entries(WEB_ASSETS);
  const pagesLast = [...entries.filter(([, source]) => source.type !== HTML), ...entries.filter(([, source]) => source.type === HTML)];
  for (const [path, source] of pagesLast) {
    const name = builtName(source);
    let body = await load(source, sourceDir);
    if (source.type === HTML) body = Buffer.from(rewriteAssetUrls(body.toString('utf8'), hashes));
    else hashes.set(path, contentHash(body));
    await mkdir(dirname(outDir + name), { recursive: true });
    await writeFile(outDir + name, body);
    await writeFile(`${outDir}${name}.gz`, await gzip(body, { level: 9 }));
    names.push(name);
  }
  const hashed = Object.fromEntries(
    [...hashes].filter(([path]) => hasHashedUrl(path)).map(([path, hash]) => [path, hashedPath(path, hash)]),
  );
  await writeFile(outDir + MANIFEST, `${JSON.stringify({ files: names, hashed }, null, 2)}\n`);
  return Object.keys(WEB_ASSETS);
}

async function load(source: Source, dir: string): Promise<Buffer> {
  if ('file' in source) return readFile(dir + source.file);
  // Loaded only when a bundle is built: a gateway serving a build never needs esbuild.
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [dir + source.bundle],
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['es2020'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${source.bundle}`);
  return Buffer.from(output.contents);
}
