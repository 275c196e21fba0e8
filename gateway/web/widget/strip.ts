import { STRIP_CSS } from './styles.js';
import { el } from '../shared/dom.js';

/** One card of the strip: a recommended item with what the catalog says about it. */
export interface Card {
  itemId: string;
  title: string;
  /** Absent when the item's details could not be read (the card shows the id). */
  price?: number;
  category?: string;
  reason?: string;
  score: number;
}

/** What the strip shows while connected, reconnecting or not trying. */
export type StripState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

/** A card the shopper has seen, and its 0-based position in the list drawn. */
export interface ShownCard {
  card: Card;
  position: number;
}

/** How much of a card must be on screen, and for how long, before it counts as shown (the usual impression rule). */
export const IMPRESSION_RATIO = 0.5;
export const IMPRESSION_DWELL_MS = 1000;
/** Cards that pass the rule within this many ms of the first of them are reported together (one impression event). */
export const IMPRESSION_BATCH_MS = 250;

const STATE_TEXT: Record<StripState, string> = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

/**
 * `<pulse-recommendations>`: the "Recommended for you" strip, in an open shadow root. Each card is
 * `li[data-item-id]` holding a button (or a link when `href` is set) with title, price and reason;
 * the list's `data-version` changes on every render, `data-cause` names the event that caused it
 * and `data-list-id` the list. The element only draws and reports: `onSelect` when a card is
 * activated (mouse or keyboard: the shopper opened it), `onImpression` with the cards that have
 * been half visible for a second, each card once per list drawn, gathered over IMPRESSION_BATCH_MS
 * so cards that came into view together are reported together. Seeing a card is not opening it:
 * the strip never reports a view.
 */
