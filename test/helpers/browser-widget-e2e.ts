import { createServer, type Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, VIEWPORTS, type TestBrowser } from './browser.js';
import { http } from './clients.js';
import { spawnPulse, type PulseProcess } from './pulse-process.js';
import { freePort, startNats, startRedis, type TestServer } from './servers.js';
import { type WaitOptions, waitForValue } from './wait-for.js';

/**
 * The drop-in widget's end-to-end tests (test/e2e/browser-widget*.test.ts): a shop page on another
 * origin that embeds the widget and records what it does, readers of that record, and the stack
 * it runs against (engine and gateway apart on real NATS and Redis, headless Chromium).
 */

/**
 * The first list pushed because of `eventId` or a later event of the page: the engine ranks once
 * per user per batch, so a click sent together with the events after it is answered by one list
 * whose cause is the last of them.
 */
export function renderAfter(r: Recorded, eventId: string): Recorded['renders'][number] | undefined {
  const from = r.tracked.findIndex((t) => t.event.id === eventId);
  const later = new Set([eventId, ...(from < 0 ? [] : r.tracked.slice(from).map((t) => t.event.id))]);
  return r.renders.find((x) => x.cause !== null && later.has(x.cause));
}

/** What the host page records (see hostPage): renders of the strip, events the widget tracked, clicks on it. */
export interface Recorded {
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
export function hostPage(gateway: string, token?: string): string {
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

export type PageIdentity = { userId: string; role: string; token: string };
// In-page code as strings: the root tsconfig has no DOM types (gateway/web has them).
export const recorded = (page: Page) => page.evaluate<Recorded>('window.__pulse');
export const identity = (page: Page) => page.evaluate<PageIdentity>('Pulse.ready.then((w) => w.client.identity)');
export const pageNow = (page: Page) => page.evaluate<number>('performance.now()');
export const cards = (page: Page) => page.locator('pulse-recommendations li[data-item-id] .card');

/**
 * Activates a card (a click by default), then returns the page time of the click, the click event
 * the widget tracked for it and the list shown just before (waiting at most 20 s unless `options` say otherwise). Cards are picked by position: the
 * list may change between reading it and clicking.
 */
export async function activate(page: Page, act: () => Promise<void>, options: WaitOptions = {}) {
  const count = (await recorded(page)).clicks.length;
  await act();
  const seen = await waitForValue(
    'the tracked click',
    () => recorded(page),
    (r) => r.clicks.length > count && r.tracked.some((t) => t.event.type === 'click' && t.at >= r.clicks[count]!),
    { timeoutMs: 20_000, ...options },
  );
  const at = seen.clicks[count]!;
  const event = seen.tracked.find((t) => t.event.type === 'click' && t.at >= at)!.event;
  const before = seen.renders.filter((x) => x.at < at).at(-1)!;
  return { at, event, before };
}

/**
 * Engine and gateway in their own processes on real NATS and Redis, the shop page (hostPage) served
 * on another origin, and headless Chromium. The gateway keeps a fixed port, so a restarted one is on
 * the same address. Fields are set by start(); stop() stops whatever was started.
 */
export class WidgetStack {
  nats?: TestServer;
  redis?: TestServer;
  engine?: PulseProcess;
  gateway!: PulseProcess;
  gatewayPort = 0;
  gatewayUrl = '';
  host?: Server;
  hostUrl = '';
  browser?: TestBrowser;
  private readonly contexts: BrowserContext[] = [];
  /** Waits that fail with the tail of the engine's and the gateway's output. */
  readonly waiting: WaitOptions = {
    timeoutMs: 20_000,
    output: () => `--- engine\n${this.engine?.output().slice(-2000)}\n--- gateway\n${this.gateway?.output().slice(-2000)}`,
  };

  constructor(readonly secret: string) {}

  async start(): Promise<void> {
    [this.nats, this.redis, this.gatewayPort] = await Promise.all([startNats(), startRedis(), freePort()]);
    this.gatewayUrl = `http://127.0.0.1:${this.gatewayPort}`;
    // The shop page; `?token=` puts a data-token on the script tag (a token the shop minted).
    const host = createServer((req, res) => {
      const token = new URL(req.url ?? '/', 'http://host').searchParams.get('token');
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(hostPage(this.gatewayUrl, token && /^[\w.-]+$/.test(token) ? token : undefined));
    });
    this.host = host;
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    // "localhost" here, 127.0.0.1 for the gateway: two origins, so widget, REST and socket all go cross-origin.
    this.hostUrl = `http://localhost:${(host.address() as { port: number }).port}/shop`;
    this.engine = await spawnPulse('engine', {
      natsUrl: this.nats.url,
      redisUrl: this.redis.url,
      authSecret: this.secret,
      timeoutMs: 90_000,
    });
    await this.startGateway();
    this.browser = await launchBrowser();
  }

  /** Starts the gateway (again) on its fixed port; spawnPulse waits for /readyz. */
  async startGateway(): Promise<PulseProcess> {
    this.gateway = await spawnPulse('gateway', {
      natsUrl: this.nats!.url,
      redisUrl: this.redis!.url,
      authSecret: this.secret,
      timeoutMs: 60_000,
      env: { PORT: String(this.gatewayPort), CORS_ORIGINS: new URL(this.hostUrl).origin },
    });
    return this.gateway;
  }

  /** The shop page in a fresh browser context, with the shop's `token` on the script tag if given. */
  async open(viewport: { width: number; height: number } = VIEWPORTS.desktop, token?: string) {
    const opened = await this.browser!.open(token ? `${this.hostUrl}?token=${token}` : this.hostUrl, viewport);
    this.contexts.push(opened.context);
    return opened;
  }

  /** The engine's count of a user's events by type. */
  async eventsByType(token: string, userId: string): Promise<Record<string, number>> {
    return (
      (
        await http<{ activity?: { eventsByType: Record<string, number> } }>(this.gatewayUrl, 'GET', `/v1/users/${userId}/profile`, {
          token,
        })
      ).body.activity?.eventsByType ?? {}
    );
  }

  async stop(): Promise<void> {
    for (const context of this.contexts) await context.close().catch(() => undefined);
    await this.browser?.close();
    await this.gateway?.stop();
    await this.engine?.stop();
    const host = this.host;
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
    await Promise.all([this.nats?.stop(), this.redis?.stop()]);
  }
}
