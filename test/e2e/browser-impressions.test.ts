import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ShopperProfile, SegmentList, AnalyticsOverview } from '../../engine/contracts/analytics.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { TokenService } from '../../gateway/auth.js';
import { launchBrowser, VIEWPORTS, type TestBrowser } from '../helpers/browser.js';
import { http, visitor } from '../helpers/clients.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

/**
 * Issue 14, "signals that mean what the shopper did", in the demo shop (`npm start`, headless
 * Chromium, real NATS and Redis): the strip reports the cards it shows as `impression` events and
 * never as views, so (1) a visitor who opens a headphones product 5 s after the page loaded sees
 * the strip turn mostly audio/electronics within a second (the cards seen meanwhile did not pull
 * the taste elsewhere), and (2) a member who has the strip in view for 30 s and opens nothing has
 * no `view` in their history and no segment, brand or category made of what they merely saw,
 * while the engine did count their impressions.
 */

type Tracked = { id?: string; type: string; itemId?: string; listId?: string; items?: Array<{ itemId: string; position: number }> };
type CatalogPage = { items: Item[]; total: number; categories: string[] };
type Recorded = { renders: Array<{ at: number; cause: string | null; listId: string | null; items: string[] }>; opens: number[] };
type History = { events: Array<{ itemId: string; type: string; ts: number }> };

/** The `track` events a page sends on its socket (Socket.IO frames `42<ack>["track", event]`). */
function recordTracked(page: Page): Tracked[] {
  const tracked: Tracked[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.startsWith('42')) return;
      const message = JSON.parse(payload.replace(/^42\d*/, '')) as unknown[];
      if (message[0] === 'track') tracked.push(message[1] as Tracked);
    });
  });
  return tracked;
}

/**
 * In the page, before its scripts: every render of the strip (time, cause, list id, items) and
 * the time of every product opened from the grid. Browser code as a string: the tests' tsconfig
 * has no DOM library.
 */
const RECORDER = `
window.__imp = { renders: [], opens: [] };
document.addEventListener('click', (e) => { if (e.target.closest && e.target.closest('.card-open')) __imp.opens.push(performance.now()); }, true);
const watch = () => {
  if (!window.Pulse) return void setTimeout(watch, 20);
  Pulse.ready.then((w) => {
    const list = w.element.shadowRoot.querySelector('ol');
    new MutationObserver(() => __imp.renders.push({ at: performance.now(), cause: list.dataset.cause ?? null, listId: list.dataset.listId ?? null,
      items: [...list.querySelectorAll('li')].map((li) => li.dataset.itemId) })).observe(list, { attributes: true, attributeFilter: ['data-version'] });
  });
};
addEventListener('DOMContentLoaded', watch);
`;

const recorded = (page: Page) => page.evaluate<Recorded>('window.__imp');
const pageNow = (page: Page) => page.evaluate<number>('performance.now()');
const identity = (page: Page) =>
  page.evaluate<{ userId: string; role: string; token: string }>('Pulse.ready.then((w) => w.client.identity)');
const stripItems = (page: Page) =>
  page.$$eval('pulse-recommendations li[data-item-id]', (lis) => lis.map((li) => li.getAttribute('data-item-id') ?? ''));

