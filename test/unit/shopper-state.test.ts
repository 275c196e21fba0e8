import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { StoredMergeEvent } from '../../engine/contracts/schemas.js';
import { topBrands } from '../../engine/shoppers/logic/affinity.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import { mergeEffect } from '../../engine/shoppers/logic/merge-effect.js';
import { orderEffect } from '../../engine/members/order-effect.js';
import { event, H, line, options, order, replay, T, weights, context, vectors, HALF_LIFE } from '../helpers/shopper-state-fixtures.js';

describe("purchase aggregates (lifetime value: the shop's orders only)", () => {
  it('counts paid orders with a positive total, sums spend with returns subtracted, keeps first and last purchase', () => {
    const state = replay([
      event(T, { type: 'view', itemId: 'lamp' }),
      order(T + 1000, 'o1', 'paid', 25),
      order(T + 5000, 'o2', 'paid', 10),
      order(T + 6000, 'o1', 'returned', -10),
      order(T + 500, 'o3', 'paid', 1.5),
      order(T + 7000, 'o4', 'paid', 0),
      event(T - 1000, { type: 'view', itemId: 'shoe' }),
    ]);
    expect(state.purchases).toEqual({ orders: 3, spend: 26.5, firstPurchaseAt: T + 500, lastPurchaseAt: T + 5000 });
    expect(state.firstSeenAt).toBe(T - 1000);
    expect(state.counts).toMatchObject({ view: 2, order: 5, total: 7 });
  });

  it('moves nothing for a browser purchase, whatever its prices', () => {
    const effect = eventEffect(
      emptyUserState(),
      event(T, { type: 'purchase', items: [line('lamp', 1000, 100)] }),
      vectors,
      options,
      context,
    );
    expect(effect.change.purchases).toBeUndefined();
    expect(effect.next.purchases).toEqual({ orders: 0, spend: 0, firstPurchaseAt: 0, lastPurchaseAt: 0 });
    expect(effect.change.bought).toEqual(['lamp']); // still a behaviour signal
  });

  it('takes a cancellation of an order it never saw below zero spend, counting no order; stores a higher record tier', () => {
    const { change, next } = orderEffect(emptyUserState(), order(T, 'o9', 'cancelled', -20).order, -20, 'vip');
    expect(change.purchases).toEqual({ orders: 0, spend: -20, firstPurchaseAt: 0, lastPurchaseAt: 0 });
    expect([change.type, change.tier, next.tier, next.version]).toEqual(['order', 'vip', 'vip', 1]);
    expect(orderEffect(next, order(T, 'o9', 'cancelled', 0).order, 0, 'regular').change).not.toHaveProperty('tier');
  });
});

describe('merge of a visitor into a member', () => {
  const merge: StoredMergeEvent = { type: 'merge', id: 'merge:v1', userId: 'm1', fromUserId: 'v1', ts: T + 3 * H, receivedAt: T + 3 * H };

  it('folds the visitor’s affinity in at the later landmark, adds carts and aggregates, keeps the earlier first-seen', () => {
    const member = replay([
      event(T, { type: 'view', itemId: 'lamp' }),
      event(T, { type: 'purchase', items: [line('sofa', 1, 100)] }),
      order(T, 'm-o1', 'paid', 100),
    ]);
    const visitor = replay([
      event(T + 2 * H, { type: 'view', itemId: 'desk' }),
      event(T + 2 * H, { type: 'add_to_cart', itemId: 'shoe' }),
      event(T - H, { type: 'purchase', items: [line('rake', 2, 5)] }),
      order(T - H, 'v-o1', 'paid', 10),
    ]);
    const { change, next } = mergeEffect(member, visitor, merge, vectors, options);
    expect(change.affinity!.landmark).toBe(visitor.affinity.landmark);
    const t = T + 3 * H;
    const sum = (key: string) =>
      (topBrands(member.affinity, t, HALF_LIFE, 9).find((e) => e.key === key)?.weight ?? 0) +
      (topBrands(visitor.affinity, t, HALF_LIFE, 9).find((e) => e.key === key)?.weight ?? 0);
    expect(weights(topBrands(next.affinity, t, HALF_LIFE, 9))).toEqual({
      lumo: expect.closeTo(sum('lumo'), 12),
      cosy: expect.closeTo(sum('cosy'), 12),
      stride: expect.closeTo(sum('stride'), 12),
    });
    expect(next.affinity.brandEvents.get('lumo')).toBe(2);
    expect(next.cart).toEqual(new Map([['shoe', 1]]));
    expect(next.purchases).toEqual({ orders: 2, spend: 110, firstPurchaseAt: T - H, lastPurchaseAt: T });
    expect(next.firstSeenAt).toBe(T - H);
  });

  it('gives a member without affinity the visitor’s own, and changes nothing for an empty visitor', () => {
    const visitor = replay([event(T, { type: 'like', itemId: 'lamp' })]);
    const { next } = mergeEffect(emptyUserState(), visitor, merge, vectors, options);
    expect(next.affinity).toEqual(visitor.affinity);
    const member = replay([event(T, { type: 'view', itemId: 'sofa' })]);
    const { change } = mergeEffect(member, emptyUserState(), merge, vectors, options);
    expect(change.affinity).toBeUndefined();
    expect(change.cart).toBeUndefined();
    expect(change.purchases).toBeUndefined();
    expect(change.firstSeenAt).toBeUndefined();
  });
});
