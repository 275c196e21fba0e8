import { describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { OrderSchema, parseLoggedEvent } from '../../engine/contracts/orders.js';
import { orderEventId, returnDigest } from '../../engine/contracts/order-keys.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { reversedPoints, splitPoints } from '../../engine/members/logic/points.js';
import { acceptOrder, checkPrices } from '../../engine/members/order-handlers.js';
import { TokenService } from '../../gateway/auth.js';
import { tokenCli } from '../../gateway/token-cli.js';

const item = (itemId: string, price: number): Item => ({ itemId, title: itemId, category: 'c', price });
const catalog = new Map([item('a', 100), item('b', 19.99), item('free', 0)].map((i) => [i.itemId, i]));
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : String(err)),
  );

describe('splitPoints (largest remainder)', () => {
  it('gives each line the floor of its share and the rest to the largest fractions, summing exactly', () => {
    expect(
      splitPoints(32, [
        { quantity: 1, price: 10.4 },
        { quantity: 2, price: 10.4 },
        { quantity: 3, price: 0.35 },
      ]),
    ).toEqual([10, 21, 1]);
    expect(
      splitPoints(10, [
        { quantity: 1, price: 1 },
        { quantity: 1, price: 1 },
        { quantity: 1, price: 1 },
      ]),
    ).toEqual([4, 3, 3]); // ties: the earlier line
    expect(splitPoints(0, [{ quantity: 1, price: 5 }])).toEqual([0]);
    expect(
      splitPoints(7, [
        { quantity: 1, price: 0 },
        { quantity: 2, price: 0 },
      ]),
    ).toEqual([0, 0]);
  });

  it('sums to the points for random orders', () => {
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let n = 0; n < 500; n++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 12) }, () => ({
        quantity: 1 + Math.floor(random() * 50),
        price: Math.round(random() * 100_000) / 100,
      }));
      const points = Math.floor(random() * 1_000_000);
      const shares = splitPoints(points, lines);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(points);
      for (const share of shares) expect(Number.isInteger(share) && share >= 0).toBe(true);
    }
  });

  it('refuses a negative or fractional total', () => {
    expect(() => splitPoints(-1, [{ quantity: 1, price: 1 }])).toThrow(RangeError);
    expect(() => splitPoints(1.5, [{ quantity: 1, price: 1 }])).toThrow(RangeError);
  });
});

describe('reversedPoints', () => {
  it('rounds the returned share half up, exactly, and the whole line gives back all it earned', () => {
    expect(reversedPoints(21, 2, 1)).toBe(11);
    expect(reversedPoints(21, 2, 2)).toBe(21);
    expect(reversedPoints(4, 3, 1)).toBe(1);
    expect(reversedPoints(4, 3, 2)).toBe(3);
    expect(reversedPoints(0, 5, 3)).toBe(0);
    // 1e12 points over 999,999 units, all but one back: 999,998,999,998.999999 rounds to ...999 (exact in whole numbers).
    expect(reversedPoints(1_000_000_000_000, 999_999, 999_998)).toBe(999_998_999_999);
  });
});

describe('OrderSchema', () => {
  const base = { orderId: 'o-1', userId: 'm_1', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 100 }] };
  it('takes a valid order and refuses what the contract bounds', () => {
    expect(OrderSchema.parse(base)).toEqual(base);
    expect(OrderSchema.parse({ orderId: 'o-1', userId: 'm_1', status: 'cancelled' })).toEqual({
      orderId: 'o-1',
      userId: 'm_1',
      status: 'cancelled',
      lines: [],
    });
    const bad = [
      { ...base, status: 'refunded' },
      { ...base, lines: [] },
      { ...base, status: 'returned', lines: [] },
      { ...base, lines: [{ itemId: 'a', quantity: 0, price: 1 }] },
      { ...base, lines: [{ itemId: 'a', quantity: 1.5, price: 1 }] },
      { ...base, lines: [{ itemId: 'a', quantity: 1, price: -1 }] },
      { ...base, lines: [{ itemId: 'a', quantity: 1, price: 1e308 }] },
      { ...base, lines: [{ itemId: 'a', quantity: 1_000_000, price: 10_000 }] },
      {
        ...base,
        lines: [
          { itemId: 'a', quantity: 1, price: 1 },
          { itemId: 'a', quantity: 2, price: 1 },
        ],
      },
      { ...base, lines: Array.from({ length: 501 }, (_, i) => ({ itemId: `i${i}`, quantity: 1, price: 1 })) },
      { ...base, orderId: 'x'.repeat(101) },
      { ...base, userId: 'has space' },
      { ...base, extra: 1 },
      { ...base, ts: 1.5 },
    ];
    for (const value of bad) expect(OrderSchema.safeParse(value).success, JSON.stringify(value).slice(0, 120)).toBe(false);
  });

  it('ids its statuses so that the same return is one return', () => {
    expect(orderEventId('o-1', 'paid', [])).toBe('order:paid:o-1');
    expect(orderEventId('o-1', 'cancelled', [])).toBe('order:cancelled:o-1');
    const r1 = orderEventId('o-1', 'returned', [
      { itemId: 'a', quantity: 1 },
      { itemId: 'b', quantity: 2 },
    ]);
    expect(r1).toBe(
      orderEventId('o-1', 'returned', [
        { itemId: 'b', quantity: 2 },
        { itemId: 'a', quantity: 1 },
      ]),
    );
    expect(r1).not.toBe(orderEventId('o-1', 'returned', [{ itemId: 'a', quantity: 1 }]));
    expect(returnDigest([{ itemId: 'a', quantity: 1 }])).not.toBe(returnDigest([{ itemId: 'a', quantity: 2 }]));
  });

  it('decodes a logged order and still decodes shopper events', () => {
    const event = {
      type: 'order',
      id: 'order:paid:o-1',
      userId: 'm_1',
      orderId: 'o-1',
      status: 'paid',
      lines: [{ itemId: 'a', quantity: 1, price: 100 }],
      ts: 1_700_000_000_000,
      receivedAt: 1_700_000_000_000,
    };
    expect(parseLoggedEvent(event)).toEqual(event);
    expect(() => parseLoggedEvent({ ...event, lines: [{ itemId: 'a', quantity: 1, price: -5 }] })).toThrow();
    expect(() => parseLoggedEvent({ ...event, extra: true })).toThrow();
    expect(parseLoggedEvent({ type: 'view', id: 'v1', userId: 'u', itemId: 'a', ts: 1, receivedAt: 1 })).toMatchObject({ type: 'view' });
  });
});

