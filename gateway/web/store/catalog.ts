import type { Item } from '../../../engine/contracts/schemas.js';
import { byId, categoryLabel, count, describeError, el, money, track, type StoreContext } from './dom.js';
import { productArt } from './product-art.js';

/** One page of `GET /v1/items` (CONTRACT "Catalog"; paging and filters in gateway/http-routes.ts). */
export interface CatalogPage {
  items: Item[];
  total: number;
  /** Every leaf category the caller's tier may see. */
  categories: string[];
}

/** Cards per page (the API allows 1..200): fewer on a phone, where they stack two by two. */
const PAGE_SIZE = globalThis.matchMedia?.('(max-width: 640px)').matches ? 12 : 24;

/** What the grid asks of the rest of the store. */
export interface CatalogActions {
  open(item: Item): void;
  addToCart(item: Item, quantity: number): void;
}

/**
 * The product grid: `GET /v1/items` paged (`limit`, `offset`), scoped by the category chips
 * (`category`: a department like `home` holds all of `home/*`) and by the search box (`query`:
 * the engine's BM25 text search over titles, brands, categories and tags, best match first). The
 * API filters by the shopper's tier, so a member sees the VIP items their tier may see; after a
 * login or a tier change `reload()` asks again. A submitted search also emits the contract's
 * `search` event with the query (it feeds the shopper's taste and the campaigns' triggers).
 */
export class Catalog {
  readonly #context: StoreContext;
  readonly #actions: CatalogActions;
  readonly #items = new Map<string, Item>();
  readonly #grid = byId<HTMLUListElement>('products');
  readonly #note = byId('catalog-note');
  readonly #heading = byId('catalog-heading');
  readonly #more = byId<HTMLButtonElement>('more');
  readonly #departments = byId<HTMLUListElement>('departments');
  readonly #subcategories = byId<HTMLUListElement>('subcategories');
  readonly #searchForm = byId<HTMLFormElement>('search');
  readonly #query = byId<HTMLInputElement>('query');
  readonly #clear = byId<HTMLButtonElement>('clear-search');
  #categories: string[] = [];
  #category = '';
  #search = '';
  #offset = 0;
  #total = 0;
  /** Only the newest request renders: quick chip clicks must not interleave pages. */
  #seq = 0;

