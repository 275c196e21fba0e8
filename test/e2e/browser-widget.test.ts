import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Campaign } from '../../engine/contracts/campaigns.js';
import type { Coupon } from '../../engine/members/coupon-store.js';
import { TokenService } from '../../gateway/auth.js';
import { launchBrowser, screenshot, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { freePort, startNats, startRedis, type TestServer } from '../helpers/servers.js';

const packageVersion = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** What the host page records (see hostPage): renders of the strip, events the widget tracked, clicks on it. */
/**
 * The first list pushed because of `eventId` or a later event of the page: the engine ranks once
 * per user per batch, so a click sent together with the events after it is answered by one list
 * whose cause is the last of them.
 */
function renderAfter(r: Recorded, eventId: string): Recorded['renders'][number] | undefined {
  const from = r.tracked.findIndex((t) => t.event.id === eventId);
  const later = new Set([eventId, ...(from < 0 ? [] : r.tracked.slice(from).map((t) => t.event.id))]);
  return r.renders.find((x) => x.cause !== null && later.has(x.cause));
}

interface Recorded {
  /** Page times at which the widget asked for a list (`client.recommend`). */
  recommends: number[];
  renders: Array<{ at: number; version: number; cause: string | null; items: string[] }>;
  tracked: Array<{
    at: number;
    event: { id: string; type: string; itemId: string; listId?: string; items?: Array<{ itemId: string; position: number }> };
  }>;
  clicks: number[];
}

/**
 * A shop page on another origin than the gateway, embedding the widget with one script tag. Its
 * inline script only watches: it records every render of the strip (MutationObserver on the
 * list's data-version), every event the widget tracks, and the time of every click on the strip.
 */
function hostPage(gateway: string, token?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Another shop</title></head>
<body style="font-family:system-ui;margin:1rem">
<h1>Another shop</h1>
<p>This page is served from another origin; the strip below comes from one script tag.</p>
<div id="recs"></div>
<script>
window.__pulse = { recommends: [], renders: [], tracked: [], clicks: [] };
document.addEventListener('click', (e) => { if (e.target.localName === 'pulse-recommendations') __pulse.clicks.push(performance.now()); }, true);
window.addEventListener('DOMContentLoaded', () => Pulse.ready.then((w) => {
  w.on('track', (event) => __pulse.tracked.push({ at: performance.now(), event }));
  const recommend = w.client.recommend.bind(w.client);
  w.client.recommend = (request) => { __pulse.recommends.push(performance.now()); return recommend(request); };
  const list = w.element.shadowRoot.querySelector('ol');
  new MutationObserver(() => __pulse.renders.push({ at: performance.now(), version: Number(list.dataset.version), cause: list.dataset.cause ?? null,
    items: [...list.querySelectorAll('li')].map((li) => li.dataset.itemId) })).observe(list, { attributes: true, attributeFilter: ['data-version'] });
}));
</script>
<script src="${gateway}/widget.js" data-target="#recs" data-k="6"${token ? ` data-token="${token}"` : ''} defer></script>
</body></html>`;
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(value)?.slice(0, 2000)})`);
    await sleep(50);
  }
}

type PageIdentity = { userId: string; role: string; token: string };
// In-page code as strings: the root tsconfig has no DOM types (gateway/web has them).
const recorded = (page: Page) => page.evaluate<Recorded>('window.__pulse');
const identity = (page: Page) => page.evaluate<PageIdentity>('Pulse.ready.then((w) => w.client.identity)');
const pageNow = (page: Page) => page.evaluate<number>('performance.now()');
const cards = (page: Page) => page.locator('pulse-recommendations li[data-item-id] .card');

/**
 * Activates a card (a click by default), then returns the page time of the click, the click event
 * the widget tracked for it and the list shown just before. Cards are picked by position: the
 * list may change between reading it and clicking.
 */
async function activate(page: Page, act: () => Promise<void>) {
  const count = (await recorded(page)).clicks.length;
  await act();
  const seen = await until(
    'the tracked click',
    () => recorded(page),
    (r) => r.clicks.length > count && r.tracked.some((t) => t.event.type === 'click' && t.at >= r.clicks[count]!),
  );
  const at = seen.clicks[count]!;
  const event = seen.tracked.find((t) => t.event.type === 'click' && t.at >= at)!.event;
  const before = seen.renders.filter((x) => x.at < at).at(-1)!;
  return { at, event, before };
}

/**
 * The drop-in widget in headless Chromium against real processes (engine and gateway apart, real
 * NATS and Redis, demo catalog), embedded on a page of another origin: issue 7's "a visitor clicks
 * a product and the widget's list changes within one second", "the widget survives the gateway
 * being restarted", and the promotion toast with its coupon.
 */