describe('order acceptance', () => {
  it('checks paid lines against the catalog within the tolerance', () => {
    expect(() =>
      checkPrices(
        [
          { itemId: 'a', quantity: 1, price: 105 },
          { itemId: 'b', quantity: 3, price: 19.99 * 0.96 },
        ],
        catalog,
        0.05,
      ),
    ).not.toThrow();
    const mismatch = (() => {
      try {
        checkPrices(
          [
            { itemId: 'b', quantity: 1, price: 19.99 },
            { itemId: 'a', quantity: 1, price: 1000 },
          ],
          catalog,
          0.05,
        );
      } catch (err) {
        return err;
      }
    })();
    expect(mismatch).toBeInstanceOf(PulseError);
    expect((mismatch as PulseError).toWire()).toMatchObject({
      code: 'price_mismatch',
      details: { itemId: 'a', line: '1', catalogPrice: '100', sentPrice: '1000', tolerance: '0.05' },
    });
    expect(() => checkPrices([{ itemId: 'a', quantity: 1, price: 105.01 }], catalog, 0.05)).toThrow(/catalog price is 100/);
    expect(() => checkPrices([{ itemId: 'free', quantity: 1, price: 0.01 }], catalog, 0.05)).toThrow(/catalog price is 0/);
    expect(() => checkPrices([{ itemId: 'nope', quantity: 1, price: 1 }], catalog, 0.05)).toThrow(
      expect.objectContaining({ code: 'unknown_item' }),
    );
  });

  it('answers the event to log: returns at the paid price, repeats marked, returns before the paid one is applied refused for retry', async () => {
    const members = new MemoryMemberStore();
    const deps = { members, catalog, priceTolerance: 0.05 };
    const paid = OrderSchema.parse({ orderId: 'o-9', userId: 'u1', status: 'paid', lines: [{ itemId: 'a', quantity: 2, price: 98 }] });
    const first = await acceptOrder(paid, 1_700_000_000_000, deps);
    expect(first).toEqual({
      duplicate: false,
      event: {
        type: 'order',
        id: 'order:paid:o-9',
        userId: 'u1',
        orderId: 'o-9',
        status: 'paid',
        lines: paid.lines,
        ts: 1_700_000_000_000,
        receivedAt: 1_700_000_000_000,
      },
    });
    expect((await acceptOrder(paid, 1_700_000_000_500, deps)).duplicate).toBe(true);
    const ret = OrderSchema.parse({
      orderId: 'o-9',
      userId: 'u1',
      status: 'returned',
      lines: [{ itemId: 'a', quantity: 1, price: 1 }],
      ts: 1_700_000_001_000,
    });
    // Accepted, not yet applied: the return waits (its event must land after the paid one's).
    expect(await codeOf(acceptOrder(ret, 1_700_000_002_000, deps))).toBe('unavailable');
    await members.applyOrder(
      'u1',
      { eventId: first.event.id, orderId: 'o-9', status: 'paid', ts: first.event.ts, lines: paid.lines },
      { vip: 1000, enterprise: 10_000 },
    );
    const accepted = await acceptOrder(ret, 1_700_000_002_000, deps);
    expect(accepted).toMatchObject({
      duplicate: false,
      event: { status: 'returned', lines: [{ itemId: 'a', quantity: 1, price: 98 }], ts: 1_700_000_001_000 },
    });
    expect(await codeOf(acceptOrder(OrderSchema.parse({ orderId: 'o-0', userId: 'u1', status: 'cancelled' }), 1, deps))).toBe(
      'order_conflict',
    );
    expect(
      await codeOf(
        acceptOrder(
          OrderSchema.parse({ orderId: 'o-8', userId: 'u1', status: 'paid', lines: [{ itemId: 'a', quantity: 1, price: 1000 }] }),
          1,
          deps,
        ),
      ),
    ).toBe('price_mismatch');
  });
});

describe('npm run token -- --role shop', () => {
  it('mints a shop token for a shop backend', async () => {
    const secret = 'orders-cli-secret';
    const result = await tokenCli(['--role', 'shop', '--sub', 'my-shop'], { AUTH_SECRET: secret });
    expect(result.exitCode).toBe(0);
    expect(await new TokenService(secret).verify(result.stdout.trim())).toMatchObject({ sub: 'my-shop', role: 'shop' });
  });
});
