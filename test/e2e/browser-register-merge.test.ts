import { Redis } from 'ioredis';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShopperProfile } from '../../engine/contracts/analytics.js';
import { launchBrowser, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait-for.js';

type StoredIdentity = { userId: string; role: string; token: string };
type History = { events: Array<{ itemId: string; type: string }> };

/** The page's stored identity (localStorage `pulse.identity`, written by its PulseClient). */
const identityOf = async (page: Page): Promise<StoredIdentity> =>
  JSON.parse((await page.evaluate<string | null>("localStorage.getItem('pulse.identity')")) ?? '{}') as StoredIdentity;

/**
 * Issue 14 in the demo storefront (headless Chromium, `npm start` on real NATS and Redis): a
 * visitor opens a product and puts two in the cart, then registers through the page's form; the
 * page's client sends the visitor's token with the registration, so the new member's history and
 * cart hold what the visitor did, once.
 */
describe('storefront: registering keeps what the visitor did', () => {
  const secret = 'e2e-secret-browser-register';
  let nats: TestServer;
  let redisServer: TestServer;
  let redis: Redis;
  let pulse: PulseProcess;
  let tb: TestBrowser;

  const counters = (userId: string) => redis.hgetall(`u:{${userId}}:st`);
  const waiting = { timeoutMs: 15_000, output: () => pulse.output().slice(-3000) };

  beforeAll(async () => {
    [nats, redisServer] = await Promise.all([startNats(), startRedis()]);
    redis = new Redis(redisServer.url);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redisServer.url, authSecret: secret });
    tb = await launchBrowser();
  }, 90_000);

  afterAll(async () => {
    await tb?.close();
    await pulse?.stop();
    redis?.disconnect();
    await Promise.all([nats?.stop(), redisServer?.stop()]);
  });

  it('registers through the form and the member holds the visitor’s view and cart', async () => {
    const { page, errors } = await tb.open(`${pulse.baseUrl}/`, VIEWPORTS.desktop);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    const guest = await identityOf(page);
    expect(guest.role).toBe('visitor');

    // Open an in-stock product (a `view`) and put two in the cart (an `add_to_cart`).
    const card = page.locator('#products li[data-item-id]:has(.card-foot button:not([disabled]))').first();
    await card.waitFor({ timeout: 30_000 });
    const itemId = (await card.getAttribute('data-item-id'))!;
    await card.locator('.card-open').click();
    await page.waitForSelector('#product-dialog[open]');
    await page.fill('#product-quantity', '2');
    await page.click('#product-dialog .buy-form button[type="submit"]');
    await expect.poll(() => page.textContent('#cart-count')).toBe('2');
    await page.keyboard.press('Escape');
    // Both applied to the visitor before the registration (the merge folds what is applied).
    await waitFor(
      'the visitor events',
      async () => {
        const st = await counters(guest.userId);
        return Number(st['c:view'] ?? 0) >= 1 && Number(st['c:add_to_cart'] ?? 0) >= 1;
      },
      waiting,
    );
    const visitorCart = (await http<ShopperProfile>(pulse.baseUrl, 'GET', `/v1/users/${guest.userId}/profile`, { token: guest.token })).body
      .cart;
    expect(visitorCart).toEqual({ lines: 1, quantity: 2 });

    // What the page sends on register: the visitor's own token, no visitor id in the body.
    const registrations: Array<{ authorization: string | undefined; body: unknown }> = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/v1/members')
        registrations.push({ authorization: request.headers().authorization, body: request.postDataJSON() });
    });
    const email = `wren.${Date.now().toString(36)}@example.com`;
    await page.click('#show-register');
    await page.fill('#register-name', 'Wren Shopper');
    await page.fill('#register-email', email);
    await page.fill('#register-password', 'store-password-1');
    await page.click('#register-form button[type="submit"]');
    await page.waitForSelector('#member-panel:not([hidden])', { timeout: 15_000 });
    expect(registrations).toEqual([
      { authorization: `Bearer ${guest.token}`, body: { email, password: 'store-password-1', name: 'Wren Shopper' } },
    ]);

    const member = await identityOf(page);
    expect(member.role).toBe('member');
    await waitFor('the merge', async () => (await counters(member.userId))['c:merge'] === '1', waiting);
    const history = await http<History>(pulse.baseUrl, 'GET', '/v1/members/me/history?limit=200', { token: member.token });
    const mine = history.body.events.filter((e) => e.itemId === itemId).map((e) => e.type);
    expect(mine.sort()).toEqual(['add_to_cart', 'view']);
    const memberCart = (await http<ShopperProfile>(pulse.baseUrl, 'GET', `/v1/users/${member.userId}/profile`, { token: member.token }))
      .body.cart;
    expect(memberCart).toEqual(visitorCart);
    expect(errors).toEqual([]);
  }, 120_000);
});
