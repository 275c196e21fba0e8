/**
 * Whether the production build in dist/ is current: missing, or older than any file of engine/,
 * gateway/, models/, scripts/, package.json, package-lock.json or tsconfig.json. Shared by
 * `npm start` / `npm run engine` / `npm run gateway` (scripts/run-build.mjs) and the benchmark,
 * which runs the processes it measures from the build as those commands do. Imports nothing
 * outside Node, so a production install without esbuild can ask too.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WATCHED_DIRS = ['engine', 'gateway', 'models', 'scripts'];
const WATCHED_FILES = ['package.json', 'package-lock.json', 'tsconfig.json'];

/** Last modification time (ms) of `path`, 0 when it does not exist. */
export async function mtimeOf(path) {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return 0;
  }
}

/** The newest modification time among the sources of the build under `root`. */
async function newestSource(root) {
  let newest = 0;
  for (const dir of WATCHED_DIRS) {
    const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
    for (const entry of entries) {
      if (entry.isFile()) newest = Math.max(newest, await mtimeOf(join(entry.parentPath ?? entry.path, entry.name)));
    }
  }
  for (const file of WATCHED_FILES) newest = Math.max(newest, await mtimeOf(join(root, file)));
  return newest;
}

/**
 * Why dist/ under `root` must be built before it is run: 'missing', 'older than the sources', or
 * undefined when it is current.
 */
export async function staleBuild(root = ROOT) {
  const built = await mtimeOf(join(root, 'dist', 'build-info.json'));
  if (built === 0) return 'missing';
  return built < (await newestSource(root)) ? 'older than the sources' : undefined;
}