describe('browser: impressions, not views, for cards merely shown', () => {
  const secret = 'e2e-secret-impressions';
  const catalog = new Map(generateDemoCatalog().map((item) => [item.itemId, item]));
  const isElectronics = (itemId: string) => catalog.get(itemId)?.category.startsWith('electronics/') ?? false;
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let browser: TestBrowser;
  let marketing: string;
  /** Impression events every page of this file sent (the engine must count exactly these). */
  const impressionsSent = () => pages.flatMap((tracked) => tracked.filter((event) => event.type === 'impression')).length;
  const pages: Tracked[][] = [];

  const openStore = async () => {
    const opened = await browser.open('about:blank', VIEWPORTS.desktop);
    const tracked = recordTracked(opened.page);
    pages.push(tracked);
    await opened.page.addInitScript(RECORDER);
    await opened.page.goto(`${pulse.baseUrl}/`);
    await opened.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    await opened.page.waitForSelector('pulse-recommendations[data-state="connected"] li[data-item-id]', { timeout: 20_000 });
    return { ...opened, tracked };
  };

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', { natsUrl: nats.url, redisUrl: redis.url, authSecret: secret });
    marketing = await new TokenService(secret).sign({ sub: 'e2e-marketing', role: 'marketing' }, 3600);
    // The demo catalog is indexed in slices after the engine is ready: the page must open on all of it.
    const token = (await visitor(pulse.baseUrl)).token;
    const visible = [...catalog.values()].filter((item) => !item.minTier || item.minTier === 'regular').length;
    await vi.waitFor(
      async () =>
        expect((await http<CatalogPage>(pulse.baseUrl, 'GET', '/v1/items?limit=1', { token })).body.total).toBeGreaterThanOrEqual(visible),
      { timeout: 60_000, interval: 200 },
    );
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('a visitor opens a headphones product 5 s after the page loads; within 1 s the strip is mostly audio/electronics', async () => {
    const { page, tracked, errors } = await openStore();
    // To the audio shelf with the category chips (they track nothing), meanwhile the strip is on screen.
    await page.click('#departments button[data-category="electronics"]');
    await page.click('#subcategories button[data-category="electronics/audio"]');
    await expect.poll(() => page.textContent('#catalog-heading')).toBe('Audio');
    const headphones = page
      .locator('#products li[data-item-id]')
      .filter({ hasText: /Headphones/ })
      .first();
    const itemId = (await headphones.getAttribute('data-item-id'))!;
    expect(catalog.get(itemId)).toMatchObject({ category: 'electronics/audio' });

    // The scenario's own timing: the product is opened 5 s after the page loaded.
    await sleep(Math.max(0, 5000 - (await pageNow(page))));
    expect(await page.locator('pulse-recommendations').isVisible()).toBe(true);
    const before = await stripItems(page);
    await headphones.locator('button.card-open').click();
    await expect.poll(() => tracked.filter((event) => event.type === 'view').map((event) => event.itemId)).toEqual([itemId]);
    const view = tracked.find((event) => event.type === 'view')!;

    // The list the view caused, drawn within a second of the click, is mostly audio/electronics.
    const caused = await vi.waitFor(
      async () => {
        const r = await recorded(page);
        const render = r.renders.find((x) => x.cause === view.id);
        expect(render).toBeDefined();
        return { render: render!, openedAt: r.opens.at(-1)! };
      },
      { timeout: 5000, interval: 50 },
    );
    const latencyMs = caused.render.at - caused.openedAt;
    const electronics = caused.render.items.filter(isElectronics).length;
    console.log(
      `strip after the headphones view: ${electronics} of ${caused.render.items.length} audio/electronics, drawn ${latencyMs.toFixed(0)} ms after the click (before it: ${before.filter(isElectronics).length} of ${before.length})`,
    );
    expect(electronics).toBeGreaterThan(caused.render.items.length / 2);

    // The cards of the 5 s before went out as impressions (list id, positions), never as views.
    const impressions = tracked.filter((event) => event.type === 'impression');
    expect(impressions.length).toBeGreaterThan(0);
    for (const impression of impressions) {
      expect(impression.listId).toMatch(/^l-[0-9a-f]{24}$/);
      expect(impression.items!.length).toBeGreaterThan(0);
      for (const { itemId: shown, position } of impression.items!)
        expect(Number.isInteger(position) && position >= 0 && shown.length > 0).toBe(true);
    }
    expect(tracked.filter((event) => event.type === 'view' || event.type === 'click')).toEqual([view]);
    expect(errors).toEqual([]);
  }, 60_000);

  it('a member with the strip in view for 30 s, opening nothing, has no view in their history and no segment made of what they saw', async () => {
    const { page, tracked, errors } = await openStore();
    // Becomes a member through the page's own form (the visitor's history, impressions only, merges in).
    await page.click('#show-register');
    await page.fill('#register-name', 'Dana Looker');
    await page.fill('#register-email', `looker.${Date.now().toString(36)}@example.com`);
    await page.fill('#register-password', 'looking-only-1');
    await page.click('#register-form button[type="submit"]');
    await expect.poll(async () => (await identity(page)).role, { timeout: 15_000 }).toBe('member');
    const me = await identity(page);
    await page.locator('pulse-recommendations').scrollIntoViewIfNeeded();
    await expect.poll(async () => (await recorded(page)).renders.length, { timeout: 10_000 }).toBeGreaterThan(0);

    // The scenario: 30 s with the strip in view, nothing opened.
    await sleep(30_000);
    expect(await page.locator('pulse-recommendations').isVisible()).toBe(true);
    expect(tracked.filter((event) => event.type !== 'impression')).toEqual([]);
    expect(tracked.length).toBeGreaterThan(0);

    // The engine counted every impression sent in this file, so it has seen the member's too...
    await expect
      .poll(
        async () =>
          (await http<AnalyticsOverview>(pulse.baseUrl, 'GET', '/v1/analytics/overview', { token: marketing })).body.counters.total.events
            .impression,
        { timeout: 15_000 },
      )
      .toBe(impressionsSent());
    // ...and none of them is a view or any interaction in the member's history,
    const history = await http<History>(pulse.baseUrl, 'GET', '/v1/members/me/history?limit=200', { token: me.token });
    expect(history.status).toBe(200);
    expect(history.body.events).toEqual([]);
    // ...nor in their profile: no taste of brands or categories, no activity, no segment but `new` (the account's age).
    const profile = await http<ShopperProfile>(pulse.baseUrl, 'GET', `/v1/users/${me.userId}/profile`, { token: me.token });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ categories: [], brands: [], priceBand: null, segments: ['new'] });
    expect(profile.body.activity).toMatchObject({ level: 'none', eventsLast7Days: 0, lastEventAt: null });
    expect(profile.body.activity.eventsByType.view).toBeUndefined();
    // ...nor in the shop's segments: nobody is brand-loyal from cards seen.
    const segments = await http<SegmentList>(pulse.baseUrl, 'GET', '/v1/analytics/segments', { token: marketing });
    expect(segments.body.loyalBrands).toBe(0);
    expect(segments.body.segments.filter((s) => s.segment.startsWith('brand_loyal:'))).toEqual([]);
    expect(errors.filter((e) => !/status of 40[19]/.test(e))).toEqual([]);
  }, 90_000);
});
