import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, VIEWPORTS, type TestBrowser } from './browser.js';
import { waitForDemoCatalog } from './demo-catalog-ready.js';
import { spawnPulse, type PulseProcess, type SpawnPulseOptions } from './pulse-process.js';
import { startNats, startRedis, type TestServer } from './servers.js';

/**
 * The storefront's end-to-end stack (test/e2e/browser-*.test.ts): `npm start` on a private
 * nats-server and redis-server, and headless Chromium. One stack serves every describe of a file;
 * each describe opens its own browser contexts (`open`), so pages share nothing but the servers.
 */
export class StoreStack {
  nats?: TestServer;
  redis?: TestServer;
  pulse!: PulseProcess;
  browser!: TestBrowser;
  private readonly contexts: BrowserContext[] = [];

  constructor(
    readonly secret: string,
    readonly env: Record<string, string> = {},
  ) {}

  get baseUrl(): string {
    return this.pulse.baseUrl;
  }

  /** What spawnPulse needs for this stack's servers (a restart passes it again). */
  get options(): SpawnPulseOptions {
    return { natsUrl: this.nats!.url, redisUrl: this.redis!.url, authSecret: this.secret, env: this.env };
  }

  /** Starts the servers, Pulse and the browser; with `catalog`, waits until the whole demo catalog is visible. */
  async start({ catalog = true }: { catalog?: boolean } = {}): Promise<void> {
    [this.nats, this.redis] = await Promise.all([startNats(), startRedis()]);
    [this.pulse, this.browser] = await Promise.all([spawnPulse('start', this.options), launchBrowser()]);
    if (catalog) await waitForDemoCatalog(this.baseUrl);
  }

  /** A page at `path` of the store (or any URL) in a fresh context; closed by `closeContexts` or `stop`. */
  async open(path = '/', viewport: { width: number; height: number } = VIEWPORTS.desktop) {
    const opened = await this.browser.open(/^[a-z]+:/.test(path) ? path : `${this.baseUrl}${path}`, viewport);
    this.contexts.push(opened.context);
    return opened;
  }

  /** The store's home page in a fresh context, once its script is ready. */
  async openStore(viewport: { width: number; height: number } = VIEWPORTS.desktop) {
    const opened = await this.open('/', viewport);
    await opened.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    return opened;
  }

  /** Closes the contexts opened so far (a describe's pages, before the next describe). */
  async closeContexts(): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.closeContexts();
    await this.browser?.close();
    await this.pulse?.stop();
    await Promise.all([this.nats?.stop(), this.redis?.stop()]);
  }
}

export type StoredIdentity = { userId: string; role: string; token: string };

/** The page's stored identity (localStorage `pulse.identity`, written by its PulseClient). */
export const identityOf = async (page: Page): Promise<StoredIdentity> =>
  JSON.parse((await page.evaluate<string | null>("localStorage.getItem('pulse.identity')")) ?? '{}') as StoredIdentity;

/** Registers through the store page's form and waits for `shown` (by default: the member panel). */
export async function registerInStore(
  page: Page,
  account: { name: string; email: string; password: string },
  shown = '#member-panel:not([hidden])',
): Promise<void> {
  await page.click('#show-register');
  await page.fill('#register-name', account.name);
  await page.fill('#register-email', account.email);
  await page.fill('#register-password', account.password);
  await page.click('#register-form button[type="submit"]');
  await page.waitForSelector(shown, { timeout: 15_000 });
}

// Browser-side code as strings: the tests' tsconfig has no DOM library.
/** The document's scroll width and the window's width (equal when nothing scrolls sideways). */
export const pageWidth = (page: Page) =>
  page.evaluate<{ scrollWidth: number; innerWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth })',
  );

/** How far the member panel's content reaches past the panel's right edge (0 when it fits). */
export const panelOverflow = (page: Page) =>
  page.evaluate<number>(`(() => {
    const panel = document.getElementById('member-panel').getBoundingClientRect();
    let worst = 0;
    for (const el of document.querySelectorAll('#member-panel *')) worst = Math.max(worst, el.getBoundingClientRect().right - panel.right);
    return worst;
  })()`);

/** A phone-width page of the store signed in as the member whose stored identity `from` holds. */
export async function openAsPhone(stack: StoreStack, from: Page) {
  const identity = await from.evaluate<string | null>("localStorage.getItem('pulse.identity')");
  const phone = await stack.open('about:blank', VIEWPORTS.phone);
  await phone.context.addInitScript(`localStorage.setItem('pulse.identity', ${JSON.stringify(identity)})`);
  await phone.page.goto(`${stack.baseUrl}/`);
  await phone.page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  return phone;
}
