import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '../../engine/contracts/campaigns.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import { TokenService } from '../../gateway/auth.js';
import { screenshot, VIEWPORTS } from '../helpers/browser.js';
import {
  activate,
  cards,
  identity,
  type PageIdentity,
  pageNow,
  recorded,
  renderAfter,
  WidgetStack,
} from '../helpers/browser-widget-e2e.js';
import { http } from '../helpers/clients.js';
import { waitForValue } from '../helpers/wait-for.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * The drop-in widget in headless Chromium against real processes (engine and gateway apart, real
 * NATS and Redis, demo catalog), embedded on a page of another origin: issue 7's "a visitor clicks
 * a product and the widget's list changes within one second", "the widget survives the gateway
 * being restarted", and an expired visitor token renewed; then a promotion shown as the widget's
 * toast. One stack serves the file: the widget's tests come first (they count every impression the
 * engine saw), each page in a browser context of its own.
 */
const secret = 'e2e-secret-widget';
const stack = new WidgetStack(secret);
beforeAll(() => stack.start(), 180_000);
afterAll(() => stack.stop());

describe('browser: the widget', () => {
  let visitorPage: Page;
  let visitorErrors: string[];

  it('a visitor clicks a product in the strip and its list changes; clicks are tracked once, shown cards as impressions, keyboard too', async () => {
    ({ page: visitorPage, errors: visitorErrors } = await stack.open());
    const page = visitorPage;
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    await waitForValue(
      'the first list',
      async () => (await recorded(page)).renders.length,
      (n) => n > 0,
      stack.waiting,
    );
    expect(await cards(page).count()).toBeGreaterThan(1);
    const first = cards(page).first();
    await expect(first.locator('.title').textContent()).resolves.toMatch(/\S/);
    await expect(first.locator('.price').textContent()).resolves.toMatch(/\$\d/);
    expect(await page.locator('pulse-recommendations h2').textContent()).toBe('Recommended for you');
    const me = await identity(page);
    expect(me.role).toBe('visitor');
    expect(await page.evaluate<string>('Pulse.version')).toBe(packageVersion);
    // Bad options are refused with a message naming them.
    expect(await page.evaluate<string>('Pulse.mount({ k: 0, currency: "dollars" }).catch((e) => e.message)')).toBe(
      'pulse widget: k must be an integer from 1 to 100, got 0; currency must be an ISO 4217 code like USD, got dollars',
    );
    expect(await page.evaluate<string>('Pulse.mount({ target: "#nowhere" }).catch((e) => e.message)')).toBe(
      'pulse widget: target #nowhere matches no element',
    );

    const { at, event: tracked, before } = await activate(page, () => cards(page).first().click(), stack.waiting);
    expect(tracked).toEqual({ id: expect.stringMatching(/^w-[0-9a-f]{24}$/), type: 'click', itemId: before.items[0] });
    const after = await waitForValue(
      'the render the click caused',
      () => recorded(page),
      (r) => r.renders.some((x) => x.cause === tracked.id),
      { ...stack.waiting, timeoutMs: 5000 },
    );
    const render = after.renders.find((x) => x.cause === tracked.id)!;
    const latencyMs = render.at - at;
    console.log(`widget list changed ${latencyMs.toFixed(0)} ms after the click (DOM data-version ${before.version} -> ${render.version})`);
    expect(render.items).not.toEqual(before.items);

    // Keyboard: Tab-reachable buttons, Enter activates one and tracks a click of it.
    const keyed = await activate(
      page,
      async () => {
        await cards(page).nth(1).focus();
        await page.keyboard.press('Enter');
      },
      stack.waiting,
    );
    expect(keyed.event).toMatchObject({ type: 'click', itemId: keyed.before.items[1] });

    // Impressions: cards seen for a second are reported by list (its id, their positions), each card
    // once per list; a card seen is never a view (the page opened no product).
    const settled = await waitForValue(
      'impressions of the shown cards',
      () => recorded(page),
      (r) => r.tracked.some((t) => t.event.type === 'impression'),
      { ...stack.waiting, timeoutMs: 10_000 },
    );
    const impressions = settled.tracked.filter((t) => t.event.type === 'impression').map((t) => t.event);
    for (const listId of new Set(impressions.map((event) => event.listId))) {
      expect(listId).toMatch(/^l-[0-9a-f]{24}$/);
      const shown = impressions.filter((event) => event.listId === listId).flatMap((event) => event.items!);
      expect(new Set(shown.map((item) => item.itemId)).size).toBe(shown.length);
      expect(shown.every((item) => Number.isInteger(item.position) && item.position >= 0 && item.position < 6)).toBe(true);
    }
    expect(settled.tracked.filter((t) => t.event.type === 'view')).toEqual([]);
    // The engine counts the two clicks exactly once and every impression sent as an impression, never as a view (polled until both sides agree).
    const marketer = await new TokenService(secret).sign({ sub: 'marketer-impressions', role: 'marketing' }, 3600);
    const [sent, counted, counts] = await waitForValue(
      'the engine counting what the widget sent',
      async () =>
        [
          (await recorded(page)).tracked.filter((t) => t.event.type === 'impression').length,
          (
            await http<{ counters: { total: { events: Record<string, number> } } }>(stack.gatewayUrl, 'GET', '/v1/analytics/overview', {
              token: marketer,
            })
          ).body.counters.total.events.impression ?? 0,
          await stack.eventsByType(me.token, me.userId),
        ] as const,
      ([n, i, c]) => i === n && (c.click ?? 0) === 2,
      stack.waiting,
    );
    expect(counts).toEqual({ click: 2 });
    console.log(
      `tracked ${sent} impression events (${counted} counted by the engine) and 2 clicks; the strip rendered ${(await recorded(page)).renders.length} times`,
    );
    await screenshot(page, 'widget-desktop');
    expect(visitorErrors).toEqual([]);
  }, 60_000);

  it('survives the gateway being restarted: reconnecting, then connected with the same visitor id, refreshed, and a click made while down still counts once', async () => {
    const page = visitorPage;
    const me = await identity(page);
    const clicksBefore = (await stack.eventsByType(me.token, me.userId)).click ?? 0;
    await stack.gateway.stop();
    await page.locator('pulse-recommendations[data-state="reconnecting"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('pulse-recommendations .state').textContent()).toBe('Reconnecting…');

    // A click while the gateway is down: the event waits for the connection instead of being lost.
    const { event: pending, before: down } = await activate(page, () => cards(page).last().click(), stack.waiting);
    expect(pending).toMatchObject({ type: 'click', itemId: down.items.at(-1) });
    const restartedAt = await pageNow(page);

    await stack.startGateway();
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 30_000 });
    const again = await identity(page);
    expect(again.userId).toBe(me.userId);
    expect(await page.evaluate<string>("JSON.parse(localStorage.getItem('pulse.identity')).userId")).toBe(me.userId);
    // The strip asked for a fresh list on reconnect, and the pending click reached the engine once and changed the list.
    const back = await waitForValue(
      'the refresh and the pending click',
      () => recorded(page),
      (r) => r.recommends.some((at) => at > restartedAt) && renderAfter(r, pending.id) !== undefined,
      stack.waiting,
    );
    expect(renderAfter(back, pending.id)!.items).not.toEqual(down.items);

    // And a new click after the restart changes the list too.
    const fresh = await activate(page, () => cards(page).first().click(), stack.waiting);
    const changed = await waitForValue(
      'the list after the new click',
      () => recorded(page),
      (r) => renderAfter(r, fresh.event.id) !== undefined,
      { ...stack.waiting, timeoutMs: 5000 },
    );
    const render = renderAfter(changed, fresh.event.id)!;
    expect(render.items).not.toEqual(fresh.before.items);
    console.log(`after the restart: list changed ${(render.at - fresh.at).toFixed(0)} ms after a click`);
    await waitForValue(
      'the clicks counted once each',
      async () => (await stack.eventsByType(me.token, me.userId)).click ?? 0,
      (n) => n >= clicksBefore + 2,
      stack.waiting,
    );
    await sleep(500);
    expect((await stack.eventsByType(me.token, me.userId)).click).toBe(clicksBefore + 2);
    expect(visitorErrors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(e))).toEqual([]);
  }, 90_000);

  it('an expired visitor token is replaced by a fresh visitor token, and the strip goes on', async () => {
    const short = await new TokenService(secret).sign({ sub: 'v_short_lived', role: 'visitor' }, 3);
    const { page, errors } = await stack.open(VIEWPORTS.desktop, short);
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect((await identity(page)).userId).toBe('v_short_lived');
    // The gateway ends the socket when the token expires; the client fetches a new visitor token and reconnects.
    const renewed = await waitForValue(
      'a renewed identity',
      () => identity(page),
      (me) => me.userId !== 'v_short_lived',
      { ...stack.waiting, timeoutMs: 15_000 },
    );
    expect(renewed).toMatchObject({ role: 'visitor', userId: expect.stringMatching(/^v_/) });
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect(await page.evaluate<string>("JSON.parse(localStorage.getItem('pulse.identity')).userId")).toBe(renewed.userId);
    const renewedAt = await pageNow(page);
    await waitForValue(
      'a list asked for the new visitor',
      () => recorded(page),
      (r) => r.recommends.some((at) => at > renewedAt - 2000),
      stack.waiting,
    );
    const click = await activate(page, () => cards(page).first().click(), stack.waiting);
    await waitForValue(
      'the list after a click as the new visitor',
      () => recorded(page),
      (r) => r.renders.some((x) => x.cause === click.event.id),
      { ...stack.waiting, timeoutMs: 5000 },
    );
    expect((await stack.eventsByType(renewed.token, renewed.userId)).click).toBe(1);
    expect(errors).toEqual([]);
  }, 60_000);
});

/**
 * The promotion toast: a campaign pushed to members shows each one's coupon code, copied,
 * dismissed, at phone width.
 */
describe('browser: the widget toast', () => {
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
