import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/**
 * The browser side the gateway serves: the drop-in widget, the demo storefront and the marketing
 * console. TypeScript sources under gateway/web/ are bundled by esbuild (minified, one IIFE per
 * entry, socket.io-client inside) the first time each is asked for, then kept in memory with a
 * gzipped copy; pages and styles are read as they are. Nothing is written to disk.
 */

/** A servable file: its bytes, gzipped bytes and content type. */
export interface WebAsset {
  body: Buffer;
  gzip: Buffer;
  type: string;
}

type Source = { bundle: string } | { file: string };

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';
const WEB_DIR = fileURLToPath(new URL('./web/', import.meta.url));

/** URL path -> source under gateway/web/. The allowlist of what the gateway serves. */
export const WEB_ASSETS: Record<string, Source & { type: string }> = {
  '/': { file: 'pages/store.html', type: 'text/html; charset=utf-8' },
  '/console': { file: 'pages/console.html', type: 'text/html; charset=utf-8' },
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

/** Builds (once) and serves the assets of WEB_ASSETS. */
export class WebAssets {
  readonly #cache = new Map<string, Promise<WebAsset>>();

  /** Whether `path` is one of ours. */
  has(path: string): boolean {
    return Object.hasOwn(WEB_ASSETS, path);
  }

  /** The asset at `path`, built on first use; a failed build is not cached (the next request retries). */
  get(path: string): Promise<WebAsset> {
    const source = WEB_ASSETS[path];
    if (!source) return Promise.reject(new Error(`no web asset ${path}`));
    let asset = this.#cache.get(path);
    if (!asset) {
      asset = load(source).then((body) => ({ body, gzip: gzipSync(body, { level: 9 }), type: source.type }));
      asset.catch(() => this.#cache.delete(path));
      this.#cache.set(path, asset);
    }
    return asset;
  }
}

async function load(source: Source): Promise<Buffer> {
  if ('file' in source) return readFile(WEB_DIR + source.file);
  const result = await build({
    entryPoints: [WEB_DIR + source.bundle],
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
