import type { Promotion } from '../client/pulse-client.js';
import { TOAST_DEFAULT_MS } from './options.js';
import { el } from '../shared/dom.js';
import { TOAST_CSS } from './styles.js';

/**
 * `<pulse-toast>`: promotions as they arrive, in an open shadow root appended to the body. Each is
 * `[role="status"][data-campaign-id]` (polite live region) with title, message and the coupon code
 * in `[data-coupon]` plus a copy button. The close button or Escape dismisses the newest one; it
 * hides by itself after `hideAfterMs` (0: never) unless the pointer or the focus is on it. The same
 * promotion twice (a reconnect) is shown once.
 */
export class PulseToastElement extends HTMLElement {
  hideAfterMs = TOAST_DEFAULT_MS;
  readonly #root: ShadowRoot;
  readonly #seen = new Set<string>();
  readonly #onKey = (event: KeyboardEvent) => {
    if (event.key !== 'Escape' || event.defaultPrevented) return;
    const newest = this.#root.querySelector('.toast:last-of-type');
    if (newest) this.#dismiss(newest as HTMLElement);
  };

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = TOAST_CSS;
    this.#root.append(style);
  }

  connectedCallback(): void {
    document.addEventListener('keydown', this.#onKey);
  }

  disconnectedCallback(): void {
    document.removeEventListener('keydown', this.#onKey);
  }

  /** Shows an offer (once per promotionId). */
  show(promotion: Promotion): void {
    if (this.#seen.has(promotion.promotionId)) return;
    this.#seen.add(promotion.promotionId);
    const toast = el('div', {
      class: 'toast',
      role: 'status',
      'aria-live': 'polite',
      'aria-atomic': 'true',
      'data-campaign-id': promotion.campaignId,
      'data-promotion-id': promotion.promotionId,
      part: 'toast',
    });
    toast.append(el('h2', {}, promotion.title), el('p', {}, promotion.message));
    if (promotion.coupon) toast.append(this.#coupon(promotion.coupon));
    const close = el('button', { type: 'button', class: 'close', 'aria-label': 'Dismiss offer' }, '×');
    close.addEventListener('click', () => this.#dismiss(toast));
    toast.append(close);
    this.#root.append(toast);
    this.#autoHide(toast);
  }

  /** The offers on screen. */
  get count(): number {
    return this.#root.querySelectorAll('.toast').length;
  }

  #coupon(coupon: NonNullable<Promotion['coupon']>): HTMLElement {
    const box = el('div', { class: 'coupon' });
    const code = el('code', { 'data-coupon': coupon.code }, coupon.code);
    const copy = el('button', { type: 'button', class: 'copy', 'aria-label': `Copy coupon code ${coupon.code}` }, 'Copy');
    const note = el(
      'span',
      { class: 'note', 'aria-live': 'polite' },
      `${coupon.discountPercent}% off · until ${new Date(coupon.expiresAt).toLocaleDateString()}`,
    );
    copy.addEventListener('click', () => {
      void copyText(coupon.code, code).then((ok) => {
        copy.textContent = ok ? 'Copied' : 'Select and copy';
      });
    });
    box.append(code, copy, note);
    return box;
  }

  #autoHide(toast: HTMLElement): void {
    if (this.hideAfterMs <= 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let held = 0;
    const arm = () => {
      clearTimeout(timer);
      if (held === 0) timer = setTimeout(() => this.#dismiss(toast), this.hideAfterMs);
    };
    const hold = () => {
      held++;
      clearTimeout(timer);
    };
    const release = () => {
      held = Math.max(0, held - 1);
      arm();
    };
    toast.addEventListener('pointerenter', hold);
    toast.addEventListener('pointerleave', release);
    toast.addEventListener('focusin', hold);
    toast.addEventListener('focusout', release);
    arm();
  }

  #dismiss(toast: HTMLElement): void {
    toast.remove();
  }
}

/** Copies with the Clipboard API, else selects the code so the shopper can copy it. */
async function copyText(text: string, node: HTMLElement): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const range = document.createRange();
    range.selectNodeContents(node);
    const selection = getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    return false;
  }
}
