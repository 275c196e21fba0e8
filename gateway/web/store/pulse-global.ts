import type { PulseClient } from '../client/pulse-client.js';

/**
 * What the storefront uses of the drop-in widget (`/widget.js`, loaded by its own script tag
 * before this one): `window.Pulse.ready` resolves with the mounted strip, whose `client` is the
 * page's one PulseClient (one socket for the strip, the toast and the store's own calls). Declared
 * here, not imported, so the store depends on the widget's public shape only.
 */
export interface StoreWidget {
  client: PulseClient;
  /** Asks for the list now and draws it. */
  refresh(): Promise<void>;
}

interface PulseGlobal {
  ready: Promise<StoreWidget>;
  version: string;
}

/** How long the store waits for `/widget.js` to define `window.Pulse` (ms) before saying so. */
const WIDGET_WAIT_MS = 15_000;

/** The widget once it is ready; rejects when `/widget.js` never loaded or failed to mount. */
export async function widgetReady(): Promise<StoreWidget> {
  const deadline = Date.now() + WIDGET_WAIT_MS;
  // `defer` scripts run in order, so the widget's global is normally there already.
  while (!(window as { Pulse?: PulseGlobal }).Pulse) {
    if (Date.now() > deadline) throw new Error('the recommendations widget (/widget.js) did not load');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (window as unknown as { Pulse: PulseGlobal }).Pulse.ready;
}
