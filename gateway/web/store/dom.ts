import type { PulseClient } from '../client/pulse-client.js';

/** DOM helpers shared by the storefront's modules: element building, formats, the status line. */

export { byId, el } from '../shared/dom.js';
export { count, money, when } from './format.js';

/** `electronics/tv` -> `TV`, `home/lamps` -> `Lamps` (the last level, capitalised; short words upper-cased). */
export function categoryLabel(category: string): string {
  const leaf = category.split('/').filter(Boolean).pop() ?? category;
  return leaf.length <= 2 ? leaf.toUpperCase() : leaf.charAt(0).toUpperCase() + leaf.slice(1);
}

/**
 * A refused call as a shopper reads it: the API's message and its stable code, e.g. "… (invalid_credentials)".
 * Checked by shape, not `instanceof`: the client's errors come from the widget's bundle, whose
 * PulseClientError class is another copy than this bundle's.
 */
export function describeError(err: unknown): { code: string; text: string } {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && code !== '') return { code, text: `${message} (${code})` };
  return { code: 'error', text: message };
}

/** The page's polite status line (aria-live): what just happened, for screen readers and everyone else. */
export class StatusLine {
  readonly #node: HTMLElement;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(node: HTMLElement) {
    this.#node = node;
  }

  /** Shows `text` (kind `error` in red) and clears it after `ms` (0 keeps it). */
  say(text: string, kind: 'info' | 'error' = 'info', ms = 6000): void {
    clearTimeout(this.#timer);
    this.#node.textContent = text;
    this.#node.dataset.kind = kind;
    this.#node.hidden = false;
    if (ms > 0) {
      this.#timer = setTimeout(() => {
        this.#node.hidden = true;
        this.#node.textContent = '';
      }, ms);
    }
  }
}

/** Everything the storefront's parts share: the page's one client and its status line. */
export interface StoreContext {
  client: PulseClient;
  status: StatusLine;
}

/** Sends an event on the page's socket with the storefront's channel; failures go to the status line. */
export async function track(context: StoreContext, event: Parameters<PulseClient['track']>[0]): Promise<boolean> {
  try {
    await context.client.track({ channel: 'web', ...event });
    return true;
  } catch (err) {
    context.status.say(`Could not send the ${event.type} event: ${describeError(err).text}`, 'error');
    return false;
  }
}
