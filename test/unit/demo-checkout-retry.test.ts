import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { checkoutOrderId } from '../../gateway/demo-checkout.js';
import { keyAfterRefusal, nextCheckout, readPending, type PendingCheckout } from '../../gateway/web/store/checkout-key.js';
import type { Harness } from './gateway-harness.js';
import { startCheckoutShop, type CheckoutShop } from './demo-checkout-shop.js';

const CATALOG: Item[] = [
  { itemId: 'lamp-1', title: 'Desk lamp', category: 'home/lamps', price: 20 },
  { itemId: 'mug-2', title: 'Mug', category: 'kitchen', price: 5 },
];
const DAY = 86_400_000;

/**
 * Issue 16, the coupon gap at checkout: the demo checkout redeems the coupon for the checkout's
 * order, then posts the order. When that post fails (here: a fake `orders.accept` that fails
 * once), the coupon stays redeemed for that order id. The storefront keeps its checkout key until
 * the shop confirms, whatever the cart becomes (web/store/checkout-key.ts), so the retry with a
 * changed cart names the same order and the shop goes on with the first attempt's redemption;
 * a new key (what the page did before for a changed cart) is refused `coupon_used`.
 */
describe('demo checkout: a failed order post, then a retry with a changed cart', () => {
  let h: Harness;
  let failNext = 0;
  let coupons: CheckoutShop['coupons'];
  let campaigns: CheckoutShop['campaigns'];
  let orders: CheckoutShop['orders'];
  let checkout: CheckoutShop['checkout'];
  const codeOf = (res: { body: unknown }) => (res.body as { error?: { code?: string } }).error?.code ?? '';
  let seq = 0;
  const fresh = () => `c-retry-${String(++seq).padStart(6, '0')}`;

  beforeAll(async () => {
    // The engine's orders call fails `failNext` times (the engine did not answer), then accepts as the engine does.
    ({ h, coupons, campaigns, orders, checkout } = await startCheckoutShop(CATALOG, ['r-1', 'r-2'], () => {
      if (failNext > 0) {
        failNext--;
        throw new PulseError(ErrorCodes.unavailable, 'the order service did not answer');
      }
    }));
  });
  afterAll(() => h?.close());

  it('uses the coupon the failed attempt redeemed for the retried checkout, once', async () => {
    await coupons.issue({
      code: 'RETRYAAAA23456',
      memberId: 'r-1',
      kind: 'percent',
      value: 0,
      discountPercent: 10,
      expiresAt: Date.now() + DAY,
      createdAt: Date.now(),
      source: { type: 'campaign', id: 'retry-sale' },
    });
    const member = await h.token('member', 'r-1');
    const code = 'RETRYAAAA23456';

    // First attempt: two lamps; the coupon is redeemed, the order post fails.
    const first = nextCheckout(undefined, code, fresh);
    failNext = 1;
    const failed = await checkout(member, { checkoutId: first.checkoutId, lines: [{ itemId: 'lamp-1', quantity: 2 }], couponCode: code });
    expect([failed.status, codeOf(failed)]).toEqual([503, 'unavailable']);
    expect(orders()).toHaveLength(0);
    const orderId = checkoutOrderId('r-1', first.checkoutId);
    expect((await coupons.list('r-1', 10))[0]).toMatchObject({ code, orderId });

    // The page keeps its key after that refusal, also for a changed cart and when the coupon field was emptied.
    const kept = keyAfterRefusal(first, codeOf(failed));
    expect(kept).toEqual({ checkoutId: first.checkoutId, couponCode: code });
    const retry = nextCheckout(kept, code, fresh);
    expect(retry.checkoutId).toBe(first.checkoutId);
    expect(nextCheckout(kept, undefined, fresh)).toEqual(retry);

    // A new key for the changed cart would be another order: refused, nothing ordered.
    const changed = [
      { itemId: 'lamp-1', quantity: 1 },
      { itemId: 'mug-2', quantity: 2 },
    ];
    const other = await checkout(member, { checkoutId: fresh(), lines: changed, couponCode: code });
    expect([other.status, codeOf(other)]).toEqual([409, 'coupon_used']);
    expect(orders()).toHaveLength(0);

    // The retry with the kept key: the changed cart, 10% off, the one redemption.
    const placed = await checkout(member, { checkoutId: retry.checkoutId, lines: changed, couponCode: code });
    expect([placed.status, placed.body]).toMatchObject([
      201,
      { orderId, subtotal: 30, total: 27, discount: 3, coupon: { code, discountPercent: 10 } },
    ]);
    await expect.poll(() => orders().length).toBe(1);
    expect(orders()[0]).toMatchObject({
      orderId,
      userId: 'r-1',
      lines: [
        { itemId: 'lamp-1', quantity: 1, price: 18 },
        { itemId: 'mug-2', quantity: 2, price: 4.5 },
      ],
    });
    expect((await campaigns.counts('retry-sale')).redeemed).toBe(1);
  });

  it('drops the key only when the order route says its order was placed with other lines', async () => {
    const member = await h.token('member', 'r-2');
    const first = nextCheckout(undefined, undefined, fresh);
    const placed = await checkout(member, { checkoutId: first.checkoutId, lines: [{ itemId: 'mug-2', quantity: 1 }] });
    expect(placed.status).toBe(201);
    // The answer was lost; the shopper added a lamp and checks out again with the kept key.
    const again = await checkout(member, {
      checkoutId: nextCheckout(first, undefined, fresh).checkoutId,
      lines: [
        { itemId: 'mug-2', quantity: 1 },
        { itemId: 'lamp-1', quantity: 1 },
      ],
    });
    expect([again.status, codeOf(again)]).toEqual([409, 'order_conflict']);
    expect(keyAfterRefusal(first, codeOf(again))).toBeUndefined();
    const next = nextCheckout(keyAfterRefusal(first, codeOf(again)), undefined, fresh);
    expect(next.checkoutId).not.toBe(first.checkoutId);
    const second = await checkout(member, { checkoutId: next.checkoutId, lines: [{ itemId: 'lamp-1', quantity: 1 }] });
    expect(second.status).toBe(201);
  });

  it('reads a stored key back, also one an older page stored with its cart', () => {
    const stored: PendingCheckout = { checkoutId: 'c-0123456789', couponCode: 'ABC' };
    expect(readPending(JSON.parse(JSON.stringify(stored)))).toEqual(stored);
    expect(readPending({ checkoutId: 'c-0123456789', cart: '[]' })).toEqual({ checkoutId: 'c-0123456789' });
    expect(readPending({ checkoutId: 'short' })).toBeUndefined();
    expect(readPending(null)).toBeUndefined();
  });
});
