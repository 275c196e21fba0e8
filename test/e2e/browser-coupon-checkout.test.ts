import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { loadEngineConfig } from '../../engine/config.js';
import type { CampaignStats } from '../../engine/contracts/campaigns.js';
import { discountedLines, linesNetTotal } from '../../engine/contracts/coupon-prices.js';
import type { Coupon } from '../../engine/contracts/coupons.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { roundHalfAwayFromZero } from '../../engine/members/logic/points.js';
import { TokenService } from '../../gateway/auth.js';
import { launchBrowser, screenshot, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

const usd = (amount: number) => amount.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
// Browser-side code as strings: the tests' tsconfig has no DOM library.
const pageWidth = (page: Page) =>
  page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  );
/** How far the member panel's content reaches past the panel's right edge (0 when it fits). */
const panelOverflow = (page: Page) =>
  page.evaluate<number>(`(() => {
    const panel = document.getElementById('member-panel').getBoundingClientRect();
    let worst = 0;
    for (const el of document.querySelectorAll('#member-panel *')) worst = Math.max(worst, el.getBoundingClientRect().right - panel.right);
    return worst;
  })()`);

/**
 * Issue 16, "a storefront a shop would copy", in headless Chromium against `npm start` on real
 * NATS and Redis: a member with a 34-character email (the panel holds it, nothing scrolls
 * sideways at 390 px) receives a `now` campaign's percent coupon, applies it in the cart drawer
 * and checks out: the total shown drops, the points are the net total × the tier's rate, the
 * campaign's stats read redeemed 1, a retried checkout redeems nothing more, and a second apply
 * is refused in words. Then the console: a `#token=` link pasted into the open page signs in, and
 * an `invalid_schedule` shows dates, not epoch milliseconds.
 */