  constructor(context: StoreContext, actions: CatalogActions) {
    this.#context = context;
    this.#actions = actions;
    this.#searchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search(this.#query.value);
    });
    this.#clear.addEventListener('click', () => {
      this.#query.value = '';
      void this.search('');
      this.#query.focus();
    });
    this.#more.addEventListener('click', () => void this.load(true));
  }

  /** An item seen on a page so far (for the cart and the recommendations), if any. */
  known(itemId: string): Item | undefined {
    return this.#items.get(itemId);
  }

  /** The item from the page cache or `GET /v1/items/:itemId` (which applies the tier rules too). */
  async item(itemId: string): Promise<Item> {
    const cached = this.#items.get(itemId);
    if (cached) return cached;
    const item = await this.#context.client.api<Item>('GET', `/v1/items/${encodeURIComponent(itemId)}`);
    this.#items.set(item.itemId, item);
    return item;
  }

  /** Runs a search (an empty query shows the whole catalog again); emits `search` for a non-empty one. */
  async search(raw: string): Promise<void> {
    const query = raw.trim().slice(0, 200);
    this.#search = query;
    this.#clear.hidden = query === '';
    const loaded = this.load(false);
    if (query !== '') await track(this.#context, { type: 'search', query });
    await loaded;
  }

  /** Shows `category` ('' = everything); a department (`home`) includes its subcategories. */
  async choose(category: string): Promise<void> {
    this.#category = category;
    this.#renderChips();
    await this.load(false);
  }

  /** Page one again with the current filters (after a login or a tier change: the visible items may differ). */
  reload(): Promise<void> {
    this.#items.clear();
    return this.load(false);
  }

  /** Loads the first page (replacing the grid) or, with `append`, the next one. */
  async load(append: boolean): Promise<void> {
    const seq = ++this.#seq;
    const offset = append ? this.#offset : 0;
    const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
    if (this.#category) params.set('category', this.#category);
    if (this.#search) params.set('query', this.#search);
    this.#grid.setAttribute('aria-busy', 'true');
    if (!append) this.#note.textContent = 'Loading products…';
    try {
      const page = await this.#context.client.api<CatalogPage>('GET', `/v1/items?${params}`);
      if (seq !== this.#seq) return;
      for (const item of page.items) this.#items.set(item.itemId, item);
      const cards = page.items.map((item) => this.#card(item));
      if (append) this.#grid.append(...cards);
      else this.#grid.replaceChildren(...cards);
      this.#offset = offset + page.items.length;
      this.#total = page.total;
      if (page.categories.join('\n') !== this.#categories.join('\n')) {
        this.#categories = page.categories;
        this.#renderChips();
      }
      this.#describe();
      this.#more.hidden = this.#offset >= this.#total;
      if (append) (cards[0]?.querySelector('button') as HTMLButtonElement | null)?.focus();
    } catch (err) {
      if (seq === this.#seq) this.#note.textContent = `The catalog is unavailable: ${describeError(err).text}`;
    } finally {
      if (seq === this.#seq) this.#grid.removeAttribute('aria-busy');
    }
  }

  #describe(): void {
    const scope = this.#category ? categoryLabel(this.#category) : 'All products';
    this.#heading.textContent = this.#search ? `Results for “${this.#search}”` : scope;
    const where = this.#search && this.#category ? ` in ${categoryLabel(this.#category)}` : '';
    const shown = `${count.format(this.#offset)} of ${count.format(this.#total)}`;
    this.#note.textContent = this.#total === 0 ? `No products match${where}.` : `Showing ${shown} products${where}`;
  }

  /** Department chips (`All`, `Electronics`, …) and, under a chosen department, its subcategories. */
  #renderChips(): void {
    const departments = [...new Set(this.#categories.map((c) => c.split('/')[0]!))].sort();
    const department = this.#category.split('/')[0] ?? '';
    this.#departments.replaceChildren(
      this.#chip('All', '', this.#category === ''),
      ...departments.map((d) => this.#chip(categoryLabel(d), d, department === d)),
    );
    const leaves = this.#categories.filter((c) => department !== '' && c.startsWith(`${department}/`));
    this.#subcategories.hidden = leaves.length === 0;
    this.#subcategories.replaceChildren(
      ...(leaves.length === 0
        ? []
        : [
            this.#chip(`All ${categoryLabel(department)}`, department, this.#category === department),
            ...leaves.map((c) => this.#chip(categoryLabel(c), c, this.#category === c)),
          ]),
    );
  }

  #chip(label: string, value: string, pressed: boolean): HTMLLIElement {
    const button = el('button', { type: 'button', class: 'chip', 'aria-pressed': String(pressed), 'data-category': value }, label);
    button.addEventListener('click', () => void this.choose(value));
    return el('li', {}, button);
  }

  #card(item: Item): HTMLLIElement {
    const soldOut = item.inStock === false;
    const open = el(
      'button',
      { type: 'button', class: 'card-open', 'aria-label': `${item.title}, ${money.format(item.price)}: details` },
      productArt(item.category),
      el('span', { class: 'card-title' }, item.title),
    );
    open.addEventListener('click', () => this.#actions.open(item));
    const add = el(
      'button',
      { type: 'button', class: 'button primary small', 'aria-label': `Add ${item.title} to the cart`, disabled: soldOut },
      soldOut ? 'Sold out' : 'Add to cart',
    );
    add.addEventListener('click', () => this.#actions.addToCart(item, 1));
    const badges = el(
      'span',
      { class: 'badges' },
      item.minTier && item.minTier !== 'regular'
        ? el('span', { class: `badge tier-${item.minTier}` }, `${item.minTier === 'vip' ? 'VIP' : 'Enterprise'} only`)
        : null,
      soldOut ? el('span', { class: 'badge muted-badge' }, 'Out of stock') : null,
    );
    return el(
      'li',
      { 'data-item-id': item.itemId },
      el(
        'article',
        { class: 'card' },
        open,
        badges,
        el('p', { class: 'card-brand' }, item.brand ?? categoryLabel(item.category)),
        el('div', { class: 'card-foot' }, el('span', { class: 'price' }, money.format(item.price)), add),
      ),
    );
  }
}
