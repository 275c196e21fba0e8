import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '../../engine/contracts/campaigns.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import { TokenService } from '../../gateway/auth.js';
import { screenshot, VIEWPORTS } from '../helpers/browser.js';
import { identity, type PageIdentity, WidgetStack } from '../helpers/browser-widget-e2e.js';
import { http } from '../helpers/clients.js';
import { waitForValue } from '../helpers/wait-for.js';

/**
 * The drop-in widget's promotion toast in headless Chromium against real processes (engine and
 * gateway apart, real NATS and Redis, demo catalog), embedded on a page of another origin: a
 * campaign pushed to members shows each one's coupon code, copied, dismissed, at phone width.
 */
describe('browser: the widget toast', () => {
  const secret = 'e2e-secret-widget';
  const stack = new WidgetStack(secret);

  beforeAll(() => stack.start(), 180_000);
  afterAll(() => stack.stop());

  it("a promotion pushed to members shows the toast with each one's coupon code (registered in the widget, or given by data-token): copy, Escape, live region, phone width", async () => {
    const { context, page, errors } = await stack.open(VIEWPORTS.phone);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(stack.hostUrl).origin });
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    const email = `wanda.${Date.now().toString(36)}@example.com`;
    const wanda = await page.evaluate<PageIdentity>(
      `Pulse.ready.then((w) => w.client.register(${JSON.stringify(email)}, 'widget test password', 'Wanda'))`,
    );
    expect(wanda.role).toBe('member');
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    // A member whose token the shop minted (here: registered over REST) and put on the script tag: used, not stored.
    const given = (
      await http<{ memberId: string; token: string }>(stack.gatewayUrl, 'POST', '/v1/members', {
        body: { email: `gus.${Date.now().toString(36)}@example.com`, password: 'widget test password', name: 'Gus' },
      })
    ).body;
    const other = await stack.open(VIEWPORTS.desktop, given.token);
    await other.page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect(await identity(other.page)).toMatchObject({ userId: given.memberId, role: 'member' });
    expect(await other.page.evaluate<string | null>("localStorage.getItem('pulse.identity')")).toBeNull();
    await sleep(300); // the connect claims (empty inboxes) first

    const marketing = await new TokenService(secret).sign({ sub: 'marketer-widget', role: 'marketing' }, 3600);
    const offer = { title: 'Welcome to the club', message: '15% off your next order', discountPercent: 15 };
    const res = await http<Campaign>(stack.gatewayUrl, 'POST', '/v1/campaigns', {
      token: marketing,
      body: { name: 'widget toast', audience: { tiers: ['regular'] }, trigger: { type: 'now' }, offer },
    });
    expect(res.status).toBe(201);
    const toastOf = (p: Page) => p.locator(`pulse-toast [role="status"][data-campaign-id="${res.body.campaignId}"]`);
    const codes: string[] = [];
    for (const [p, token] of [
      [page, wanda.token],
      [other.page, given.token],
    ] as const) {
      const toast = toastOf(p);
      await toast.waitFor({ timeout: 10_000 });
      expect(await toast.getAttribute('aria-live')).toBe('polite');
      expect(await toast.locator('h2').textContent()).toBe(offer.title);
      await expect(toast.textContent()).resolves.toContain(offer.message);
      const code = (await toast.locator('[data-coupon]').textContent())!;
      const coupons = await http<{ coupons: Coupon[] }>(stack.gatewayUrl, 'GET', '/v1/members/me/coupons', { token });
      expect(coupons.body.coupons.map((c) => c.code)).toEqual([code]);
      expect(coupons.body.coupons[0]).toMatchObject({ discountPercent: 15, source: { type: 'campaign', id: res.body.campaignId } });
      codes.push(code);
    }
    expect(codes[0]).not.toBe(codes[1]);

    // Phone width: nothing scrolls sideways; the toast fits.
    const toast = toastOf(page);
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    const box = (await toast.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(VIEWPORTS.phone.width);
    await screenshot(page, 'widget-phone-toast');

    await toast.getByRole('button', { name: /copy coupon code/i }).click();
    await waitForValue(
      'the copy confirmed',
      () => toast.getByRole('button', { name: /copy coupon code/i }).textContent(),
      (text) => text === 'Copied',
      { ...stack.waiting, timeoutMs: 3000 },
    );
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(codes[0]);
    await page.keyboard.press('Escape');
    await toast.waitFor({ state: 'detached', timeout: 2000 });
    // The other page's toast: keyboard only, Tab to its close button and Enter.
    await toastOf(other.page).getByRole('button', { name: 'Dismiss offer' }).focus();
    await other.page.keyboard.press('Enter');
    await toastOf(other.page).waitFor({ state: 'detached', timeout: 2000 });
    expect([...errors, ...other.errors]).toEqual([]);
  }, 60_000);
});
