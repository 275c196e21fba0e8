import type { Item, RecommendationList } from '../../../engine/contracts/schemas.js';
import { byId, categoryLabel, el, money, track, type StoreContext } from './dom.js';
import { productArt } from './product-art.js';

/** How many similar items the detail shows. */
const SIMILAR_K = 4;

/** What the detail needs from the rest of the store. */
export interface ProductDialogActions {
  item(itemId: string): Promise<Item>;
  addToCart(item: Item, quantity: number): void;
}

/**
 * The product detail, a modal `<dialog>` (focus moves in and back, Escape closes): picture, brand,
 * category, price, tags, a quantity field and "Add to cart", and similar items from
 * `GET /v1/items/:itemId/similar`. Opening it emits a `view` event of the item.
 */
export class ProductDialog {
  readonly #context: StoreContext;
  readonly #actions: ProductDialogActions;
  readonly #dialog = byId<HTMLDialogElement>('product-dialog');
  readonly #body = byId('product-body');
  /** The item shown; a late similar-items answer for an earlier one is dropped. */
  #current: string | undefined;

  constructor(context: StoreContext, actions: ProductDialogActions) {
    this.#context = context;
    this.#actions = actions;
    byId('product-close').addEventListener('click', () => this.#dialog.close());
    // A click on the backdrop (outside the panel) closes, as people expect of a modal.
    this.#dialog.addEventListener('click', (event) => {
      if (event.target === this.#dialog) this.#dialog.close();
    });
  }

  /** Shows `item` and emits its `view` event. */
  open(item: Item): void {
    this.#current = item.itemId;
    this.#render(item);
    if (!this.#dialog.open) this.#dialog.showModal();
    byId('product-title').focus();
    void track(this.#context, { type: 'view', itemId: item.itemId });
    void this.#similar(item.itemId);
  }

  /** Opens an item known only by id (a recommendation card, a similar item). */
  async openId(itemId: string): Promise<void> {
    try {
      this.open(await this.#actions.item(itemId));
    } catch (err) {
      this.#context.status.say(`That product is not available: ${err instanceof Error ? err.message : String(err)}`, 'error');
    }
  }

  #render(item: Item): void {
    const soldOut = item.inStock === false;
    const quantity = el('input', {
      id: 'product-quantity',
      type: 'number',
      inputmode: 'numeric',
      min: 1,
      max: 99,
      value: 1,
      required: true,
      disabled: soldOut,
    });
    const add = el('button', { type: 'submit', class: 'button primary', disabled: soldOut }, soldOut ? 'Sold out' : 'Add to cart');
    const form = el('form', { class: 'buy-form' }, el('label', { for: 'product-quantity' }, 'Quantity'), quantity, add);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const n = Number(quantity.value);
      if (!Number.isInteger(n) || n < 1 || n > 99) {
        quantity.setCustomValidity('Enter a whole number from 1 to 99.');
        quantity.reportValidity();
        return;
      }
      quantity.setCustomValidity('');
      this.#actions.addToCart(item, n);
      this.#dialog.close();
    });
    quantity.addEventListener('input', () => quantity.setCustomValidity(''));
    const tags = (item.tags ?? []).map((tag) => el('li', {}, tag));
    this.#body.replaceChildren(
      el('div', { class: 'detail-art' }, productArt(item.category, 220)),
      el(
        'div',
        { class: 'detail-info' },
        el('p', { class: 'eyebrow' }, [item.brand, categoryLabel(item.category)].filter(Boolean).join(' · ')),
        el('h2', { id: 'product-title', tabindex: -1 }, item.title),
        el('p', { class: 'detail-price' }, money.format(item.price)),
        el('p', { class: soldOut ? 'stock out' : 'stock' }, soldOut ? 'Out of stock' : 'In stock, ships in 1–2 days'),
        item.minTier && item.minTier !== 'regular'
          ? el('p', { class: `badge tier-${item.minTier}` }, `Members' ${item.minTier === 'vip' ? 'VIP' : 'Enterprise'} selection`)
          : null,
        tags.length > 0 ? el('ul', { class: 'tags', 'aria-label': 'Tags' }, ...tags) : null,
        form,
        el(
          'section',
          { class: 'similar', 'aria-labelledby': 'similar-heading' },
          el('h3', { id: 'similar-heading' }, 'Similar products'),
          el('ul', { id: 'similar-list', class: 'similar-list' }, el('li', { class: 'muted' }, 'Loading…')),
        ),
      ),
    );
  }

  async #similar(itemId: string): Promise<void> {
    const list = () => document.getElementById('similar-list');
    try {
      const similar = await this.#context.client.api<RecommendationList>(
        'GET',
        `/v1/items/${encodeURIComponent(itemId)}/similar?k=${SIMILAR_K}`,
      );
      const items = await Promise.all(similar.items.map((rec) => this.#actions.item(rec.itemId).catch(() => undefined)));
      if (this.#current !== itemId) return;
      const shown = items.filter((item): item is Item => item !== undefined);
      list()?.replaceChildren(
        ...(shown.length === 0 ? [el('li', { class: 'muted' }, 'Nothing similar yet.')] : shown.map((item) => this.#similarCard(item))),
      );
    } catch {
      if (this.#current === itemId) list()?.replaceChildren(el('li', { class: 'muted' }, 'Similar products are unavailable right now.'));
    }
  }

  #similarCard(item: Item): HTMLLIElement {
    const button = el(
      'button',
      { type: 'button', class: 'similar-card' },
      productArt(item.category, 40),
      el('span', {}, el('span', { class: 'similar-title' }, item.title), el('span', { class: 'price' }, money.format(item.price))),
    );
    button.addEventListener('click', () => this.open(item));
    return el('li', {}, button);
  }
}
