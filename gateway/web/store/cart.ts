import type { Item } from '../../../engine/contracts/schemas.js';
import { newEventId } from '../client/identity.js';
import { byId, count, describeError, el, money, track, type StoreContext } from './dom.js';
import { keyAfterRefusal, nextCheckout, readPending, type PendingCheckout } from './checkout-key.js';
import { CouponField, describeCoupon } from './coupon-field.js';
import { productArt } from './product-art.js';

/** A cart line: the item as the catalog showed it and how many. */
export interface CartLine {
  item: Item;
  quantity: number;
}

/** A placed order, as the shop's checkout priced it (`POST /demo/checkout`'s answer). */
export interface PlacedOrder {
  orderId: string;
  total: number;
  lines: Array<{ itemId: string; quantity: number; price: number }>;
  /** The shop had placed this order already (a retried checkout). */
  duplicate?: true;
  /** With a coupon: the total at catalog prices, the amount off, and the coupon (`total` is net). */
  subtotal?: number;
  discount?: number;
  coupon?: { code: string; kind: 'value' | 'percent'; value: number; discountPercent?: number };
}

const STORAGE_KEY = 'pulse.store.cart';
const CHECKOUT_KEY = 'pulse.store.checkout';
const MAX_QUANTITY = 99;

/**
 * The cart and its drawer. Every change is an event (CONTRACT "Events"): adding emits
 * `add_to_cart` `{itemId, items: [{itemId, quantity, price}]}` with the quantity added, lowering a
 * quantity or removing a line emits `remove_from_cart` with the quantity taken off.
 *
 * Checkout goes through the shop's own server-side step, `POST /demo/checkout` (gateway/demo-checkout.ts),
 * as a real shop's would: the page sends item ids and quantities only, the shop prices them from
 * its catalog and posts the order with its `shop` token, and that order earns the member's points
 * (total × the tier's rate). The page never holds the shop token nor sets a price. Each checkout
 * carries a key (`checkoutId`) kept until the shop confirms, whatever the cart becomes meanwhile
 * (checkout-key.ts), so a retry (a lost answer, a reload, a failed post and a changed cart) names
 * the same order: it counts once, and a coupon the failed attempt redeemed is still good for it.
 * Then the page emits one `purchase` `{orderId, items}` with the shop's prices: a behaviour
 * signal (taste, bought together), which earns nothing. The lines survive a reload (localStorage `pulse.store.cart`).
 */
export class Cart {
  readonly #context: StoreContext;
  readonly #lines = new Map<string, CartLine>();
  readonly #dialog = byId<HTMLDialogElement>('cart-dialog');
  readonly #list = byId<HTMLUListElement>('cart-lines');
  readonly #total = byId('cart-total');
  readonly #count = byId('cart-count');
  readonly #button = byId<HTMLButtonElement>('cart-button');
  readonly #checkout = byId<HTMLButtonElement>('checkout');
  readonly #note = byId('cart-note');
  readonly #discountRow = byId('cart-discount-row');
  readonly #discount = byId('cart-discount');
  readonly #coupon: CouponField;
  #isMember = false;
  /** Set from the first attempt of a checkout until the shop confirms it (checkout-key.ts). */
  #pending: PendingCheckout | undefined;
  /** Called after the shop placed the order. */
  onPurchase: (order: PlacedOrder) => void = () => undefined;

