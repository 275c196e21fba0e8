import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Issue 16, must-show 1: `npm run build`, then the build's `dist/scripts/start.js` run by plain
 * Node (no tsx) with NODE_ENV=production and AUTH_SECRET, on a private nats-server and
 * redis-server, serves the shop; the widget comes from the build and a second view of it is a 304.
 * A resolve hook makes any import of a devDependency fail, as it would after `npm ci --omit=dev`.
 */
describe('the production build (npm run build, then node dist/scripts/start.js)', () => {
  let nats: TestServer;
  let redis: TestServer;
  let child: ChildProcess | undefined;
  let output = '';
  let baseUrl = '';
  let scratch = '';

  beforeAll(async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: root, timeout: 180_000 });
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    scratch = await mkdtemp(join(tmpdir(), 'pulse-prod-'));
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const guard = join(scratch, 'deny-dev-dependencies.mjs');
    await writeFile(guard, denyDevDependencies(Object.keys(pkg.devDependencies)));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      AUTH_SECRET: 'e2e-production-secret-0123456789abcdef',
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      PORT: String(port),
      ENGINE_PORT: '0',
      LOG_FORMAT: 'json',
      DATA_DIR: join(scratch, 'data'),
    };
    delete env.NODE_OPTIONS;
    child = spawn(process.execPath, ['--import', pathToFileURL(guard).href, join(root, 'dist', 'scripts', 'start.js')], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await waitFor(
      'the built Pulse to be ready',
      async () => {
        if (child?.exitCode !== null) throw new Error(`node dist/scripts/start.js exited (${child?.exitCode}):\n${output}`);
        return fetch(`${baseUrl}/readyz`).then(
          (res) => res.status === 200,
          () => false,
        );
      },
      { timeoutMs: 60_000, intervalMs: 200, output: () => output },
    );
  }, 240_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await Promise.all([nats?.stop(), redis?.stop()]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('serves the storefront, and the widget from the build with an ETag, a 304 the second time', async () => {
    const page = await fetch(`${baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('/widget.js');
    // The built page names its script by content hash, served as immutable.
    const script = /src="(\/web\/store\.[0-9a-f]{8}\.js)"/.exec(html)?.[1] ?? 'no hashed script in the page';
    const hashed = await fetch(`${baseUrl}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const store = await readFile(join(root, 'dist', 'gateway', 'web', 'built', 'store', 'store.js'));
    expect(Buffer.from(await hashed.arrayBuffer()).equals(store)).toBe(true);

    const widget = await fetch(`${baseUrl}/widget.js`, { headers: { 'accept-encoding': 'identity' } });
    expect(widget.status).toBe(200);
    const built = await readFile(join(root, 'dist', 'gateway', 'web', 'built', 'widget', 'widget.js'));
    expect(Buffer.from(await widget.arrayBuffer()).equals(built)).toBe(true);
    const etag = widget.headers.get('etag');
    expect(etag).toBeTruthy();
    expect(widget.headers.get('cache-control')).toMatch(/max-age=\d+/);

    const again = await fetch(`${baseUrl}/widget.js`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
  });

  it('runs as JavaScript without tsx, and the build is ignored by git', async () => {
    expect(output).not.toMatch(/dev dependency loaded/);
    expect(output).toContain('"level":30');
    const { stdout: status } = await run('git', ['status', '--porcelain', '--ignored=no', 'dist'], { cwd: root });
    expect(status).toBe('');
    const { stdout: ignored } = await run('git', ['check-ignore', 'dist/build-info.json'], { cwd: root });
    expect(ignored.trim()).toBe('dist/build-info.json');
  });
});

/** An `--import` module whose resolve hook refuses the given packages (the devDependencies). */
function denyDevDependencies(names: string[]): string {
  const hooks = `
const denied = new Set(${JSON.stringify(names)});
export async function resolve(specifier, context, next) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (denied.has(name)) throw new Error('dev dependency loaded in production: ' + specifier);
  return next(specifier, context);
}`;
  return `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hooks)}));\n`;
}
