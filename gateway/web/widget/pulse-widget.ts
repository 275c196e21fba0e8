import type { ConnectionStatus, Promotion, PulseClient, RecommendationList, TrackEvent } from '../client/pulse-client.js';
import { newEventId } from '../client/identity.js';
import { ItemDetails } from './items.js';
import { PulseRecommendationsElement, type Card } from './strip.js';
import { PulseToastElement } from './toast.js';

/** What `PulseWidget.on` reports. */
export interface PulseWidgetEvents {
  /** A list was drawn: the engine's list and the cards shown (at most `k`). */
  list: { list: RecommendationList; cards: Card[]; version: number };
  /** A promotion arrived (and was shown in the toast). */
  promotion: Promotion;
  /** The widget tracked a view or a click of one of its cards (the event carries its id). */
  track: TrackEvent & { id: string };
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
}

const ELEMENTS = { strip: 'pulse-recommendations', toast: 'pulse-toast' } as const;

/** Registers the two custom elements (once per page, even when the script is loaded twice). */
export function defineElements(): void {
  if (!customElements.get(ELEMENTS.strip)) customElements.define(ELEMENTS.strip, PulseRecommendationsElement);
  if (!customElements.get(ELEMENTS.toast)) customElements.define(ELEMENTS.toast, PulseToastElement);
}

/** The page's one toast element, created on first use. */
function toastElement(hideAfterMs: number): PulseToastElement {
  let toast = document.querySelector(ELEMENTS.toast) as PulseToastElement | null;
  if (!toast) {
    toast = document.createElement(ELEMENTS.toast) as PulseToastElement;
    document.body.append(toast);
  }
  toast.hideAfterMs = hideAfterMs;
  return toast;
}

/** Clients whose promotions already go to the toast (one subscription per client, however many strips). */
const toasting = new WeakSet<PulseClient>();

/**
 * One "Recommended for you" strip on a PulseClient: the first list on every (re)connect, a new one
 * on every `recommendations` push, a `view` event once per item and page when a card has been seen,
 * a `click` event when a card is activated, and the client's promotions in the toast.
 */
export class PulseWidget {
  readonly client: PulseClient;
  readonly element: PulseRecommendationsElement;
  readonly #settings: PulseWidgetSettings;
  readonly #details: ItemDetails;
  readonly #viewed = new Set<string>();
  /** Ids of the view events this widget sent: lists they cause are drawn in place (no new views of what is on screen). */
  readonly #ownViews = new Set<string>();
  readonly #handlers = new Map<keyof PulseWidgetEvents, Set<(value: never) => void>>();
  readonly #unsubscribe: Array<() => void> = [];
  /** The list drawn last: a list generated before it (a slow answer, a late push) is never drawn over it. */
  #last: RecommendationList | undefined;

  constructor(client: PulseClient, element: PulseRecommendationsElement, settings: PulseWidgetSettings) {
    this.client = client;
    this.element = element;
    this.#settings = settings;
    this.#details = new ItemDetails(client);
    if (settings.href !== undefined) element.href = settings.href;
    if (settings.heading !== undefined) element.heading = settings.heading;
    element.price = new Intl.NumberFormat(undefined, { style: 'currency', currency: settings.currency });
    element.onSelect = (card) => this.#select(card);
    element.onView = (card) => this.#view(card);
    element.setState(client.status);
    this.#unsubscribe.push(
      client.on('status', (status) => this.#status(status)),
      client.on('recommendations', (list) => void this.#show(list)),
      client.on('identity', () => {
        this.#details.clear();
        this.#viewed.clear();
        this.#last = undefined; // another shopper: their lists start afresh
      }),
    );
    if (!toasting.has(client)) {
      toasting.add(client);
      client.on('promotion', (promotion) => toastElement(settings.toastMs).show(promotion));
    }
    this.#unsubscribe.push(client.on('promotion', (promotion) => this.#fire('promotion', promotion)));
    if (client.connected) this.#refreshQuietly();
  }

  /** The list drawn last, if any. */
  get list(): RecommendationList | undefined {
    return this.#last;
  }

  /** Asks for the list now and draws it (also done on every connect and reconnect). */
  async refresh(): Promise<void> {
    const { k, channel } = this.#settings;
    await this.#show(await this.client.recommend({ k, ...(channel ? { channel } : {}) }));
  }

  /** Listens to the widget's lists, promotions and tracked events; returns the function that stops listening. */
  on<K extends keyof PulseWidgetEvents>(event: K, handler: (value: PulseWidgetEvents[K]) => void): () => void {
    let set = this.#handlers.get(event);
    if (!set) this.#handlers.set(event, (set = new Set()));
    set.add(handler as (value: never) => void);
    return () => void set.delete(handler as (value: never) => void);
  }

  /** Removes the strip and stops listening (the client and its socket stay). */
  destroy(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
    this.element.remove();
  }

  #status(status: ConnectionStatus): void {
    this.element.setState(status);
    // Every (re)connect: the list may have changed while we were away (and the identity may be new).
    if (status === 'connected') this.#refreshQuietly();
  }

  #refreshQuietly(): void {
    this.refresh().catch((err: unknown) => console.warn('pulse: could not refresh the recommendations', err));
  }

  async #show(list: RecommendationList): Promise<void> {
    const cards = await this.#details.cards(list.items, this.#settings.k);
    if (this.#last && list.generatedAt < this.#last.generatedAt) return;
    this.#last = list;
    this.element.render(cards, { ...(list.cause ? { cause: list.cause } : {}), inPlace: list.cause !== undefined && this.#ownViews.has(list.cause) });
    this.#fire('list', { list, cards, version: this.element.version });
  }

  #select(card: Card): void {
    this.#track({ type: 'click', itemId: card.itemId });
    this.element.dispatchEvent(new CustomEvent('pulse-select', { detail: card, bubbles: true, composed: true }));
  }

  #view(card: Card): void {
    if (this.#viewed.has(card.itemId)) return;
    this.#viewed.add(card.itemId);
    this.#ownViews.add(this.#track({ type: 'view', itemId: card.itemId }));
  }

  /** Sends the event (retried by the client until acked); returns its id. */
  #track(event: { type: 'view' | 'click'; itemId: string }): string {
    const { channel } = this.#settings;
    const tracked = { ...event, id: newEventId(), ...(channel ? { channel } : {}) };
    this.#fire('track', tracked);
    this.client.track(tracked).catch((err: unknown) => console.warn(`pulse: could not track ${event.type} of ${event.itemId}`, err));
    return tracked.id;
  }

  #fire<K extends keyof PulseWidgetEvents>(event: K, value: PulseWidgetEvents[K]): void {
    for (const handler of this.#handlers.get(event) ?? []) {
      try {
        (handler as (value: PulseWidgetEvents[K]) => void)(value);
      } catch (err) {
        console.error(`pulse: ${event} handler failed`, err);
      }
    }
  }
}