  constructor(context: StoreContext) {
    this.#context = context;
    this.#coupon = new CouponField(context);
    this.#coupon.onChange = () => this.#render();
    this.#restore();
    this.#button.addEventListener('click', () => this.show());
    byId('cart-close').addEventListener('click', () => this.#dialog.close());
    byId('keep-shopping').addEventListener('click', () => this.#dialog.close());
    this.#dialog.addEventListener('click', (event) => {
      if (event.target === this.#dialog) this.#dialog.close();
    });
    this.#checkout.addEventListener('click', () => void this.checkout());
    this.#render();
  }

  /** The order total now: Σ quantity × price (currency units). */
  get total(): number {
    let total = 0;
    for (const line of this.#lines.values()) total += line.quantity * line.item.price;
    return Math.round(total * 100) / 100;
  }

  /** Whether the shopper is a member (points are earned, coupons apply) — set by the store on identity changes. */
  get isMember(): boolean {
    return this.#isMember;
  }

  set isMember(isMember: boolean) {
    this.#isMember = isMember;
    this.#coupon.visible = isMember;
  }

  /** Opens the drawer. */
  show(): void {
    this.#render();
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  /** Adds `quantity` of `item` (capped at 99 a line) and emits `add_to_cart`. */
  async add(item: Item, quantity: number): Promise<void> {
    const line = this.#lines.get(item.itemId);
    const before = line?.quantity ?? 0;
    const after = Math.min(MAX_QUANTITY, before + quantity);
    if (after === before) return;
    this.#lines.set(item.itemId, { item, quantity: after });
    this.#changed();
    this.#context.status.say(`Added ${after - before} × ${item.title} to the cart (${count.format(this.size)} items).`);
    await track(this.#context, {
      type: 'add_to_cart',
      itemId: item.itemId,
      items: [{ itemId: item.itemId, quantity: after - before, price: item.price }],
    });
  }

  /** Sets a line's quantity (0 removes it), emitting `add_to_cart` or `remove_from_cart` with the difference. */
  async setQuantity(itemId: string, quantity: number): Promise<void> {
    const line = this.#lines.get(itemId);
    if (!line) return;
    const after = Math.max(0, Math.min(MAX_QUANTITY, Math.round(quantity)));
    const delta = after - line.quantity;
    if (delta === 0) return;
    if (after === 0) this.#lines.delete(itemId);
    else this.#lines.set(itemId, { item: line.item, quantity: after });
    this.#changed();
    const { item } = line;
    const type = delta > 0 ? 'add_to_cart' : 'remove_from_cart';
    if (after === 0) this.#context.status.say(`Removed ${item.title} from the cart.`);
    await track(this.#context, { type, itemId, items: [{ itemId, quantity: Math.abs(delta), price: item.price }] });
  }

  /** Items in the cart (sum of quantities). */
  get size(): number {
    let n = 0;
    for (const line of this.#lines.values()) n += line.quantity;
    return n;
  }

  /**
   * Places the order through the shop's checkout; on success empties the cart, emits the
   * `purchase` behaviour signal and tells `onPurchase`. A refusal leaves the cart as it was.
   */
  async checkout(): Promise<void> {
    if (this.#lines.size === 0) return;
    const wanted = [...this.#lines.values()].map(({ item, quantity }) => ({ itemId: item.itemId, quantity }));
    const coupon = this.#coupon.applied;
    // One key until the shop confirms, whatever the cart: a retry names the same order (checkout-key.ts).
    const pending = nextCheckout(this.#pending, coupon?.code, () => `c${newEventId().slice(1)}`);
    this.#setPending(pending);
    this.#checkout.disabled = true;
    this.#note.textContent = 'Placing your order…';
    let order: PlacedOrder;
    try {
      order = await this.#context.client.api<PlacedOrder>('POST', '/demo/checkout', {
        checkoutId: pending.checkoutId,
        lines: wanted,
        ...(coupon ? { couponCode: coupon.code } : {}),
      });
    } catch (err) {
      const refusal = describeError(err);
      // A coupon the shop refused (used meanwhile, expired): drop it, so the next try goes without it.
      if (coupon && refusal.code.startsWith('coupon_')) this.#coupon.clear(`The coupon was refused: ${refusal.text}`, true);
      const kept = keyAfterRefusal(pending, refusal.code);
      this.#setPending(kept);
      this.#note.textContent = kept
        ? `The order could not be placed: ${refusal.text}. Your cart is unchanged.`
        : `An earlier attempt of this checkout was placed already with other items (${refusal.text}): see your history. Check out again to order this cart.`;
      this.#checkout.disabled = false;
      return;
    }
    this.#setPending(undefined);
    this.#lines.clear();
    if (order.coupon) this.#coupon.clear(`${order.coupon.code} was used on order ${order.orderId}.`);
    this.#changed();
    const saved = order.coupon && order.discount ? `, ${money.format(order.discount)} saved with ${describeCoupon(order.coupon)}` : '';
    this.#note.textContent = `Thank you! Order ${order.orderId} is placed (${money.format(order.total)}${saved}).${this.isMember ? ' Your points are being credited.' : ''}`;
    this.#context.status.say(`Order ${order.orderId} placed: ${money.format(order.total)}.`);
    // What was bought, at the shop's prices: taste and "bought together" (no points; the order has them).
    void track(this.#context, { id: `purchase-${order.orderId}`, type: 'purchase', orderId: order.orderId, items: order.lines });
    this.onPurchase(order);
  }

  #changed(): void {
    this.#save();
    this.#render();
  }

  #render(): void {
    const n = this.size;
    this.#count.textContent = count.format(n);
    this.#count.hidden = n === 0;
    this.#button.setAttribute('aria-label', `Cart, ${n} ${n === 1 ? 'item' : 'items'}`);
    const lines = [...this.#lines.values()];
    const net = this.#coupon.net(lines.map(({ item, quantity }) => ({ itemId: item.itemId, quantity, price: item.price })));
    this.#total.textContent = money.format(net);
    this.#total.dataset.value = String(net);
    this.#discountRow.hidden = net === this.total;
    this.#discount.textContent = `−${money.format(Math.round((this.total - net) * 100) / 100)}`;
    this.#checkout.disabled = n === 0;
    // Re-rendering replaces the line's buttons: keep the keyboard where it was (or on the drawer's heading).
    const focused = this.#list.contains(document.activeElement) ? (document.activeElement as HTMLElement).dataset.focus : undefined;
    if (lines.length > 0)
      this.#note.textContent = this.isMember ? 'Members earn points on every order.' : 'Log in or register to earn points on this order.';
    this.#list.replaceChildren(
      ...(lines.length === 0 ? [el('li', { class: 'empty' }, 'Your cart is empty.')] : lines.map((line) => this.#line(line))),
    );
    if (focused !== undefined) {
      const again = this.#list.querySelector<HTMLElement>(`[data-focus="${CSS.escape(focused)}"]`);
      if (again && !(again as HTMLButtonElement).disabled) again.focus();
      else (this.#checkout.disabled ? byId('cart-close') : this.#checkout).focus();
    }
  }

  #line({ item, quantity }: CartLine): HTMLLIElement {
    const id = `qty-${item.itemId}`;
    const input = el('input', {
      id,
      type: 'number',
      inputmode: 'numeric',
      min: 0,
      max: MAX_QUANTITY,
      value: quantity,
      class: 'qty',
      'data-focus': `qty:${item.itemId}`,
    });
    input.addEventListener('change', () => {
      const n = Number(input.value);
      if (Number.isFinite(n)) void this.setQuantity(item.itemId, n);
      else input.value = String(quantity);
    });
    const minus = el(
      'button',
      { type: 'button', class: 'button icon', 'aria-label': `One less ${item.title}`, 'data-focus': `less:${item.itemId}` },
      '−',
    );
    minus.addEventListener('click', () => void this.setQuantity(item.itemId, quantity - 1));
    const plus = el(
      'button',
      {
        type: 'button',
        class: 'button icon',
        'aria-label': `One more ${item.title}`,
        'data-focus': `more:${item.itemId}`,
        disabled: quantity >= MAX_QUANTITY,
      },
      '+',
    );
    plus.addEventListener('click', () => void this.add(item, 1));
    const remove = el('button', { type: 'button', class: 'button link', 'aria-label': `Remove ${item.title} from the cart` }, 'Remove');
    remove.addEventListener('click', () => void this.setQuantity(item.itemId, 0));
    return el(
      'li',
      { class: 'cart-line', 'data-item-id': item.itemId },
      productArt(item.category, 56),
      el(
        'div',
        { class: 'cart-line-info' },
        el('p', { class: 'cart-line-title' }, item.title),
        el('p', { class: 'muted' }, `${money.format(item.price)} each`),
        remove,
      ),
      el(
        'div',
        { class: 'cart-line-qty' },
        el('label', { for: id, class: 'visually-hidden' }, `Quantity of ${item.title}`),
        minus,
        input,
        plus,
      ),
      el('p', { class: 'cart-line-sum' }, money.format(item.price * quantity)),
    );
  }

  #save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify([...this.#lines.values()]));
    } catch {
      // Private mode or a full storage: the cart lasts as long as the page.
    }
  }

  #setPending(pending: PendingCheckout | undefined): void {
    this.#pending = pending;
    // A coupon a pending attempt sent may be redeemed for its order: it can be applied again.
    this.#coupon.held = pending?.couponCode;
    try {
      if (this.#pending) localStorage.setItem(CHECKOUT_KEY, JSON.stringify(this.#pending));
      else localStorage.removeItem(CHECKOUT_KEY);
    } catch {
      // No storage: the key lasts as long as the page.
    }
  }

  #restore(): void {
    try {
      this.#pending = readPending(JSON.parse(localStorage.getItem(CHECKOUT_KEY) ?? 'null'));
      this.#coupon.held = this.#pending?.couponCode;
    } catch {
      // An unreadable entry: the next checkout gets a new key.
    }
    try {
      const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as unknown;
      if (!Array.isArray(saved)) return;
      for (const line of saved as CartLine[]) {
        if (
          line &&
          typeof line.item?.itemId === 'string' &&
          typeof line.item.price === 'number' &&
          Number.isInteger(line.quantity) &&
          line.quantity > 0
        ) {
          this.#lines.set(line.item.itemId, { item: line.item, quantity: Math.min(MAX_QUANTITY, line.quantity) });
        }
      }
    } catch {
      // An unreadable entry: start with an empty cart.
    }
  }
}
