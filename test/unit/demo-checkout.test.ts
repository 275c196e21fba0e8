import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import { OrderSchema, type StoredOrderEvent } from '../../engine/contracts/orders.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { acceptOrder } from '../../engine/members/order-handlers.js';
import { checkoutOrderId, checkoutTotal, parseCheckout } from '../../gateway/demo-checkout.js';
import { ControllableEventLog, startHarness, type Harness } from './gateway-harness.js';

const CATALOG: Item[] = [
  { itemId: 'lamp-1', title: 'Desk lamp', category: 'home/lamps', price: 19.99 },
  { itemId: 'mug-2', title: 'Mug', category: 'kitchen', price: 4.5 },
  { itemId: 'tv-9', title: 'Television', category: 'electronics/tv', price: 499, inStock: false },
  { itemId: 'vip-1', title: 'Gold pen', category: 'office', price: 120, minTier: 'vip' },
];

/**
 * `POST /demo/checkout`, the demo shop's server-side step, on a gateway over the in-memory
 * transport with the engine's real `orders.accept` checks: the browser names items and
 * quantities, the shop prices them from the catalog and posts the order with its shop token.
 */
describe('demo checkout (gateway/demo-checkout.ts)', () => {
  let h: Harness;
  /** Every append to the event log (passed through): the order events the route appended. */
  let log: ControllableEventLog;
  const orders = () => log.calls.filter((e) => (e as { type: string }).type === 'order') as unknown as StoredOrderEvent[];
  const checkout = async (token: string | undefined, json: unknown) =>
    h.fetch('/demo/checkout', { method: 'POST', ...(token ? { token } : {}), json });

  beforeAll(async () => {
    h = await startHarness({ wrapEventLog: (inner) => (log = new ControllableEventLog(inner)) });
    const members = new MemoryMemberStore();
    const byId = new Map(CATALOG.map((item) => [item.itemId, item]));
    h.transport.rpcServer.serve('catalog.get', async ({ principal, itemId }) => {
      const item = byId.get(itemId);
      // As the engine: an item above the caller's tier does not exist for them.
      if (!item || (item.minTier === 'vip' && principal.tier === 'regular'))
        throw new PulseError(ErrorCodes.notFound, `item ${itemId} not found`);
      return item;
    });
    h.transport.rpcServer.serve('orders.accept', async ({ order, receivedAt }) =>
      acceptOrder(OrderSchema.parse(order), receivedAt, { members, catalog: byId, priceTolerance: 0.05 }),
    );
  });
  afterAll(() => h?.close());

  it('prices the cart from the catalog, posts a paid order for the shopper and answers it; a retry is the same order, once', async () => {
    const member = await h.token('member', 'm-1');
    const body = {
      checkoutId: 'c-0123456789abcdef',
      lines: [
        { itemId: 'lamp-1', quantity: 3 },
        { itemId: 'mug-2', quantity: 1 },
      ],
    };
    const placed = await checkout(member, body);
    const orderId = checkoutOrderId('m-1', body.checkoutId);
    expect(orderId).toMatch(/^web-[A-Za-z0-9_-]{22}$/);
    expect([placed.status, placed.body]).toEqual([
      201,
      {
        orderId,
        status: 'paid',
        total: 64.47,
        lines: [
          { itemId: 'lamp-1', quantity: 3, price: 19.99 },
          { itemId: 'mug-2', quantity: 1, price: 4.5 },
        ],
      },
    ]);
    await expect.poll(() => orders().length).toBe(1);
    expect(orders()[0]).toMatchObject({
      type: 'order',
      userId: 'm-1',
      orderId,
      status: 'paid',
      lines: [
        { itemId: 'lamp-1', quantity: 3, price: 19.99 },
        { itemId: 'mug-2', quantity: 1, price: 4.5 },
      ],
    });

    // A lost answer, a double click, a reload: the same key names the same order, counted once.
    const again = await checkout(member, body);
    expect([again.status, again.body]).toMatchObject([200, { orderId, duplicate: true }]);
    expect(new Set(orders().map((e) => e.id)).size).toBe(1);

    // Another shopper's key cannot name this order.
    const other = await checkout(await h.token('member', 'm-2'), body);
    expect(other.status).toBe(201);
    expect((other.body as { orderId: string }).orderId).not.toBe(orderId);
  });

  it('lets a visitor check out too (an order of a non-member: revenue, no points)', async () => {
    const placed = await checkout(await h.token('visitor', 'v_abc'), {
      checkoutId: 'c-visitor-0001',
      lines: [{ itemId: 'mug-2', quantity: 2 }],
    });
    expect(placed).toMatchObject({ status: 201, body: { total: 9, lines: [{ itemId: 'mug-2', quantity: 2, price: 4.5 }] } });
  });

  it('refuses a browser price, a bad cart, an unseen or out-of-stock item and other roles, storing nothing', async () => {
    const member = await h.token('member', 'm-3');
    const before = orders().length;
    const refusals: Array<[string | undefined, unknown, number, string]> = [
      [undefined, { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 1 }] }, 401, 'unauthorized'],
      [await h.token('admin'), { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 1 }] }, 403, 'forbidden'],
      [
        await h.tokens.sign({ sub: 'shop-1', role: 'shop' }, 600),
        { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 1 }] },
        403,
        'forbidden',
      ],
      [member, { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 1, price: 0.01 }] }, 400, 'invalid_request'],
      [member, { checkoutId: 'c-12345678', lines: [] }, 400, 'invalid_request'],
      [member, { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 100 }] }, 400, 'invalid_request'],
      [member, { checkoutId: 'c-12345678', lines: [{ itemId: 'mug-2', quantity: 1.5 }] }, 400, 'invalid_request'],
      [member, { checkoutId: 'short', lines: [{ itemId: 'mug-2', quantity: 1 }] }, 400, 'invalid_request'],
      [
        member,
        {
          checkoutId: 'c-12345678',
          lines: [
            { itemId: 'mug-2', quantity: 1 },
            { itemId: 'mug-2', quantity: 2 },
          ],
        },
        400,
        'invalid_request',
      ],
      [member, { checkoutId: 'c-12345678', lines: [{ itemId: 'vip-1', quantity: 1 }] }, 404, 'not_found'],
      [
        member,
        {
          checkoutId: 'c-12345678',
          lines: [
            { itemId: 'mug-2', quantity: 1 },
            { itemId: 'tv-9', quantity: 1 },
          ],
        },
        400,
        'invalid_request',
      ],
      [member, { checkoutId: 'c-12345678', lines: [{ itemId: 'nope', quantity: 1 }] }, 404, 'not_found'],
      [member, [1, 2, 3], 400, 'invalid_request'],
    ];
    for (const [token, json, status, code] of refusals) {
      const res = await checkout(token, json);
      expect([res.status, (res.body as { error?: { code?: string } }).error?.code], JSON.stringify(json)).toEqual([status, code]);
    }
    const outOfStock = await checkout(member, { checkoutId: 'c-12345678', lines: [{ itemId: 'tv-9', quantity: 1 }] });
    expect((outOfStock.body as { error: { message: string } }).error.message).toContain('out of stock');
    // A VIP may buy what a regular member cannot see.
    expect(
      (await checkout(await h.token('member', 'm-4', 'vip'), { checkoutId: 'c-12345678', lines: [{ itemId: 'vip-1', quantity: 1 }] }))
        .status,
    ).toBe(201);
    await expect.poll(() => orders().length).toBe(before + 1);
  });

  it('parses and totals carts without float drift', () => {
    expect(
      checkoutTotal([
        { itemId: 'a', quantity: 3, price: 0.1 },
        { itemId: 'b', quantity: 1, price: 0.2 },
      ]),
    ).toBe(0.5);
    expect(() => parseCheckout({ checkoutId: 'c-12345678', lines: [{ itemId: 'a b', quantity: 1 }] })).toThrow(/lines\.0\.itemId/);
    expect(() =>
      parseCheckout({ checkoutId: 'c-12345678', lines: Array.from({ length: 26 }, (_, i) => ({ itemId: `i${i}`, quantity: 1 })) }),
    ).toThrow(/at most 25 lines/);
  });
});

describe('demo checkout off (DEMO_CHECKOUT=false)', () => {
  it('is not mounted', async () => {
    const h = await startHarness({ env: { DEMO_CHECKOUT: 'false' } });
    try {
      const res = await h.fetch('/demo/checkout', {
        method: 'POST',
        token: await h.token('member'),
        json: { checkoutId: 'c-12345678', lines: [{ itemId: 'a', quantity: 1 }] },
      });
      expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    } finally {
      await h.close();
    }
  });
});
