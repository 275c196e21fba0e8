import type { ConnectionStatus, Promotion, PulseClient, RecommendationList, TrackEvent } from '../client/pulse-client.js';
import { newEventId } from '../client/identity.js';
import { ItemDetails } from './items.js';
import type { PulseWidgetSettings } from './options.js';
import { PulseRecommendationsElement, type Card, type ShownCard } from './strip.js';
import { PulseToastElement } from './toast.js';

/** What `PulseWidget.on` reports. */
export interface PulseWidgetEvents {
  /** A list was drawn: the engine's list and the cards shown (at most `k`). */
  list: { list: RecommendationList; cards: Card[]; version: number };
  /** A promotion arrived (and was shown in the toast). */
  promotion: Promotion;
  /** The widget tracked an event: an impression of cards shown, a click of a card, a view of an opened item (the event carries its id). */
  track: TrackEvent & { id: string };
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

/** Clicks and views whose answering push the widget recognises (the newest ones). */
const OWN_EVENTS_KEPT = 100;

/** A fresh id for one list drawn (`l-` and 24 hex digits), named by its impressions. */
function newListId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `l-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** Clients whose promotions already go to the toast (one subscription per client, however many strips). */
const toasting = new WeakSet<PulseClient>();

/**
 * One "Recommended for you" strip on a PulseClient: the first list on every (re)connect, a new one
 * on every `recommendations` push, and the client's promotions in the toast. What it tracks says
 * what the shopper did: an `impression` (with the list's id and each card's position) for the
 * cards seen on screen, batched as the strip reports them; a `click` when a card is activated; a
 * `view` only of an item the shopper opened (`viewed`, e.g. the product page's own strip via
 * data-item). A card merely shown is never a view: views feed the shopper's taste, history and
 * segments, impressions only the shop's counters.
 */
export class PulseWidget {
  readonly client: PulseClient;
  readonly element: PulseRecommendationsElement;
  readonly #settings: PulseWidgetSettings;
  readonly #details: ItemDetails;
  /** Items whose view this widget tracked on this page (an item opened is one view per page). */
  readonly #viewed = new Set<string>();
  /** Ids of the clicks and views this widget sent lately (at most OWN_EVENTS_KEPT): the pushes answering them. */
  readonly #answered = new Set<string>();
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
    element.onImpression = (shown, listId) => this.#impression(shown, listId);
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
    // A product page: the shopper opened this item (before its strip asks for a list).
    if (settings.item !== undefined) this.viewed(settings.item);
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
    // A push answering the shopper's own click or view is drawn even when a list asked for meanwhile
    // is stamped later: the engine stamps a push with its batch's start, and that other list may
    // have been ranked before the click was applied (a refresh on reconnect racing a resent click).
    const answersShopper = list.cause !== undefined && this.#answered.has(list.cause);
    if (this.#last && !answersShopper && list.generatedAt < this.#last.generatedAt) return;
    this.#last = list;
    // Every list drawn has an id of its own: its impressions name it.
    this.element.render(cards, { ...(list.cause ? { cause: list.cause } : {}), listId: newListId() });
    this.#fire('list', { list, cards, version: this.element.version });
  }

  #select(card: Card): void {
    this.#track({ type: 'click', itemId: card.itemId });
    this.element.dispatchEvent(new CustomEvent('pulse-select', { detail: card, bubbles: true, composed: true }));
  }

  /**
   * The shopper opened `itemId` (its product page, its detail): tracks its `view`, once per item
   * and page. Returns the event's id, or undefined when this page tracked it before.
   */
  viewed(itemId: string): string | undefined {
    if (this.#viewed.has(itemId)) return undefined;
    this.#viewed.add(itemId);
    return this.#track({ type: 'view', itemId });
  }

  /** Cards of one list seen on screen: one impression event with their positions. */
  #impression(shown: ShownCard[], listId: string | undefined): void {
    const items = shown.map(({ card, position }) => ({ itemId: card.itemId, position }));
    this.#track({ type: 'impression', items, ...(listId ? { listId } : {}) });
  }

  /** Sends the event (retried by the client until acked); returns its id. */
  #track(
    event:
      | { type: 'view' | 'click'; itemId: string }
      | { type: 'impression'; listId?: string; items: Array<{ itemId: string; position: number }> },
  ): string {
    const { channel } = this.#settings;
    const tracked = { ...event, id: newEventId(), ...(channel ? { channel } : {}) };
    if (event.type !== 'impression') {
      this.#answered.add(tracked.id);
      if (this.#answered.size > OWN_EVENTS_KEPT) this.#answered.delete(this.#answered.values().next().value!);
    }
    this.#fire('track', tracked);
    const what = event.type === 'impression' ? `${event.items.length} shown items` : event.itemId;
    this.client.track(tracked).catch((err: unknown) => console.warn(`pulse: could not track ${event.type} of ${what}`, err));
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
