/**
 * `npm start`: runs the build's `dist/scripts/<name>.js` (default `start`) with plain Node, no tsx.
 *
 * When dist/ is missing, or older than any file of engine/, gateway/, models/, scripts/,
 * package.json or package-lock.json, it builds first (scripts/build.mjs, with esbuild, which a
 * production install has too). Where esbuild is missing as well it stops with one line saying to
 * run `npm run build`. Usage: `node scripts/run-build.mjs [start|gateway|engine] [args…]`.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_INFO = join(ROOT, 'dist', 'build-info.json');
const WATCHED_DIRS = ['engine', 'gateway', 'models', 'scripts'];
const WATCHED_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** Last modification time (ms) of `path`, 0 when it does not exist. */
async function mtimeOf(path) {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time among the sources of the build. */
async function newestSource() {
  let newest = 0;
  for (const dir of WATCHED_DIRS) {
    const entries = await readdir(join(ROOT, dir), { withFileTypes: true, recursive: true });
    for (const entry of entries) {
      if (entry.isFile()) newest = Math.max(newest, await mtimeOf(join(entry.parentPath ?? entry.path, entry.name)));
    }
  }
  for (const file of WATCHED_FILES) newest = Math.max(newest, await mtimeOf(join(ROOT, file)));
  return newest;
}

function fail(message) {
  process.stderr.write(`pulse: ${message}\n`);
  process.exit(1);
}

const name = process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : 'start';
if (!/^[a-z-]+$/.test(name)) fail(`no such command: ${name}`);

const built = await mtimeOf(BUILD_INFO);
if (built === 0 || built < (await newestSource())) {
  let buildAll;
  try {
    ({ buildAll } = await import('./build.mjs'));
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    fail(`dist/ is ${built === 0 ? 'missing' : 'older than the sources'} and esbuild is not installed here: run \`npm run build\` first`);
  }
  process.stderr.write(`pulse: building dist/ (${built === 0 ? 'missing' : 'older than the sources'})…\n`);
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
