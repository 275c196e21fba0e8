import { PulseClientError } from '../client/identity.js';

/** How long an offer toast stays when nobody interacts with it (ms); hovering or focusing it pauses the clock. */
export const TOAST_DEFAULT_MS = 15_000;

/** The widget's version (kept equal to package.json's by a unit test). */
export const WIDGET_VERSION = '0.1.0';

/** Options of `Pulse.mount`; the script's data-* attributes map onto them. */
export interface MountOptions {
  /** The element (or a CSS selector of it) to render into; default: appended to the body. */
  target?: Element | string;
  /** Gateway origin; default the widget script's origin. */
  gateway?: string;
  /** A member or visitor token minted by the shop; default the stored identity or a new visitor. */
  token?: string;
  /** Items shown (1..100). Default 8. */
  k?: number;
  /** Sales channel: lists only hold items offered in it, and tracked events carry it. */
  channel?: string;
  /** Card link template, `{itemId}` replaced (e.g. `/products/{itemId}`); cards are buttons without it. */
  href?: string;
  /** Heading of the strip. Default "Recommended for you". */
  title?: string;
  /** ISO 4217 code for prices. Default USD. */
  currency?: string;
  /** How long a promotion toast stays (ms); 0 until dismissed. Default 15000. */
  toastMs?: number;
  /**
   * The item this page shows (a product page): the shopper opened it, so its `view` is tracked
   * once when the strip mounts. Leave it out on pages that merely list items.
   */
  item?: string;
}

/** How a strip is set up: Pulse.mount's options after checking, plus the element. */
export interface PulseWidgetSettings {
  k: number;
  channel?: string;
  /** Link template for the cards (`{itemId}`); buttons otherwise. */
  href?: string;
  heading?: string;
  currency: string;
  /** How long a toast stays (ms), 0 for until dismissed. */
  toastMs: number;
  /** The item the page shows (a product page): its view is tracked at mount. */
  item?: string;
}

/** What an item id may be (the contract's ids: 1..100 letters, digits and _ . : @ -). */
const ITEM_ID = /^[A-Za-z0-9_.:@-]{1,100}$/;

/** Checks the options; every problem in one clear error. */
export function settingsOf(options: MountOptions): PulseWidgetSettings {
  const problems: string[] = [];
  const k = options.k ?? 8;
  if (!Number.isInteger(k) || k < 1 || k > 100) problems.push(`k must be an integer from 1 to 100, got ${String(options.k)}`);
  const currency = options.currency ?? 'USD';
  try {
    new Intl.NumberFormat(undefined, { style: 'currency', currency });
  } catch {
    problems.push(`currency must be an ISO 4217 code like USD, got ${currency}`);
  }
  const toastMs = options.toastMs ?? TOAST_DEFAULT_MS;
  if (!Number.isFinite(toastMs) || toastMs < 0) problems.push(`toastMs must be 0 or more ms, got ${String(options.toastMs)}`);
  if (options.href !== undefined && !options.href.includes('{itemId}')) problems.push(`href must contain {itemId}, got ${options.href}`);
  if (options.item !== undefined && !ITEM_ID.test(options.item))
    problems.push(`item must be an item id (1 to 100 letters, digits, _ . : @ -), got ${options.item}`);
  if (problems.length > 0) throw new PulseClientError('invalid_request', `pulse widget: ${problems.join('; ')}`);
  return { k, currency, toastMs, ...pick(options, ['channel', 'href', 'item']), ...(options.title ? { heading: options.title } : {}) };
}

function pick<T extends object, K extends keyof T>(value: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}
