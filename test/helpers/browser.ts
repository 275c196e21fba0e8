import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by playwright-core (no
 * browser download). A missing binary fails the test run with the package to install; it never
 * skips. Set CHROMIUM_PATH to use another binary.
 */

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Where the tests write their screenshots: the README's own (`docs/images/`, tracked) only when
 * `UPDATE_SCREENSHOTS=1`, which `npm run screenshots` sets; otherwise `test/.output/screenshots/`
 * (git-ignored), so a test run leaves the checkout clean.
 */
export const SCREENSHOT_DIR = fileURLToPath(
  new URL(process.env.UPDATE_SCREENSHOTS === '1' ? '../../docs/images/' : '../.output/screenshots/', import.meta.url),
);

/** Desktop and phone viewports of the screenshots and layout checks. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;

export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? CANDIDATES.find((candidate) => existsSync(candidate));
  if (!path || !existsSync(path)) {
    throw new Error('chromium not found: install the Debian package `chromium` (apt-get install chromium), or set CHROMIUM_PATH');
  }
  return path;
}

export interface TestBrowser {
  browser: Browser;
  /** A fresh context (own storage) with a page at `url`; console errors are collected. */
  open(url: string, viewport?: { width: number; height: number }): Promise<{ context: BrowserContext; page: Page; errors: string[] }>;
  close(): Promise<void>;
}

/** Starts headless Chromium with the flags this machine needs (no background networking; playwright gives it a fresh profile). */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async open(url, viewport = VIEWPORTS.desktop) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(url);
      return { context, page, errors };
    },
    async close() {
      await browser.close().catch(() => undefined);
    },
  };
}

/** Writes `<SCREENSHOT_DIR>/<name>.png` (full page). */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
