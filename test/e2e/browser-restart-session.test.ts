import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

type StoredIdentity = { userId: string; role: string; token: string };

/** The page's stored identity (localStorage `pulse.identity`, written by its PulseClient). */
const identityOf = async (page: Page): Promise<StoredIdentity> =>
  JSON.parse((await page.evaluate<string | null>("localStorage.getItem('pulse.identity')")) ?? '{}') as StoredIdentity;

/**
 * Issue 16, must-show 3: `npm start` in development without AUTH_SECRET keeps its generated
 * secret under DATA_DIR, so after a restart (same DATA_DIR, same address) the member who
 * registered in the storefront is still signed in: the page shows their panel and their token
 * still answers GET /v1/members/me.
 */
describe('storefront: a restart keeps a member signed in (development secret)', () => {
  let nats: TestServer;
  let redis: TestServer;
  let dataDir: string;
  let pulse: PulseProcess | undefined;
  let tb: TestBrowser;
  let options: SpawnPulseOptions;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    dataDir = await mkdtemp(join(tmpdir(), 'pulse-restart-'));
    // AUTH_SECRET empty = unset; NODE_ENV not production: the secret is generated and kept in DATA_DIR.
    options = { natsUrl: nats.url, redisUrl: redis.url, authSecret: '', env: { DATA_DIR: dataDir, NODE_ENV: 'development' } };
    pulse = await spawnPulse('start', options);
    tb = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await tb?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('registers, restarts Pulse on the same DATA_DIR, and the page still has the member', async () => {
    const first = pulse!;
    expect(first.output()).toContain(`generated a development secret, kept in ${join(dataDir, 'auth-secret')}`);
    expect((await stat(join(dataDir, 'auth-secret'))).mode & 0o777).toBe(0o600);

    const { page, errors } = await tb.open(`${first.baseUrl}/`, VIEWPORTS.desktop);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const email = `restart.${Date.now().toString(36)}@example.com`;
    await page.click('#show-register');
    await page.fill('#register-name', 'Rhea Restart');
    await page.fill('#register-email', email);
    await page.fill('#register-password', 'store-password-1');
    await page.click('#register-form button[type="submit"]');
    await page.waitForSelector('#member-panel:not([hidden])', { timeout: 15_000 });
    await expect.poll(() => page.textContent('#member-email'), { timeout: 15_000 }).toBe(email);
    const member = await identityOf(page);
    expect(member.role).toBe('member');

    // Restart on the same address and DATA_DIR (stop() keeps a DATA_DIR the test gave).
    await first.stop();
    pulse = await spawnPulse('start', { ...options, env: { ...options.env, PORT: String(first.port) } });

    const me = await http<{ email: string }>(pulse.baseUrl, 'GET', '/v1/members/me', { token: member.token });
    expect(me.status, JSON.stringify(me.body)).toBe(200);
    expect(me.body.email).toBe(email);
    expect(pulse.output()).toContain(`using the development secret kept in ${join(dataDir, 'auth-secret')}`);

    // What the old page asked while Pulse was down or starting (refused connections, 503s) is not
    // under test: only the reloaded page's errors count.
    errors.length = 0;
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await page.waitForSelector('#member-panel:not([hidden])', { timeout: 15_000 });
    await expect.poll(() => page.textContent('#member-email'), { timeout: 15_000 }).toBe(email);
    expect(await identityOf(page)).toMatchObject({ userId: member.userId, role: 'member' });
    expect(errors).toEqual([]);
  }, 180_000);
});