describe('browser: the widget', () => {
  const secret = 'e2e-secret-widget';
  let nats: TestServer;
  let redis: TestServer;
  let engine: PulseProcess;
  let gateway: PulseProcess;
  let gatewayPort: number;
  let gatewayUrl: string;
  let host: Server;
  let hostUrl: string;
  let browser: TestBrowser;
  const contexts: BrowserContext[] = [];
  let visitorPage: Page;
  let visitorErrors: string[];

  // spawnPulse keeps the fixed PORT, so a restarted gateway is on the same address; it waits for /readyz.
  const startGateway = () =>
    spawnPulse('gateway', {
      natsUrl: nats.url,
      redisUrl: redis.url,
      authSecret: secret,
      timeoutMs: 60_000,
      env: { PORT: String(gatewayPort), CORS_ORIGINS: new URL(hostUrl).origin },
    });
  const open = async (viewport: { width: number; height: number } = VIEWPORTS.desktop, token?: string) => {
    const opened = await browser.open(token ? `${hostUrl}?token=${token}` : hostUrl, viewport);
    contexts.push(opened.context);
    return opened;
  };
  const eventsByType = async (token: string, userId: string) =>
    (await http<{ activity?: { eventsByType: Record<string, number> } }>(gatewayUrl, 'GET', `/v1/users/${userId}/profile`, { token })).body
      .activity?.eventsByType ?? {};

  beforeAll(async () => {
    [nats, redis, gatewayPort] = await Promise.all([startNats(), startRedis(), freePort()]);
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    // The shop page; `?token=` puts a data-token on the script tag (a token the shop minted).
    host = createServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://host').searchParams.get('token');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(hostPage(gatewayUrl, token && /^[\w.-]+$/.test(token) ? token : undefined));
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    // "localhost" here, 127.0.0.1 for the gateway: two origins, so widget, REST and socket all go cross-origin.
    hostUrl = `http://localhost:${(host.address() as { port: number }).port}/shop`;
    engine = await spawnPulse('engine', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret, timeoutMs: 90_000 });
    gateway = await startGateway();
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await gateway?.stop();
    await engine?.stop();
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('a visitor clicks a product in the strip and its list changes; clicks are tracked once, shown cards as impressions, keyboard too', async () => {
    ({ page: visitorPage, errors: visitorErrors } = await open());
    const page = visitorPage;
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    await until(
      'the first list',
      async () => (await recorded(page)).renders.length,
      (n) => n > 0,
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

    const { at, event: tracked, before } = await activate(page, () => cards(page).first().click());
    expect(tracked).toEqual({ id: expect.stringMatching(/^w-[0-9a-f]{24}$/), type: 'click', itemId: before.items[0] });
    const after = await until(
      'the render the click caused',
      () => recorded(page),
      (r) => r.renders.some((x) => x.cause === tracked.id),
      5000,
    );
    const render = after.renders.find((x) => x.cause === tracked.id)!;
    const latencyMs = render.at - at;
    console.log(`widget list changed ${latencyMs.toFixed(0)} ms after the click (DOM data-version ${before.version} -> ${render.version})`);
    expect(render.items).not.toEqual(before.items);

    // Keyboard: Tab-reachable buttons, Enter activates one and tracks a click of it.
    const keyed = await activate(page, async () => {
      await cards(page).nth(1).focus();
      await page.keyboard.press('Enter');
    });
    expect(keyed.event).toMatchObject({ type: 'click', itemId: keyed.before.items[1] });

    // Impressions: cards seen for a second are reported by list (its id, their positions), each card
    // once per list; a card seen is never a view (the page opened no product).
    const settled = await until(
      'impressions of the shown cards',
      () => recorded(page),
      (r) => r.tracked.some((t) => t.event.type === 'impression'),
      10_000,
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
    const [sent, counted, counts] = await until(
      'the engine counting what the widget sent',
      async () =>
        [
          (await recorded(page)).tracked.filter((t) => t.event.type === 'impression').length,
          (
            await http<{ counters: { total: { events: Record<string, number> } } }>(gatewayUrl, 'GET', '/v1/analytics/overview', {
              token: marketer,
            })
          ).body.counters.total.events.impression ?? 0,
          await eventsByType(me.token, me.userId),
        ] as const,
      ([n, i, c]) => i === n && (c.click ?? 0) === 2,
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
    const clicksBefore = (await eventsByType(me.token, me.userId)).click ?? 0;
    await gateway.stop();
    await page.locator('pulse-recommendations[data-state="reconnecting"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('pulse-recommendations .state').textContent()).toBe('Reconnecting…');

    // A click while the gateway is down: the event waits for the connection instead of being lost.
    const { event: pending, before: down } = await activate(page, () => cards(page).last().click());
    expect(pending).toMatchObject({ type: 'click', itemId: down.items.at(-1) });
    const restartedAt = await pageNow(page);

    gateway = await startGateway();
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 30_000 });
    const again = await identity(page);
    expect(again.userId).toBe(me.userId);
    expect(await page.evaluate<string>("JSON.parse(localStorage.getItem('pulse.identity')).userId")).toBe(me.userId);
    // The strip asked for a fresh list on reconnect, and the pending click reached the engine once and changed the list.
    const back = await until(
      'the refresh and the pending click',
      () => recorded(page),
      (r) => r.recommends.some((at) => at > restartedAt) && renderAfter(r, pending.id) !== undefined,
    );
    expect(renderAfter(back, pending.id)!.items).not.toEqual(down.items);

    // And a new click after the restart changes the list too.
    const fresh = await activate(page, () => cards(page).first().click());
    const changed = await until(
      'the list after the new click',
      () => recorded(page),
      (r) => renderAfter(r, fresh.event.id) !== undefined,
      5000,
    );
    const render = renderAfter(changed, fresh.event.id)!;
    expect(render.items).not.toEqual(fresh.before.items);
    console.log(`after the restart: list changed ${(render.at - fresh.at).toFixed(0)} ms after a click`);
    await until(
      'the clicks counted once each',
      async () => (await eventsByType(me.token, me.userId)).click ?? 0,
      (n) => n >= clicksBefore + 2,
    );
    await sleep(500);
    expect((await eventsByType(me.token, me.userId)).click).toBe(clicksBefore + 2);
    expect(visitorErrors.filter((e) => !/ERR_CONNECTION_REFUSED|WebSocket connection/.test(e))).toEqual([]);
  }, 90_000);

  it("a promotion pushed to members shows the toast with each one's coupon code (registered in the widget, or given by data-token): copy, Escape, live region, phone width", async () => {
    const { context, page, errors } = await open(VIEWPORTS.phone);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(hostUrl).origin });
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    const email = `wanda.${Date.now().toString(36)}@example.com`;
    const wanda = await page.evaluate<PageIdentity>(
      `Pulse.ready.then((w) => w.client.register(${JSON.stringify(email)}, 'widget test password', 'Wanda'))`,
    );
    expect(wanda.role).toBe('member');
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    // A member whose token the shop minted (here: registered over REST) and put on the script tag: used, not stored.
    const given = (
      await http<{ memberId: string; token: string }>(gatewayUrl, 'POST', '/v1/members', {
        body: { email: `gus.${Date.now().toString(36)}@example.com`, password: 'widget test password', name: 'Gus' },
      })
    ).body;
    const other = await open(VIEWPORTS.desktop, given.token);
    await other.page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect(await identity(other.page)).toMatchObject({ userId: given.memberId, role: 'member' });
    expect(await other.page.evaluate<string | null>("localStorage.getItem('pulse.identity')")).toBeNull();
    await sleep(300); // the connect claims (empty inboxes) first

    const marketing = await new TokenService(secret).sign({ sub: 'marketer-widget', role: 'marketing' }, 3600);
    const offer = { title: 'Welcome to the club', message: '15% off your next order', discountPercent: 15 };
    const res = await http<Campaign>(gatewayUrl, 'POST', '/v1/campaigns', {
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
      const coupons = await http<{ coupons: Coupon[] }>(gatewayUrl, 'GET', '/v1/members/me/coupons', { token });
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
    await until(
      'the copy confirmed',
      () => toast.getByRole('button', { name: /copy coupon code/i }).textContent(),
      (text) => text === 'Copied',
      3000,
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

  it('an expired visitor token is replaced by a fresh visitor token, and the strip goes on', async () => {
    const short = await new TokenService(secret).sign({ sub: 'v_short_lived', role: 'visitor' }, 3);
    const { page, errors } = await open(VIEWPORTS.desktop, short);
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect((await identity(page)).userId).toBe('v_short_lived');
    // The gateway ends the socket when the token expires; the client fetches a new visitor token and reconnects.
    const renewed = await until(
      'a renewed identity',
      () => identity(page),
      (me) => me.userId !== 'v_short_lived',
      15_000,
    );
    expect(renewed).toMatchObject({ role: 'visitor', userId: expect.stringMatching(/^v_/) });
    await page.locator('pulse-recommendations[data-state="connected"]').waitFor({ timeout: 20_000 });
    expect(await page.evaluate<string>("JSON.parse(localStorage.getItem('pulse.identity')).userId")).toBe(renewed.userId);
    const renewedAt = await pageNow(page);
    await until(
      'a list asked for the new visitor',
      () => recorded(page),
      (r) => r.recommends.some((at) => at > renewedAt - 2000),
    );
    const click = await activate(page, () => cards(page).first().click());
    await until(
      'the list after a click as the new visitor',
      () => recorded(page),
      (r) => r.renders.some((x) => x.cause === click.event.id),
      5000,
    );
    expect((await eventsByType(renewed.token, renewed.userId)).click).toBe(1);
    expect(errors).toEqual([]);
  }, 60_000);
});
