import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { orderEventId, paidDigest, returnDigest } from '../../engine/contracts/order-keys.js';
import type { MemberStore, OrderChange } from '../../engine/members/member-store.js';
import { member, thresholds, useMemberStores } from '../helpers/member-store-fixtures.js';

/** Order records (intake and applied side): one suite for both MemberStore implementations. */
const implementations = useMemberStores();

type Line = { itemId: string; quantity: number; price: number; points?: number };
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? `${err.code}: ${err.message}` : String(err)),
  );
const paidLines: Line[] = [
  { itemId: 'a', quantity: 2, price: 10.25 },
  { itemId: 'b', quantity: 3, price: 1.5 },
];
const accept = (store: MemberStore, orderId: string, userId: string, status: 'paid' | 'returned' | 'cancelled', lines: Line[]) =>
  store.acceptOrder({
    orderId,
    userId,
    status,
    lines,
    ...(status === 'returned' ? { returnDigest: returnDigest(lines) } : { paidDigest: paidDigest(lines) }),
  });
const change = (orderId: string, status: 'paid' | 'returned' | 'cancelled', lines: Line[]): OrderChange => ({
  eventId: orderEventId(orderId, status, lines),
  orderId,
  status,
  ts: 1_700_000_000_000,
  lines,
});

describe.each(implementations)('MemberStore order records: %s', (_name, create) => {
  it('accepts each status once, answers repeats as duplicates and refuses what contradicts the order', async () => {
    const store = create();
    expect(await codeOf(accept(store, 'o1', 'u1', 'returned', [{ itemId: 'a', quantity: 1, price: 0 }]))).toMatch(
      /^order_conflict: order o1: it was never paid/,
    );
    expect(await codeOf(accept(store, 'o1', 'u1', 'cancelled', []))).toMatch(/^order_conflict/);
    expect(await store.paidOrderState('u1', 'o1')).toBe('unknown');
    expect(await accept(store, 'o1', 'u1', 'paid', paidLines)).toEqual({ duplicate: false, paidPrices: { a: 10.25, b: 1.5 } });
    expect(await store.paidOrderState('u1', 'o1')).toBe('accepted');
    expect(await accept(store, 'o1', 'u1', 'paid', paidLines)).toMatchObject({ duplicate: true });
    expect(await codeOf(accept(store, 'o1', 'u1', 'paid', [paidLines[0]!]))).toMatch(
      /^order_conflict: order o1: it was paid before with other lines/,
    );
    expect(await codeOf(accept(store, 'o1', 'u2', 'paid', paidLines))).toMatch(/^order_conflict: order o1: it belongs to another user/);

    const firstReturn = [{ itemId: 'b', quantity: 2, price: 99 }];
    expect(await accept(store, 'o1', 'u1', 'returned', firstReturn)).toEqual({ duplicate: false, paidPrices: { b: 1.5 } });
    expect(await accept(store, 'o1', 'u1', 'returned', firstReturn)).toEqual({ duplicate: true, paidPrices: { b: 1.5 } });
    expect(
      await codeOf(
        accept(store, 'o1', 'u1', 'returned', [
          { itemId: 'b', quantity: 2, price: 0 },
          { itemId: 'a', quantity: 1, price: 0 },
        ]),
      ),
    ).toMatch(/order_conflict: order o1: item b: 2 returned, but only 1 of 3/);
    expect(await codeOf(accept(store, 'o1', 'u1', 'returned', [{ itemId: 'zz', quantity: 1, price: 0 }]))).toMatch(/item zz is not in it/);
    // Nothing of a refused return was recorded: the one unit left can still come back.
    expect(await accept(store, 'o1', 'u1', 'returned', [{ itemId: 'b', quantity: 1, price: 0 }])).toMatchObject({ duplicate: false });

    expect(await codeOf(accept(store, 'o1', 'u1', 'cancelled', [paidLines[1]!]))).toMatch(/no lines or exactly the paid lines/);
    expect(await accept(store, 'o1', 'u1', 'cancelled', paidLines)).toMatchObject({ duplicate: false });
    expect(await accept(store, 'o1', 'u1', 'cancelled', [])).toMatchObject({ duplicate: true });
    expect(await codeOf(accept(store, 'o1', 'u1', 'returned', [{ itemId: 'a', quantity: 1, price: 0 }]))).toMatch(/it was cancelled/);
  });

  it('applies a paid order once with its points, reverses returns exactly, and a cancellation the rest', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    const id = grace.memberId;
    // 25 points split 21 / 4 over the lines (their shares of 25 for 20.5 and 4.5 of 25 in all: 20.5 and 4.5, largest remainder).
    const lines = [
      { ...paidLines[0]!, points: 21 },
      { ...paidLines[1]!, points: 4 },
    ];
    const paid = await store.applyOrder(id, change('o2', 'paid', lines), thresholds);
    expect(paid).toMatchObject({ applied: true, amount: 25, points: 25, member: { points: 25, lifetimePoints: 25 } });
    expect(await store.paidOrderState(id, 'o2')).toBe('applied');
    expect(await store.applyOrder(id, change('o2', 'paid', lines), thresholds)).toMatchObject({
      applied: false,
      amount: 25,
      points: 0,
      member: { points: 25 },
    });

    // One of a's two units: round-half-up(21 / 2) = 11 reversed, at the paid price whatever the event says.
    const back = [{ itemId: 'a', quantity: 1, price: 0 }];
    expect(await store.applyOrder(id, change('o2', 'returned', back), thresholds)).toMatchObject({
      applied: true,
      amount: -10.25,
      points: -11,
      member: { points: 14, lifetimePoints: 14 },
    });
    expect(await store.applyOrder(id, change('o2', 'returned', back), thresholds)).toMatchObject({
      applied: false,
      amount: -10.25,
      points: 0,
      member: { points: 14 },
    });
    // The other unit of a, and one of b's three (4 x 1 / 3 = 1.33 -> 1).
    const more = [
      { itemId: 'a', quantity: 1, price: 0 },
      { itemId: 'b', quantity: 1, price: 0 },
    ];
    expect(await store.applyOrder(id, change('o2', 'returned', more), thresholds)).toMatchObject({
      applied: true,
      amount: -11.75,
      points: -11,
      member: { points: 3 },
    });
    const cancelled = await store.applyOrder(id, change('o2', 'cancelled', []), thresholds);
    expect(cancelled).toMatchObject({ applied: true, amount: -3, points: -3, member: { points: 0, lifetimePoints: 0 } });
    expect(await store.applyOrder(id, change('o2', 'cancelled', []), thresholds)).toMatchObject({ applied: false, amount: -3, points: 0 });
    const ledger = await store.ledger(id, { limit: 10 });
    expect(ledger.map((e) => [e.cause, e.delta, e.balance, e.orderId, e.eventId])).toEqual([
      ['cancellation', -3, 0, 'o2', 'order:cancelled:o2'],
      ['cancellation', -11, 3, 'o2', orderEventId('o2', 'returned', more)],
      ['cancellation', -11, 14, 'o2', orderEventId('o2', 'returned', back)],
      ['order', 25, 25, 'o2', 'order:paid:o2'],
    ]);
  });

  it('raises the tier with an order and records orders of users with no member record without points', async () => {
    const store = create();
    const grace = member();
    await store.create(grace);
    const vip = await store.applyOrder(
      grace.memberId,
      change('o3', 'paid', [{ itemId: 'a', quantity: 1, price: 1000, points: 1000 }]),
      thresholds,
    );
    expect(vip).toMatchObject({ applied: true, points: 1000, member: { tier: 'vip' }, tierChanged: { from: 'regular', to: 'vip' } });

    const visitor = await store.applyOrder('v_1', change('o4', 'paid', [{ itemId: 'a', quantity: 2, price: 5, points: 10 }]), thresholds);
    expect(visitor).toEqual({ applied: true, amount: 10, points: 0 });
    expect(await store.applyOrder('v_1', change('o4', 'cancelled', []), thresholds)).toEqual({ applied: true, amount: -10, points: 0 });
    expect(await codeOf(store.applyOrder('v_1', change('o5', 'returned', [{ itemId: 'a', quantity: 1, price: 5 }]), thresholds))).toMatch(
      /^unavailable: order o5: returned before its paid status was applied/,
    );
  });
});