export class PulseRecommendationsElement extends HTMLElement {
  /** Called with the card a shopper activated (click, Enter, Space). */
  onSelect: (card: Card) => void = () => undefined;
  /** Called with cards of the list `listId` that have been on screen long enough to count as shown (never twice for one card of one list). */
  onImpression: (shown: ShownCard[], listId: string | undefined) => void = () => undefined;
  /** `{itemId}` in it is replaced by the item's id; cards become links instead of buttons. */
  href: string | undefined;
  price: Intl.NumberFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });

  readonly #list: HTMLOListElement;
  readonly #state: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #empty: HTMLElement;
  readonly #cards = new Map<string, Card>();
  readonly #timers = new Map<Element, ReturnType<typeof setTimeout>>();
  /** Cards of the list drawn now already reported (or waiting in #pending). */
  readonly #shown = new WeakSet<Element>();
  /** Cards shown and not reported yet, and the timer that reports them. */
  #pending: ShownCard[] = [];
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #listId: string | undefined;
  #observer: IntersectionObserver | undefined;
  #version = 0;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STRIP_CSS;
    const section = el('section', { part: 'strip' });
    const head = el('div', { class: 'head' });
    this.#heading = el('h2', { id: 'pulse-recs-heading' }, 'Recommended for you');
    this.#state = el('span', { class: 'state', role: 'status', 'aria-live': 'polite' });
    head.append(this.#heading, this.#state);
    section.setAttribute('aria-labelledby', 'pulse-recs-heading');
    this.#list = el('ol', { part: 'list', 'data-version': '0', 'aria-labelledby': 'pulse-recs-heading' });
    this.#empty = el('p', { class: 'empty' }, 'Loading recommendations…');
    section.append(head, this.#list, this.#empty);
    root.append(style, section);
    root.addEventListener('click', (event) => {
      const li = (event.target as Element | null)?.closest?.('li[data-item-id]');
      const card = li && this.#cards.get(li.getAttribute('data-item-id') ?? '');
      if (card) this.onSelect(card);
    });
    // No host attributes here: createElement forbids them in a custom element's constructor.
    this.#state.textContent = STATE_TEXT.connecting;
  }

  connectedCallback(): void {
    this.dataset.state ??= 'connecting';
    this.#observer ??= new IntersectionObserver((entries) => this.#intersections(entries), { threshold: [0, IMPRESSION_RATIO] });
    for (const li of this.#list.children) this.#observer.observe(li);
  }

  disconnectedCallback(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#flush();
  }

  /** The heading text (default "Recommended for you"). */
  set heading(text: string) {
    this.#heading.textContent = text;
  }

  /** Reflects the connection on the host (`data-state`) and in the status line. */
  setState(state: StripState): void {
    this.dataset.state = state;
    this.#state.textContent = STATE_TEXT[state];
  }

  /** The number of renders so far (the list's `data-version`). */
  get version(): number {
    return this.#version;
  }

  /**
   * Replaces the cards, keeping the focus on a card that stays. `listId` names the list in its
   * impressions; cards of the previous list already shown are reported first, under its id.
   */
  render(cards: Card[], options: { cause?: string; listId?: string } = {}): void {
    const { cause, listId } = options;
    const focused = this.shadowRoot?.activeElement?.closest('li')?.getAttribute('data-item-id');
    this.#observer?.disconnect();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#flush();
    this.#cards.clear();
    this.#listId = listId;
    const items = cards.map((card, position) => {
      this.#cards.set(card.itemId, card);
      const li = this.#card(card);
      li.dataset.position = String(position);
      return li;
    });
    this.#list.replaceChildren(...items);
    this.#list.dataset.version = String(++this.#version);
    if (cause) this.#list.dataset.cause = cause;
    else delete this.#list.dataset.cause;
    if (listId) this.#list.dataset.listId = listId;
    else delete this.#list.dataset.listId;
    this.#empty.textContent = 'Nothing to recommend yet.';
    this.#empty.hidden = cards.length > 0;
    if (this.isConnected) {
      this.#observer = new IntersectionObserver((entries) => this.#intersections(entries), { threshold: [0, IMPRESSION_RATIO] });
      for (const li of items) this.#observer.observe(li);
    }
    if (focused) (this.#list.querySelector(`li[data-item-id="${CSS.escape(focused)}"] .card`) as HTMLElement | null)?.focus();
  }

  #card(card: Card): HTMLLIElement {
    const li = el('li', { 'data-item-id': card.itemId, part: 'item' });
    const action = this.href
      ? el('a', { href: this.href.replace('{itemId}', encodeURIComponent(card.itemId)) })
      : el('button', { type: 'button' });
    action.className = 'card';
    action.append(el('span', { class: 'title' }, card.title));
    if (card.price !== undefined) action.append(el('span', { class: 'price' }, this.price.format(card.price)));
    if (card.reason) action.append(el('span', { class: 'reason' }, card.reason));
    li.append(action);
    return li;
  }

  #intersections(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      const li = entry.target;
      const visible = entry.isIntersecting && entry.intersectionRatio >= IMPRESSION_RATIO;
      const timer = this.#timers.get(li);
      if (!visible) {
        clearTimeout(timer);
        this.#timers.delete(li);
      } else if (timer === undefined && !this.#shown.has(li)) {
        this.#timers.set(
          li,
          setTimeout(() => {
            this.#timers.delete(li);
            if (this.#shown.has(li) || !li.isConnected || document.visibilityState === 'hidden') return;
            const card = this.#cards.get(li.getAttribute('data-item-id') ?? '');
            if (!card) return;
            this.#shown.add(li);
            this.#pending.push({ card, position: Number((li as HTMLElement).dataset.position) });
            this.#flushTimer ??= setTimeout(() => this.#flush(), IMPRESSION_BATCH_MS);
          }, IMPRESSION_DWELL_MS),
        );
      }
    }
  }

  /** Reports the cards shown and not reported yet, in list order, as one batch. */
  #flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.length === 0) return;
    const shown = this.#pending.sort((a, b) => a.position - b.position);
    this.#pending = [];
    this.onImpression(shown, this.#listId);
  }
}
