import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import type { CampaignStats } from '../../engine/contracts/campaigns.js';
import { discountedLines, linesNetTotal } from '../../engine/contracts/coupon-prices.js';
import type { Coupon } from '../../engine/contracts/coupons.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { roundHalfAwayFromZero } from '../../engine/members/logic/points.js';
import { TokenService } from '../../gateway/auth.js';
import { screenshot, VIEWPORTS } from '../helpers/browser.js';
import { http } from '../helpers/clients.js';
import { identityOf, openAsPhone, pageWidth, panelOverflow, registerInStore, StoreStack } from '../helpers/store-stack.js';

const usd = (amount: number) => amount.toLocaleString('en-US', { style: 'currency', currency: 'USD' });
/** What has the keyboard: the reward button's id, the result line, or another element's tag (browser code as a string). */
const focused = (page: Page) =>
  page.evaluate<string>(
    "(() => { const a = document.activeElement; return a?.dataset?.rewardId ? 'reward:' + a.dataset.rewardId : a?.id || a?.tagName || ''; })()",
  );
const redeemButton = (rewardId: string) => `#member-rewards button[data-reward-id="${rewardId}"]`;
/** The member panel of a member who just registered. */
const NEW_MEMBER = '#member-panel:not([hidden]) #member-points[data-value="0"]';

/**
 * Issue 16, a member's offers in the storefront, in headless Chromium against one `npm start` on
 * real NATS and Redis: a coupon from a campaign applied at checkout, and rewards bought with points.
 * Each describe registers its own member in its own browser contexts. The tiers are out of reach
 * (VIP at 50,000 points): the points of these orders stay at the regular rate.
 */
const rewards = '[{"rewardId":"r5","points":500,"value":5,"ttlDays":90},{"rewardId":"r50","points":5000,"value":50,"ttlDays":30}]';
const stack = new StoreStack('e2e-secret-browser-offers', {
  POINTS_PER_CURRENCY_REGULAR: '3',
  TIER_VIP_POINTS: '50000',
  TIER_ENTERPRISE_POINTS: '100000',
  REWARDS: rewards,
});
beforeAll(() => stack.start(), 120_000);
afterAll(() => stack.stop());

/**
 * A member with a 34-character email (the panel holds it, nothing scrolls sideways at 390 px)
 * receives a `now` campaign's percent coupon, applies it in the cart drawer and checks out: the
 * total shown drops, the points are the net total × the tier's rate, the campaign's stats read
 * redeemed 1, a retried checkout redeems nothing more, and a second apply is refused in words.
 * Then the console: a `#token=` link pasted into the open page signs in, and an
 * `invalid_schedule` shows dates, not epoch milliseconds.
 */
