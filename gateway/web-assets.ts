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
 */

/** A servable file: its bytes, gzipped bytes, content type and ETag (weak: the gzip is the same content). */
export interface WebAsset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
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

  async #load(source: Source & { type: string }): Promise<WebAsset> {
    const name = builtName(source);
    if (await this.hasBuild()) {
      const [body, zipped] = await Promise.all([readFile(this.#builtDir + name), readFile(`${this.#builtDir}${name}.gz`)]);
      return { body, gzip: zipped, type: source.type, etag: etagOf(body) };
    }
    const body = await load(source, WEB_DIR);
    return { body, gzip: await gzip(body, { level: 9 }), type: source.type, etag: etagOf(body) };
  }
}

/**
 * The build's step for the browser (scripts/build.mjs): every asset of WEB_ASSETS, bundled or read
 * from `sourceDir` (gateway/web/ of the sources), written to `outDir` with its `.gz`, then the
 * manifest. `outDir` is emptied first. Returns the URL paths written.
 */
export async function writeWebAssets(sourceDir: string, outDir: string = BUILT_DIR): Promise<string[]> {
  await rm(outDir, { recursive: true, force: true });
  const names: string[] = [];
  for (const source of Object.values(WEB_ASSETS)) {
    const name = builtName(source);
    const body = await load(source, sourceDir);
    await mkdir(dirname(outDir + name), { recursive: true });
    await writeFile(outDir + name, body);
    await writeFile(`${outDir}${name}.gz`, await gzip(body, { level: 9 }));
    names.push(name);
  }
  await writeFile(outDir + MANIFEST, `${JSON.stringify({ files: names }, null, 2)}\n`);
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
