import { discountedLines, linesNetTotal } from '../../../engine/contracts/coupon-prices.js';
import type { Coupon } from '../../../engine/contracts/coupons.js';
import { byId, describeError, money, when, type StoreContext } from './dom.js';

/** One cart line as the coupon math needs it. */
interface PricedLine {
  itemId: string;
  quantity: number;
  price: number;
}

/**
 * The coupon field of the cart drawer (members only). "Apply" looks the code up in the member's
 * coupons (`GET /v1/members/me/coupons`) and says in words why one cannot be used (unknown, used,
 * expired); an applicable one shows its discount and the net total in the drawer. The checkout
 * sends the code and the shop decides (gateway/demo-checkout.ts: it redeems the coupon once and
 * prices the order net); the page's preview uses the same arithmetic (contracts/coupon-prices.ts).
 */
export class CouponField {
  readonly #context: StoreContext;
  readonly #form = byId<HTMLFormElement>('coupon-form');
  readonly #input = byId<HTMLInputElement>('coupon-code');
  readonly #note = byId('coupon-note');
  readonly #remove = byId<HTMLButtonElement>('coupon-remove');
  #applied: Coupon | undefined;
  /**
   * The code an unconfirmed checkout sent (cart.ts): the shop may have redeemed it for that
   * checkout's order already, and takes it again for the same checkout, so it is not "used" here.
   */
  held: string | undefined;
  /** Called when the applied coupon changes (the cart re-renders its totals). */
  onChange: () => void = () => undefined;

  constructor(context: StoreContext) {
    this.#context = context;
    this.#form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.apply(this.#input.value);
    });
    this.#remove.addEventListener('click', () => {
      this.clear('');
      this.#input.focus();
    });
  }

  /** The coupon the next checkout sends, if any. */
  get applied(): Coupon | undefined {
    return this.#applied;
  }

  /** Shown to members only; a visitor's page holds no coupon. */
  set visible(visible: boolean) {
    this.#form.hidden = !visible;
    if (!visible) this.clear('');
  }

  /** The lines' total after the applied coupon (the gross total without one). */
  net(lines: readonly PricedLine[]): number {
    return linesNetTotal(this.#applied ? discountedLines(lines, this.#applied) : lines);
  }

  /** Drops the applied coupon, with `message` under the field. */
  clear(message: string, refused = false): void {
    const had = this.#applied !== undefined;
    this.#applied = undefined;
    this.#remove.hidden = true;
    this.#form.dataset.state = refused ? 'refused' : '';
    this.#note.textContent = message;
    this.#input.setAttribute('aria-invalid', String(refused));
    if (had) this.onChange();
  }

  /** Looks `typed` up among the member's coupons and applies it, or says why not. */
  async apply(typed: string): Promise<void> {
    const code = typed.trim().toUpperCase();
    if (!code) {
      this.clear('Type a coupon code first.', true);
      return;
    }
    this.#note.textContent = 'Checking the code…';
    let coupons: Coupon[];
    try {
      ({ coupons } = await this.#context.client.api<{ coupons: Coupon[] }>('GET', '/v1/members/me/coupons'));
    } catch (err) {
      this.clear(`The code could not be checked: ${describeError(err).text}`, true);
      return;
    }
    const coupon = coupons.find((c) => c.code === code);
    if (!coupon) return this.clear(`${code} is not one of your coupons.`, true);
    if (coupon.redeemedAt !== undefined && coupon.code !== this.held)
      return this.clear(
        `This coupon was already used on ${when(coupon.redeemedAt)}${coupon.orderId ? ` (order ${coupon.orderId})` : ''}.`,
        true,
      );
    if (coupon.expiresAt <= Date.now()) return this.clear(`This coupon expired on ${when(coupon.expiresAt)}.`, true);
    this.#applied = coupon;
    this.#input.value = coupon.code;
    this.#input.setAttribute('aria-invalid', 'false');
    this.#remove.hidden = false;
    this.#form.dataset.state = 'applied';
    this.#note.textContent = `${describeCoupon(coupon)} applied; valid until ${when(coupon.expiresAt)}.`;
    this.onChange();
  }
}

/** `20% off` or `$5.00 off`. */
export function describeCoupon(coupon: Pick<Coupon, 'kind' | 'value' | 'discountPercent'>): string {
  return coupon.kind === 'percent' ? `${coupon.discountPercent ?? 0}% off` : `${money.format(coupon.value)} off`;
}