describe('storefront coupon at checkout', () => {
  const rate = loadEngineConfig({ ...process.env, ...stack.env }).pointsPerCurrencyRegular;
  // 34 characters: the local part padded to 22 before "@example.com" (12).
  const local = `robin.${Date.now().toString(36)}`.padEnd(22, 'x').slice(0, 22);
  const email = `${local}@example.com`;
  let page: Page;
  let errors: string[];
  let marketing: string;

  beforeAll(async () => {
    marketing = await new TokenService(stack.secret).sign({ sub: 'marketer-1', role: 'marketing' }, 3600);
    ({ page, errors } = await stack.openStore());
  });
  afterAll(() => stack.closeContexts());

  it('applies a campaign coupon in the cart: net total, net points, redeemed once, then refused', async () => {
    expect(email).toHaveLength(34);
    await registerInStore(page, { name: 'Robin', email, password: 'coupon-password-1' }, NEW_MEMBER);
    expect(await page.textContent('#member-email')).toBe(email);
    expect(await panelOverflow(page)).toBeLessThanOrEqual(0);
    const member = await identityOf(page);

    // A `now` campaign for every tier with a 20% coupon: the signed-in member gets it (panel and API).
    const created = await http<{ campaignId: string }>(stack.baseUrl, 'POST', '/v1/campaigns', {
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
        const { coupons } = (await http<{ coupons: Coupon[] }>(stack.baseUrl, 'GET', '/v1/members/me/coupons', { token: member.token }))
          .body;
        coupon = coupons.find((c) => c.source.id === campaignId);
        expect(coupon).toBeDefined();
      },
      { timeout: 20_000, interval: 200 },
    );
    await expect.poll(() => page.textContent('#member-coupons'), { timeout: 15_000 }).toContain(coupon!.code);

    // Two of an in-stock item into the cart.
    const shown = (await http<{ items: Item[] }>(stack.baseUrl, 'GET', '/v1/items?limit=24', { token: member.token })).body.items;
    const item = shown.find((i) => i.inStock !== false && i.price >= 10)!;
    await page.click(`#products li[data-item-id="${item.itemId}"] .card-open`);
    await page.waitForSelector('#product-dialog[open]');
    // "Similar products" arrive after the dialog opened; "Add to cart" must not move meanwhile
    // (a centred dialog grew and moved it from under the pointer: the press opened a similar item).
    const buyTop = () => page.$eval('#product-dialog .buy-form button[type="submit"]', (b) => b.getBoundingClientRect().top);
    const before = await buyTop();
    await expect.poll(() => page.textContent('#similar-list'), { timeout: 15_000 }).not.toContain('Loading');
    expect(await buyTop()).toBe(before);
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
      (await http<CampaignStats>(stack.baseUrl, 'GET', `/v1/campaigns/${campaignId}/stats`, { token: marketing })).body;
    await expect.poll(async () => (await stats()).redeemed, { timeout: 10_000 }).toBe(1);

    // The same checkout again (a lost answer): the same order, not refused, nothing redeemed twice.
    const retry = await http<{ duplicate?: boolean; total: number }>(stack.baseUrl, 'POST', '/demo/checkout', {
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
    const phone = await openAsPhone(stack, page);
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
    const { page: console_, errors: consoleErrors, context } = await stack.open('/console');
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

/**
 * A member earns points through a shop order (`POST /v1/orders` with a shop token), sees the
 * rewards with their point cost (Redeem enabled only while the balance covers one), redeems one
 * with the keyboard: the coupon appears in the panel's coupons, the balance drops by the reward's
 * points, the result is in the live region. Points spent meanwhile on another device make the next
 * click a refusal in words, with the engine's balance. At 390 px the panel holds and nothing
 * scrolls sideways.
 */
describe('storefront rewards in the member panel', () => {
  const rate = 3;
  const email = `rewards.${Date.now().toString(36)}@example.com`;
  let page: Page;
  let errors: string[];
  let shop: string;

  beforeAll(async () => {
    shop = await new TokenService(stack.secret).sign({ sub: 'shop-rewards', role: 'shop' }, 3600);
    ({ page, errors } = await stack.openStore());
  });
  afterAll(() => stack.closeContexts());

  it('redeems a reward with the points of a shop order: the coupon shows, the balance drops, a refusal is worded', async () => {
    await registerInStore(page, { name: 'Sam', email, password: 'rewards-password-1' }, NEW_MEMBER);
    const member = await identityOf(page);

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
    const shown = (await http<{ items: Item[] }>(stack.baseUrl, 'GET', '/v1/items?limit=48', { token: member.token })).body.items;
    const item = shown.find((i) => i.inStock !== false && i.price >= 10 && i.price * rate <= 400)!;
    const quantity = Math.ceil(1000 / (item.price * rate));
    const earned = roundHalfAwayFromZero(((Math.round(item.price * 100) * quantity) / 100) * rate);
    expect(earned).toBeGreaterThanOrEqual(1000);
    expect(earned).toBeLessThan(1500);
    const order = await http(stack.baseUrl, 'POST', '/v1/orders', {
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
      (await http<{ points: number }>(stack.baseUrl, 'GET', '/v1/members/me', { token: member.token })).body.points;
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
    const { coupons } = (await http<{ coupons: Coupon[] }>(stack.baseUrl, 'GET', '/v1/members/me/coupons', { token: member.token })).body;
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
    const elsewhere = await http(stack.baseUrl, 'POST', '/v1/members/me/rewards', {
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
    const phone = await openAsPhone(stack, page);
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
