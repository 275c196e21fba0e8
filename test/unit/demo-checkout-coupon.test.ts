import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { couponPriceProblem, discountedLines, linesNetTotal } from '../../engine/contracts/coupon-prices.js';
import type { Coupon } from '../../engine/contracts/coupons.js';
import { OrderSchema } from '../../engine/contracts/orders.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { acceptOrder } from '../../engine/members/order-handlers.js';
import { checkoutOrderId } from '../../gateway/demo-checkout.js';
import type { Harness } from './gateway-harness.js';
import { startCheckoutShop, type CheckoutShop } from './demo-checkout-shop.js';

const CATALOG: Item[] = [
  { itemId: 'lamp-1', title: 'Desk lamp', category: 'home/lamps', price: 19.99 },
  { itemId: 'mug-2', title: 'Mug', category: 'kitchen', price: 4.5 },
];
const DAY = 86_400_000;

/**
 * Issue 16: a coupon at the demo checkout. The member's coupon is redeemed once for the
 * checkout's order (also when the checkout is retried), its discount is in the order's line
 * prices (so its total and points are net), the engine accepts those prices only for the order
 * the coupon was redeemed for, and the campaign counts one redemption.
 */
describe('demo checkout with a coupon', () => {
  let h: Harness;
  let members: CheckoutShop['members'];
  let coupons: CheckoutShop['coupons'];
  let campaigns: CheckoutShop['campaigns'];
  let orders: CheckoutShop['orders'];
  let checkout: CheckoutShop['checkout'];
  const byId = new Map(CATALOG.map((item) => [item.itemId, item]));
  const errorOf = (res: { status: number; body: unknown }) => [res.status, (res.body as { error?: { code?: string } }).error?.code];
  const issue = async (memberId: string, code: string, terms: Partial<Coupon>) => {
    await coupons.issue({
      code,
      memberId,
      kind: 'percent',
      value: 0,
      expiresAt: Date.now() + DAY,
      createdAt: Date.now(),
      source: { type: 'campaign', id: 'spring' },
      ...terms,
    });
  };

  beforeAll(async () => {
    ({ h, members, coupons, campaigns, orders, checkout } = await startCheckoutShop(CATALOG, ['m-1', 'm-2', 'm-3']));
  });
  afterAll(() => h?.close());

  it('takes the percent off every line, posts the net order with its coupon, redeems once across a retry', async () => {
    await issue('m-1', 'SPRNGAAAAA2345', { discountPercent: 20 });
    const member = await h.token('member', 'm-1');
    const body = {
      checkoutId: 'c-coupon-000001',
      lines: [
        { itemId: 'lamp-1', quantity: 3 },
        { itemId: 'mug-2', quantity: 1 },
      ],
      couponCode: ' sprngaaaaa2345 ',
    };
    const orderId = checkoutOrderId('m-1', body.checkoutId);
    const placed = await checkout(member, body);
    const lines = [
      { itemId: 'lamp-1', quantity: 3, price: 15.99 },
      { itemId: 'mug-2', quantity: 1, price: 3.6 },
    ];
    expect([placed.status, placed.body]).toEqual([
      201,
      {
        orderId,
        status: 'paid',
        lines,
        total: 51.57,
        subtotal: 64.47,
        discount: 12.9,
        coupon: { code: 'SPRNGAAAAA2345', kind: 'percent', value: 0, discountPercent: 20 },
      },
    ]);
    await expect.poll(() => orders().length).toBe(1);
    expect(orders()[0]).toMatchObject({ userId: 'm-1', orderId, lines });
    const [used] = await coupons.list('m-1', 10);
    expect(used).toMatchObject({ code: 'SPRNGAAAAA2345', orderId });
    expect((await campaigns.counts('spring')).redeemed).toBe(1);

    // The same key again: the first attempt's redemption, not coupon_used; the same order, once.
    const again = await checkout(member, body);
    expect([again.status, again.body]).toMatchObject([200, { orderId, duplicate: true, total: 51.57 }]);
    expect(new Set(orders().map((e) => e.id)).size).toBe(1);
    expect((await coupons.list('m-1', 10))[0]!.redeemedAt).toBe(used!.redeemedAt);

    // Another checkout with the used coupon is refused, and nothing is ordered.
    const other = await checkout(member, { ...body, checkoutId: 'c-coupon-000002' });
    expect(errorOf(other)).toEqual([409, 'coupon_used']);
    expect((other.body as { error: { message: string } }).error.message).toContain('already used');
    expect(new Set(orders().map((e) => e.id)).size).toBe(1);
    expect((await campaigns.counts('spring')).redeemed).toBe(1);
  });

  it('takes a value coupon off the whole order, never more than its value', async () => {
    await issue('m-2', 'VALUEBBBB23456', { kind: 'value', value: 5 });
    const placed = await checkout(await h.token('member', 'm-2'), {
      checkoutId: 'c-coupon-000003',
      lines: [{ itemId: 'lamp-1', quantity: 2 }],
      couponCode: 'VALUEBBBB23456',
    });
    expect(placed).toMatchObject({ status: 201, body: { subtotal: 39.98, total: 34.98, discount: 5 } });
  });

  it('refuses a coupon that is not the member’s, unknown or for a visitor, ordering nothing', async () => {
    await issue('m-3', 'THERCCCC234567', { discountPercent: 10 });
    const before = orders().length;
    const line = { checkoutId: 'c-coupon-000004', lines: [{ itemId: 'mug-2', quantity: 1 }] };
    expect(errorOf(await checkout(await h.token('member', 'm-2'), { ...line, couponCode: 'THERCCCC234567' }))).toEqual([
      403,
      'coupon_not_yours',
    ]);
    expect(errorOf(await checkout(await h.token('member', 'm-2'), { ...line, couponCode: 'NOPE' }))).toEqual([404, 'coupon_not_found']);
    expect(errorOf(await checkout(await h.token('visitor', 'v_abc'), { ...line, couponCode: 'THERCCCC234567' }))).toEqual([
      403,
      'forbidden',
    ]);
    expect(orders()).toHaveLength(before);
  });

  it('the engine accepts discounted prices only for the order its coupon was redeemed for', async () => {
    await issue('m-3', 'ENGNEDDDD23456', { discountPercent: 50 });
    const order = (orderId: string) =>
      OrderSchema.parse({
        orderId,
        userId: 'm-3',
        status: 'paid',
        lines: [{ itemId: 'lamp-1', quantity: 1, price: 10 }],
        couponCode: 'ENGNEDDDD23456',
      });
    const deps = { members, coupons, catalog: byId, priceTolerance: 0.05 };
    await expect(acceptOrder(order('o-1'), Date.now(), deps)).rejects.toMatchObject({ code: 'coupon_used' });
    await coupons.redeem('m-3', 'ENGNEDDDD23456', 'o-1', Date.now());
    await expect(acceptOrder(order('o-2'), Date.now(), deps)).rejects.toMatchObject({ code: 'coupon_used' });
    expect((await acceptOrder(order('o-1'), Date.now(), deps)).event.lines).toEqual([{ itemId: 'lamp-1', quantity: 1, price: 10 }]);
    // Without the coupon the same price is a mismatch; a price below the coupon's discount too.
    const plain = OrderSchema.parse({
      orderId: 'o-3',
      userId: 'm-3',
      status: 'paid',
      lines: [{ itemId: 'lamp-1', quantity: 1, price: 10 }],
    });
    await expect(acceptOrder(plain, Date.now(), deps)).rejects.toMatchObject({ code: 'price_mismatch' });
    const tooLow = OrderSchema.parse({ ...order('o-1'), orderId: 'o-1', lines: [{ itemId: 'lamp-1', quantity: 1, price: 5 }] });
    await expect(acceptOrder(tooLow, Date.now(), deps)).rejects.toMatchObject({ code: 'price_mismatch' });
  });

  it('computes net prices in cents and bounds them', () => {
    const lines = [
      { itemId: 'lamp-1', quantity: 3, price: 19.99 },
      { itemId: 'mug-2', quantity: 1, price: 4.5 },
    ];
    const value = discountedLines(lines, { kind: 'value', value: 10 });
    expect(linesNetTotal(lines) - linesNetTotal(value)).toBeLessThanOrEqual(10);
    expect(linesNetTotal(value)).toBeGreaterThanOrEqual(54.47);
    expect(linesNetTotal(discountedLines(lines, { kind: 'value', value: 1000 }))).toBe(0);
    expect(discountedLines(lines, { kind: 'percent', value: 0, discountPercent: 100 }).map((l) => l.price)).toEqual([0, 0]);
    const price = (id: string) => byId.get(id)?.price;
    expect(couponPriceProblem(value, price, 0, { kind: 'value', value: 10 })).toBeUndefined();
    expect(couponPriceProblem(value, price, 0, { kind: 'value', value: 5 })?.message).toContain('more than the coupon');
    expect(couponPriceProblem([{ itemId: 'mug-2', quantity: 1, price: 9 }], price, 0.05, { kind: 'value', value: 5 })?.message).toContain(
      'above',
    );
  });
});
