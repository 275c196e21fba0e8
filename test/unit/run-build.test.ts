import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Runs `node scripts/run-build.mjs` (what `npm start` runs) in `dir`: exit code and output. */
async function runBuild(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [join(dir, 'scripts', 'run-build.mjs')], {
      cwd: dir,
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/**
 * `npm start` (scripts/run-build.mjs) on a small project laid out like Pulse in a temp dir: its
 * `scripts/start.ts` prints a line, and the gateway's web assets are Pulse's own.
 */
describe('npm start: build when missing or stale, then run the build', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-run-build-'));
    await mkdir(join(dir, 'scripts'), { recursive: true });
    for (const file of ['run-build.mjs', 'build.mjs', 'build-freshness.mjs'])
      await cp(join(root, 'scripts', file), join(dir, 'scripts', file));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }\n');
    await writeFile(join(dir, 'scripts', 'start.ts'), "const started: string = 'started from the build';\nconsole.log(started);\n");
    await mkdir(join(dir, 'models'));
    // The browser code shares engine/contracts/ with the server.
    await cp(join(root, 'engine', 'contracts'), join(dir, 'engine', 'contracts'), { recursive: true });
    await mkdir(join(dir, 'gateway'));
    await cp(join(root, 'gateway', 'web-assets.ts'), join(dir, 'gateway', 'web-assets.ts'));
    await cp(join(root, 'gateway', 'web'), join(dir, 'gateway', 'web'), { recursive: true });
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('without esbuild and without a build, stops with one line saying to run `npm run build`', async () => {
    const run = await runBuild(dir);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('pulse: dist/ is missing and esbuild is not installed here: run `npm run build` first\n');
  });

  it('builds a missing build, runs it, and builds again only once a source is newer', async () => {
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const first = await runBuild(dir);
    expect(first.stderr).toContain('building dist/ (missing)');
    expect(first.stdout).toBe('started from the build\n');
    expect(first.code).toBe(0);

    const second = await runBuild(dir);
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe('started from the build\n');

    const later = new Date(Date.now() + 60_000);
    await utimes(join(dir, 'scripts', 'start.ts'), later, later);
    const third = await runBuild(dir);
    expect(third.stderr).toContain('building dist/ (older than the sources)');
    expect(third.stdout).toBe('started from the build\n');
  });
});