describe('storefront coupon at checkout', () => {
  const secret = 'e2e-secret-browser-coupon';
  const env = { POINTS_PER_CURRENCY_REGULAR: '3', TIER_VIP_POINTS: '50000', TIER_ENTERPRISE_POINTS: '100000' };
  const rate = loadEngineConfig({ ...process.env, ...env }).pointsPerCurrencyRegular;
  // 34 characters: the local part padded to 22 before "@example.com" (12).
  const local = `robin.${Date.now().toString(36)}`.padEnd(22, 'x').slice(0, 22);
  const email = `${local}@example.com`;
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let tb: TestBrowser;
  let page: Page;
  let errors: string[];
  let marketing: string;
  let visitorToken: string;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret, env });
    marketing = await new TokenService(secret).sign({ sub: 'marketer-1', role: 'marketing' }, 3600);
    visitorToken = (await visitor(pulse.baseUrl)).token;
    const visible = generateDemoCatalog().filter((item) => !item.minTier || item.minTier === 'regular').length;
    await vi.waitFor(
      async () =>
        expect(
          (await http<{ total: number }>(pulse.baseUrl, 'GET', '/v1/items?limit=1', { token: visitorToken })).body.total,
        ).toBeGreaterThanOrEqual(visible),
      { timeout: 60_000, interval: 200 },
    );
    tb = await launchBrowser();
    ({ page, errors } = await tb.open(`${pulse.baseUrl}/`, VIEWPORTS.desktop));
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await tb?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('applies a campaign coupon in the cart: net total, net points, redeemed once, then refused', async () => {
    expect(email).toHaveLength(34);
    await page.click('#show-register');
    await page.fill('#register-name', 'Robin');
    await page.fill('#register-email', email);
    await page.fill('#register-password', 'coupon-password-1');
    await page.click('#register-form button[type="submit"]');
    await page.waitForSelector('#member-panel:not([hidden]) #member-points[data-value="0"]', { timeout: 15_000 });
    expect(await page.textContent('#member-email')).toBe(email);
    expect(await panelOverflow(page)).toBeLessThanOrEqual(0);
    const member = JSON.parse((await page.evaluate<string | null>("localStorage.getItem('pulse.identity')")) ?? '{}') as { token: string };

    // A `now` campaign for every tier with a 20% coupon: the signed-in member gets it (panel and API).
    const created = await http<{ campaignId: string }>(pulse.baseUrl, 'POST', '/v1/campaigns', {
      token: marketing,
      body: {
        name: 'Coupon checkout',
        audience: { tiers: ['regular', 'vip', 'enterprise'] },
        trigger: { type: 'now' },
        offer: { title: '20% off', message: 'Twenty percent off your next order.', discountPercent: 20 },
      },
    });
    expect(created.status).toBe(201);
    const { campaignId } = created.body;
    let coupon: Coupon | undefined;
    await vi.waitFor(
      async () => {
        const { coupons } = (await http<{ coupons: Coupon[] }>(pulse.baseUrl, 'GET', '/v1/members/me/coupons', { token: member.token }))
          .body;
        coupon = coupons.find((c) => c.source.id === campaignId);
        expect(coupon).toBeDefined();
      },
      { timeout: 20_000, interval: 200 },
    );
    await expect.poll(() => page.textContent('#member-coupons'), { timeout: 15_000 }).toContain(coupon!.code);

    // Two of an in-stock item into the cart.
    const shown = (await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=24', { token: member.token })).body.items;
    const item = shown.find((i) => i.inStock !== false && i.price >= 10)!;
    await page.click(`#products li[data-item-id="${item.itemId}"] .card-open`);
    await page.waitForSelector('#product-dialog[open]');
    await page.fill('#product-quantity', '2');
    await page.click('#product-dialog .buy-form button[type="submit"]');
    await expect.poll(() => page.textContent('#cart-count')).toBe('2');
    await page.keyboard.press('Escape');
    await page.click('#cart-button');
    await page.waitForSelector('#cart-dialog[open]');
    const gross = Math.round(item.price * 200) / 100;
    expect(await page.textContent('#cart-total')).toBe(usd(gross));

    // Apply the code as typed (lower case, spaces): the drawer shows the net total.
    const net = linesNetTotal(discountedLines([{ itemId: item.itemId, quantity: 2, price: item.price }], coupon!));
    expect(net).toBeLessThan(gross);
    await page.fill('#coupon-code', ` ${coupon!.code.toLowerCase()} `);
    await page.click('#coupon-form button[type="submit"]');
    await page.waitForSelector('#coupon-form[data-state="applied"]');
    expect(await page.textContent('#coupon-note')).toContain('20% off applied');
    expect(await page.textContent('#cart-total')).toBe(usd(net));
    expect(await page.textContent('#cart-discount')).toBe(`−${usd(Math.round((gross - net) * 100) / 100)}`);

    const checkouts: unknown[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/demo/checkout') checkouts.push(request.postDataJSON());
    });
    await page.click('#checkout');
    await expect.poll(() => page.textContent('#cart-note'), { timeout: 20_000 }).toContain('Thank you');
    expect(await page.textContent('#cart-note')).toContain(
      `(${usd(net)}, ${usd(Math.round((gross - net) * 100) / 100)} saved with 20% off)`,
    );
    expect(checkouts).toEqual([expect.objectContaining({ couponCode: coupon!.code, lines: [{ itemId: item.itemId, quantity: 2 }] })]);

    // Points on the net total, exactly; the campaign counts one redemption.
    const points = roundHalfAwayFromZero(net * rate);
    await page.waitForSelector(`#member-points[data-value="${points}"]`, { timeout: 20_000 });
    const stats = async () =>
      (await http<CampaignStats>(pulse.baseUrl, 'GET', `/v1/campaigns/${campaignId}/stats`, { token: marketing })).body;
    await expect.poll(async () => (await stats()).redeemed, { timeout: 10_000 }).toBe(1);

    // The same checkout again (a lost answer): the same order, not refused, nothing redeemed twice.
    const retry = await http<{ duplicate?: boolean; total: number }>(pulse.baseUrl, 'POST', '/demo/checkout', {
      token: member.token,
      body: checkouts[0],
    });
    expect([retry.status, retry.body]).toMatchObject([200, { duplicate: true, total: net }]);
    expect((await stats()).redeemed).toBe(1);

    // The coupon is used: applying it again is refused in words, the total stays gross.
    await page.keyboard.press('Escape');
    await page.click(`#products li[data-item-id="${item.itemId}"] .card-open`);
    await page.waitForSelector('#product-dialog[open]');
    await page.click('#product-dialog .buy-form button[type="submit"]');
    await page.keyboard.press('Escape');
    await page.click('#cart-button');
    await page.waitForSelector('#cart-dialog[open]');
    await page.fill('#coupon-code', coupon!.code);
    await page.click('#coupon-form button[type="submit"]');
    await page.waitForSelector('#coupon-form[data-state="refused"]');
    expect(await page.textContent('#coupon-note')).toMatch(/^This coupon was already used on .+ \(order web-[A-Za-z0-9_-]{22}\)\.$/);
    expect(await page.getAttribute('#coupon-code', 'aria-invalid')).toBe('true');
    expect(await page.textContent('#cart-total')).toBe(usd(item.price));
    await screenshot(page, 'store-coupon');
    await page.keyboard.press('Escape');
    expect(errors).toEqual([]);
    expect(await page.getAttribute('#member-points', 'data-value')).toBe(String(points));
  }, 150_000);

  it('at 390 px the member panel holds the 34-character email and nothing scrolls sideways', async () => {
    const identity = await page.evaluate<string | null>("localStorage.getItem('pulse.identity')");
    const phone = await tb.open('about:blank', VIEWPORTS.phone);
    await phone.context.addInitScript(`localStorage.setItem('pulse.identity', ${JSON.stringify(identity)})`);
    await phone.page.goto(`${pulse.baseUrl}/`);
    await phone.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await phone.page.waitForSelector('#member-panel:not([hidden]) #member-points[data-value]', { timeout: 15_000 });
    expect(await phone.page.textContent('#member-email')).toBe(email);
    const { scrollWidth, innerWidth } = await pageWidth(phone.page);
    expect(innerWidth).toBe(VIEWPORTS.phone.width);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await panelOverflow(phone.page)).toBeLessThanOrEqual(0);
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  }, 60_000);

  it('the console signs in from a #token= link pasted into the open page and shows schedule errors as dates', async () => {
    const { page: console_, errors: consoleErrors, context } = await tb.open(`${pulse.baseUrl}/console`);
    await console_.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
    // Pasting the link into the address bar of the open page changes only its hash: no reload.
    await console_.evaluate(`location.hash = ${JSON.stringify(`token=${marketing}`)}`);
    await console_.locator('#app').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await console_.locator('#whoami-text').textContent()).toBe('Signed in as marketer-1 (marketing)');
    expect(await console_.evaluate('location.hash')).toBe('');

    await console_.getByLabel('Name', { exact: true }).fill('Past sale');
    await console_.getByRole('checkbox', { name: 'Regular' }).check();
    await console_.getByLabel('Title').fill('Too late');
    await console_.getByLabel('Message').fill('This one ended long ago.');
    await console_.getByLabel('Ends (optional, local time)').fill('2020-01-01T10:00');
    await console_.getByRole('button', { name: 'Launch campaign' }).click();
    const box = console_.locator('#form-errors');
    await box.locator('[data-code="invalid_schedule"]').waitFor({ timeout: 10_000 });
    const text = (await box.textContent()) ?? '';
    expect(text).toMatch(/20(19|20)-\d\d-\d\dT\d\d:\d\d/);
    expect(text).not.toMatch(/\d{12,}/);
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
    await context.close();
  }, 60_000);
});
