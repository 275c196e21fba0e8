import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Coupon } from '../../engine/contracts/coupons.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { roundHalfAwayFromZero } from '../../engine/members/logic/points.js';
import { TokenService } from '../../gateway/auth.js';
import { launchBrowser, screenshot, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

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
/** What has the keyboard: the reward button's id, the result line, or another element's tag. */
const focused = (page: Page) =>
  page.evaluate<string>(
    "(() => { const a = document.activeElement; return a?.dataset?.rewardId ? 'reward:' + a.dataset.rewardId : a?.id || a?.tagName || ''; })()",
  );
const redeemButton = (rewardId: string) => `#member-rewards button[data-reward-id="${rewardId}"]`;

/**
 * Issue 16, rewards in the storefront's member panel, in headless Chromium against `npm start` on
 * real NATS and Redis: a member earns points through a shop order (`POST /v1/orders` with a shop
 * token), sees the rewards with their point cost (Redeem enabled only while the balance covers
 * one), redeems one with the keyboard: the coupon appears in the panel's coupons, the balance
 * drops by the reward's points, the result is in the live region. Points spent meanwhile on
 * another device make the next click a refusal in words, with the engine's balance. At 390 px the
 * panel holds and nothing scrolls sideways.
 */
describe('storefront rewards in the member panel', () => {
  const secret = 'e2e-secret-browser-rewards';
  const rewards = '[{"rewardId":"r5","points":500,"value":5,"ttlDays":90},{"rewardId":"r50","points":5000,"value":50,"ttlDays":30}]';
  const env = { POINTS_PER_CURRENCY_REGULAR: '3', TIER_VIP_POINTS: '50000', TIER_ENTERPRISE_POINTS: '100000', REWARDS: rewards };
  const rate = 3;
  const email = `rewards.${Date.now().toString(36)}@example.com`;
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let tb: TestBrowser;
  let page: Page;
  let errors: string[];
  let shop: string;
  let visitorToken: string;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret, env });
    shop = await new TokenService(secret).sign({ sub: 'shop-rewards', role: 'shop' }, 3600);
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

  it('redeems a reward with the points of a shop order: the coupon shows, the balance drops, a refusal is worded', async () => {
    await page.click('#show-register');
    await page.fill('#register-name', 'Sam');
    await page.fill('#register-email', email);
    await page.fill('#register-password', 'rewards-password-1');
    await page.click('#register-form button[type="submit"]');
    await page.waitForSelector('#member-panel:not([hidden]) #member-points[data-value="0"]', { timeout: 15_000 });
    const member = JSON.parse((await page.evaluate<string | null>("localStorage.getItem('pulse.identity')")) ?? '{}') as {
      token: string;
      userId: string;
    };

    // Both rewards listed with their cost, cheapest first; with 0 points neither can be redeemed.
    await page.waitForSelector(redeemButton('r50'));
    expect(await page.locator('#member-rewards li.reward').allTextContents()).toEqual([
      expect.stringContaining('$5.00 coupon500 points · valid 90 days'),
      expect.stringContaining('$50.00 coupon5,000 points · valid 30 days'),
    ]);
    expect(await page.isDisabled(redeemButton('r5'))).toBe(true);
    expect(await page.textContent('#member-rewards [data-need="r5"]')).toBe('You need 500 more points.');
    expect(await page.getAttribute(redeemButton('r5'), 'aria-label')).toBe('Redeem 500 points for a $5.00 coupon');
    const describedBy = (await page.getAttribute(redeemButton('r5'), 'aria-describedby')) ?? '';
    expect(await page.textContent(`#${describedBy}`)).toBe('You need 500 more points.');
    expect([await page.getAttribute('#reward-note', 'role'), await page.getAttribute('#reward-note', 'aria-live')]).toEqual([
      'status',
      'polite',
    ]);

    // A shop order worth between 1,000 and 1,499 points: enough for two r5, not for r50.
    const shown = (await http<{ items: Item[] }>(pulse.baseUrl, 'GET', '/v1/items?limit=48', { token: member.token })).body.items;
    const item = shown.find((i) => i.inStock !== false && i.price >= 10 && i.price * rate <= 400)!;
    const quantity = Math.ceil(1000 / (item.price * rate));
    const earned = roundHalfAwayFromZero(((Math.round(item.price * 100) * quantity) / 100) * rate);
    expect(earned).toBeGreaterThanOrEqual(1000);
    expect(earned).toBeLessThan(1500);
    const order = await http(pulse.baseUrl, 'POST', '/v1/orders', {
      token: shop,
      body: {
        orderId: `rw-${Date.now()}`,
        userId: member.userId,
        status: 'paid',
        lines: [{ itemId: item.itemId, quantity, price: item.price }],
      },
    });
    expect(order.status).toBe(202);
    const balance = async () =>
      (await http<{ points: number }>(pulse.baseUrl, 'GET', '/v1/members/me', { token: member.token })).body.points;
    await expect.poll(balance, { timeout: 20_000, interval: 200 }).toBe(earned);
    await page.reload();
    await page.waitForSelector(`#member-points[data-value="${earned}"]`, { timeout: 15_000 });
    await page.waitForSelector(`${redeemButton('r5')}:not([disabled])`);
    expect(await page.isDisabled(redeemButton('r50'))).toBe(true);
    expect(await page.textContent('#member-rewards [data-need="r50"]')).toBe(
      `You need ${(5000 - earned).toLocaleString('en-US')} more points.`,
    );

    // Redeem with the keyboard: the result is announced, the coupon is listed, the balance drops by 500.
    await page.focus(redeemButton('r5'));
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#reward-note'), { timeout: 15_000 }).toContain('Redeemed 500 points: coupon ');
    const { coupons } = (await http<{ coupons: Coupon[] }>(pulse.baseUrl, 'GET', '/v1/members/me/coupons', { token: member.token })).body;
    const coupon = coupons.find((c) => c.source.type === 'reward' && c.source.id === 'r5')!;
    expect(coupon).toMatchObject({ kind: 'value', value: 5 });
    expect(await page.textContent('#reward-note')).toContain(`coupon ${coupon.code} ($5.00 off) is in your coupons, valid until`);
    expect(await page.textContent('#reward-note')).toContain(`Your balance is ${(earned - 500).toLocaleString('en-US')} points.`);
    expect(await page.getAttribute('#reward-note', 'data-kind')).toBe('success');
    await page.waitForSelector(`#member-points[data-value="${earned - 500}"]`, { timeout: 10_000 });
    await page.waitForSelector(`#member-coupons [data-coupon="${coupon.code}"]`, { timeout: 10_000 });
    expect(await page.textContent(`#member-coupons [data-coupon="${coupon.code}"]`)).toContain('$5.00 off · valid until');
    expect(await balance()).toBe(earned - 500);
    // Still enough for another: the keyboard stays on the button.
    expect(await page.isDisabled(redeemButton('r5'))).toBe(false);
    expect(await focused(page)).toBe('reward:r5');
    await screenshot(page, 'store-rewards');

    // Points spent meanwhile on another device: the page still offers r5, the engine refuses it, in words.
    const elsewhere = await http(pulse.baseUrl, 'POST', '/v1/members/me/rewards', {
      token: member.token,
      body: { rewardId: 'r5', requestId: 'rw-other-device' },
    });
    expect(elsewhere.status).toBe(201);
    const left = earned - 1000;
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.textContent('#reward-note'), { timeout: 15_000 })
      .toBe(`Not enough points for the $5.00 coupon: it costs 500 points and you have ${left}. Nothing was deducted.`);
    expect(await page.getAttribute('#reward-note', 'data-kind')).toBe('error');
    await page.waitForSelector(`#member-points[data-value="${left}"]`, { timeout: 10_000 });
    expect(await page.isDisabled(redeemButton('r5'))).toBe(true);
    expect(await focused(page)).toBe('reward-note');
    expect(await balance()).toBe(left);
    expect(errors.filter((e) => !/status of 409/.test(e))).toEqual([]);
  }, 150_000);

  it('at 390 px the rewards fit the panel and nothing scrolls sideways', async () => {
    const identity = await page.evaluate<string | null>("localStorage.getItem('pulse.identity')");
    const phone = await tb.open('about:blank', VIEWPORTS.phone);
    await phone.context.addInitScript(`localStorage.setItem('pulse.identity', ${JSON.stringify(identity)})`);
    await phone.page.goto(`${pulse.baseUrl}/`);
    await phone.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await phone.page.waitForSelector(`#member-panel:not([hidden]) ${redeemButton('r50')}`, { timeout: 15_000 });
    await phone.page.locator('#member-rewards').scrollIntoViewIfNeeded();
    const { scrollWidth, innerWidth } = await pageWidth(phone.page);
    expect(innerWidth).toBe(VIEWPORTS.phone.width);
    expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
    expect(await panelOverflow(phone.page)).toBeLessThanOrEqual(0);
    expect(await phone.page.isVisible(redeemButton('r5'))).toBe(true);
    await screenshot(phone.page, 'store-rewards-phone');
    expect(phone.errors).toEqual([]);
    await phone.context.close();
  }, 60_000);
});
