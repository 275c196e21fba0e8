/**
 * `npm start`, `npm run engine`, `npm run gateway`: runs the build's `dist/scripts/<name>.js`
 * (default `start`) with plain Node, no tsx: no transform at start, and no call naming each
 * closure as it is made (tsx keeps function names): ~4% of the engine's CPU per list and per
 * applied event (recommend-micro and pipeline-micro, build against sources).
 *
 * When dist/ is missing, or older than any file of engine/, gateway/, models/, scripts/,
 * package.json or package-lock.json (scripts/build-freshness.mjs), it builds first (scripts/build.mjs, with esbuild, which a
 * production install has too). Where esbuild is missing as well it stops with one line saying to
 * run `npm run build`. Usage: `node scripts/run-build.mjs [start|gateway|engine] [args…]`.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mtimeOf, ROOT, staleBuild } from './build-freshness.mjs';

function fail(message) {
  process.stderr.write(`pulse: ${message}\n`);
  process.exit(1);
}

const name = process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : 'start';
if (!/^[a-z-]+$/.test(name)) fail(`no such command: ${name}`);

const stale = await staleBuild(ROOT);
if (stale) {
  let buildAll;
  try {
    ({ buildAll } = await import('./build.mjs'));
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    fail(`dist/ is ${stale} and esbuild is not installed here: run \`npm run build\` first`);
  }
  process.stderr.write(`pulse: building dist/ (${stale})…\n`);
  try {
    await buildAll();
  } catch (err) {
    fail(`build failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const entry = join(ROOT, 'dist', 'scripts', `${name}.js`);
if ((await mtimeOf(entry)) === 0) fail(`no such command in the build: ${name}`);
// The script sees the arguments after the command, as if run directly.
process.argv.splice(1, process.argv[2] === name ? 2 : 1, entry);
process.setSourceMapsEnabled(true);
await import(pathToFileURL(entry).href);
