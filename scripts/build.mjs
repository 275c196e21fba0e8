/**
 * `npm run build`: the production build in dist/, made with esbuild alone (a dependency, so a
 * production install, `npm ci --omit=dev`, can build too; plain JavaScript, so no tsx is needed).
 *
 * - Every TypeScript file of engine/, gateway/ (but gateway/web/), models/ and scripts/ becomes
 *   the JavaScript file at the same place under dist/ (one file each, not bundled: imports of
 *   packages stay imports, so native ones such as hnswlib-node load from node_modules).
 * - The files the code reads beside itself (`new URL('./…', import.meta.url)`: the Lua scripts,
 *   the password worker `.mjs`) are copied to the same relative places.
 * - The browser side (the widget, storefront and console bundles, pages and styles) is built once
 *   with its gzip into dist/gateway/web/built/, which the compiled gateway serves; the pages are
 *   written naming their scripts and styles by content-hashed URLs (gateway/web-assets.ts).
 * - dist/build-info.json is written last: `npm start` (scripts/run-build.mjs) compares its time with
 *   the sources' and builds again when they are newer.
 */
import { copyFile, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
/** The folders compiled, relative to ROOT; the browser sources are built separately. */
export const SOURCE_DIRS = ['engine', 'gateway', 'models', 'scripts'];
const BROWSER_DIR = join('gateway', 'web');
const BUILD_SCRIPTS = [
  join('scripts', 'build.mjs'),
  join('scripts', 'run-build.mjs'),
  join('scripts', 'build-freshness.mjs'),
  join('scripts', 'build-freshness.d.mts'),
];

/** Every file under ROOT/`dir` (relative to ROOT), the browser sources left out. */
export async function listFiles(dir) {
  const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath ?? entry.path, entry.name)))
    .filter((file) => !file.startsWith(`${BROWSER_DIR}/`));
}

/**
 * Builds dist/ from scratch; returns what it wrote, for the log. The build is made in a folder of
 * its own beside dist/ and then put in place, so two builds at once (two `npm start` on a stale
 * tree) do not write into each other, and a failed build leaves the previous dist/ as it was.
 */
export async function buildAll(dist = DIST) {
  const out = `${dist}.building-${process.pid}`;
  await rm(out, { recursive: true, force: true });
  try {
    const info = await buildInto(out);
    await rm(dist, { recursive: true, force: true });
    await rename(out, dist).catch((err) => {
      // Another build put its dist/ in place meanwhile: the same sources, so keep that one.
      if (err?.code !== 'ENOTEMPTY' && err?.code !== 'EEXIST') throw err;
    });
    return info;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function buildInto(out) {
  const files = (await Promise.all(SOURCE_DIRS.map(listFiles))).flat();
  const typescript = files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  // The build's own scripts are not part of what it builds.
  const others = files.filter((file) => !file.endsWith('.ts') && !BUILD_SCRIPTS.includes(file));

  await build({
    entryPoints: typescript.map((file) => join(ROOT, file)),
    outdir: out,
    outbase: ROOT,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  for (const file of others) {
    await mkdir(dirname(join(out, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(out, file));
  }

  // The compiled gateway's own list of assets, written where the compiled gateway looks for them.
  const webAssets = await import(pathToFileURL(join(out, 'gateway', 'web-assets.js')).href);
  const assets = await webAssets.writeWebAssets(`${join(ROOT, BROWSER_DIR)}/`);

  const info = { builtAt: new Date().toISOString(), modules: typescript.length, files: others.length, webAssets: assets.length };
  await writeFile(join(out, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    // `--out DIR`: the same build elsewhere (the end-to-end tests run Pulse from one made per run).
    const at = process.argv.indexOf('--out');
    const dist = at > 0 && process.argv[at + 1] ? resolve(process.argv[at + 1]) : DIST;
    const info = await buildAll(dist);
    process.stdout.write(
      `pulse: built ${relative(ROOT, dist) || dist}/ (${info.modules} modules, ${info.files} runtime files, ${info.webAssets} web assets); run it with \`npm start\`\n`,
    );
  } catch (err) {
    process.stderr.write(`pulse: build failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
