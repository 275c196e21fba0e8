import { PulseClient, PulseClientError } from '../client/pulse-client.js';
import { settingsOf, WIDGET_VERSION, type MountOptions } from './options.js';
import { defineElements, PulseWidget } from './pulse-widget.js';
import type { PulseRecommendationsElement } from './strip.js';

/**
 * The drop-in widget, served as `/widget.js`:
 *
 *   <div id="pulse-recs"></div>
 *   <script src="https://gateway.example/widget.js" data-target="#pulse-recs" data-k="8" defer></script>
 *
 * It mounts one `<pulse-recommendations>` strip (inside data-target, else at the end of the body)
 * on one PulseClient for the page, and sets `window.Pulse = {ready, mount, version}`. Attributes:
 * data-gateway (default: the script's own origin), data-token (a member or visitor JWT; default the
 * stored identity or a new visitor), data-k (1..100, default 8), data-channel, data-href (card link
 * template with `{itemId}`), data-title, data-currency (ISO 4217, default USD), data-toast-ms
 * (default 15000, 0 = until dismissed), data-item (the item a product page shows: its view is
 * tracked once; cards merely shown are reported as impressions, never as views),
 * data-mount="manual" (do not mount; call Pulse.mount).
 */

/** `window.Pulse`. */
export interface PulseGlobal {
  /** The first mounted widget (the script's own, unless data-mount="manual"); rejects with the reason it could not mount. */
  ready: Promise<PulseWidget>;
  /** Mounts a strip by hand; strips on the same gateway share the page's one client (one socket). */
  mount(options?: MountOptions): Promise<PulseWidget>;
  version: string;
}

const script = document.currentScript as HTMLScriptElement | null;
const scriptOrigin = script?.src ? new URL(script.src, location.href).origin : location.origin;
/** One client per gateway origin (and token) on the page. */
const clients = new Map<string, Promise<PulseClient>>();

/** Mounts a strip: checks the options, finds the target, connects (or reuses) the client. */
async function mount(options: MountOptions = {}): Promise<PulseWidget> {
  const settings = settingsOf(options);
  await domReady();
  const target = typeof options.target === 'string' ? document.querySelector(options.target) : (options.target ?? document.body);
  if (!target) throw new PulseClientError('invalid_request', `pulse widget: target ${String(options.target)} matches no element`);
  defineElements();
  const element = document.createElement('pulse-recommendations') as PulseRecommendationsElement;
  target.append(element);
  const client = await clientFor(options.gateway ?? scriptOrigin, options.token, element);
  return new PulseWidget(client, element, settings);
}

/**
 * The page's client for this gateway and token. While the gateway cannot be reached for a visitor
 * token the strip says offline and the widget tries again (2 s, doubling to 30 s).
 */
function clientFor(gateway: string, token: string | undefined, element: PulseRecommendationsElement): Promise<PulseClient> {
  const url = gateway.replace(/\/+$/, '');
  const key = `${url} ${token ?? ''}`;
  let client = clients.get(key);
  if (!client) {
    client = (async () => {
      for (let wait = 2000; ; wait = Math.min(30_000, wait * 2)) {
        try {
          return await PulseClient.connect({ url, ...(token ? { token } : {}) });
        } catch (err) {
          if (!(err instanceof PulseClientError) || err.code !== 'unavailable') throw err;
          element.setState('offline');
          await new Promise((resolve) => setTimeout(resolve, wait));
        }
      }
    })();
    client.catch(() => clients.delete(key));
    clients.set(key, client);
  }
  return client;
}

function domReady(): Promise<void> {
  if (document.readyState !== 'loading') return Promise.resolve();
  return new Promise((resolve) => document.addEventListener('DOMContentLoaded', () => resolve(), { once: true }));
}

/** The script tag's data-* attributes as MountOptions (numbers checked by settingsOf). */
function scriptOptions(data: DOMStringMap): MountOptions {
  const number = (raw: string | undefined) => (raw === undefined || raw.trim() === '' ? undefined : Number(raw));
  const options: MountOptions = {};
  if (data.target) options.target = data.target;
  if (data.gateway) options.gateway = data.gateway;
  if (data.token) options.token = data.token;
  if (data.channel) options.channel = data.channel;
  if (data.href) options.href = data.href;
  if (data.title) options.title = data.title;
  if (data.currency) options.currency = data.currency;
  if (data.item) options.item = data.item;
  const k = number(data.k);
  if (k !== undefined) options.k = k;
  const toastMs = number(data.toastMs);
  if (toastMs !== undefined) options.toastMs = toastMs;
  return options;
}

function install(): void {
  const existing = (window as { Pulse?: PulseGlobal }).Pulse;
  if (existing) return; // the script twice on one page: the first one stays in charge
  const manual = script?.dataset.mount === 'manual';
  let first: ((widget: Promise<PulseWidget>) => void) | undefined;
  const ready = new Promise<PulseWidget>((resolve) => {
    first = (widget) => resolve(widget);
  });
  const pulse: PulseGlobal = {
    ready,
    version: WIDGET_VERSION,
    mount(options) {
      const widget = mount(options);
      first?.(widget);
      first = undefined;
      return widget;
    },
  };
  ready.catch(() => undefined); // a failed auto-mount is logged below; awaiting `ready` still rejects
  (window as { Pulse?: PulseGlobal }).Pulse = pulse;
  if (!manual) {
    pulse.mount(scriptOptions(script?.dataset ?? {})).catch((err: unknown) => console.error(err instanceof Error ? err.message : err));
  }
}

install();
