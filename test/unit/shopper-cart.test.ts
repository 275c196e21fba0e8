import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import { eventEffect } from '../../engine/shoppers/logic/event-effect.js';
import { CART_MAX_QUANTITY, cartAfter } from '../../engine/shoppers/logic/shopper-state.js';
import { CART_LIMIT, type UserState } from '../../engine/shoppers/user-state-store.js';
import { event, line, options, T, context, vectors } from '../helpers/shopper-state-fixtures.js';

/** The cart as events change it, and cartAfter against a copy-per-event reference; split from shopper-state.test.ts. */

describe('cart from events', () => {
  it('adds lines or the item once, removes quantities or the whole line, and a purchase empties what it bought', () => {
    const steps: Array<[Record<string, unknown>, Array<[string, number]>]> = [
      [{ type: 'add_to_cart', itemId: 'lamp' }, [['lamp', 1]]],
      [
        { type: 'add_to_cart', itemId: 'lamp', items: [line('lamp', 2), line('sofa', 1), line('rake', 0)] },
        [
          ['lamp', 3],
          ['sofa', 1],
        ],
      ],
      [
        { type: 'remove_from_cart', itemId: 'lamp', items: [line('lamp', 1)] },
        [
          ['lamp', 2],
          ['sofa', 1],
        ],
      ],
      [{ type: 'remove_from_cart', itemId: 'sofa' }, [['lamp', 2]]],
      [{ type: 'remove_from_cart', itemId: 'shoe' }, [['lamp', 2]]],
      [
        { type: 'add_to_cart', itemId: 'shoe' },
        [
          ['lamp', 2],
          ['shoe', 1],
        ],
      ],
      [{ type: 'purchase', items: [line('lamp', 1), line('rake', 1)] }, [['shoe', 1]]],
      [{ type: 'purchase', items: [line('lamp', -1)] }, [['shoe', 1]]],
    ];
    let state = emptyUserState();
    for (const [fields, cart] of steps) {
      const effect = eventEffect(state, event(T, fields), vectors, options, context);
      state = effect.next;
      expect(state.cart).toEqual(new Map(cart));
    }
    // a change carries the cart only when it moved
    const bought = eventEffect(state, event(T, { type: 'purchase', items: [line('shoe', 1), line('lamp', 1)] }), vectors, options, context);
    expect(bought.change.cart).toEqual(new Map());
    expect(eventEffect(state, event(T, { type: 'view', itemId: 'lamp' }), vectors, options, context).change.cart).toBeUndefined();
    expect(
      eventEffect(state, event(T, { type: 'remove_from_cart', itemId: 'lamp' }), vectors, options, context).change.cart,
    ).toBeUndefined();
  });

  it(`holds at most ${CART_LIMIT} distinct items: adds of new ones are ignored, existing lines still grow`, () => {
    const full: UserState = { ...emptyUserState(), cart: new Map(Array.from({ length: CART_LIMIT }, (_, i) => [`i${i}`, 1])) };
    const effect = eventEffect(
      full,
      event(T, { type: 'add_to_cart', itemId: 'x', items: [line('new', 1), line('i0', 2)] }),
      vectors,
      options,
      context,
    );
    expect(effect.change.cart?.size).toBe(CART_LIMIT);
    expect(effect.change.cart?.get('i0')).toBe(3);
    expect(effect.change.cart?.has('new')).toBe(false);
  });
});

/** cartAfter as it was before copy-on-write: a copy of the cart per event, then the edits. */
function referenceCartAfter(cart: ReadonlyMap<string, number>, e: StoredEvent, limit: number): Map<string, number> | undefined {
  const next = new Map(cart);
  let changed = false;
  const set = (itemId: string, quantity: number) => {
    if (quantity === (next.get(itemId) ?? 0)) return;
    changed = true;
    if (quantity > 0) next.set(itemId, quantity);
    else next.delete(itemId);
  };
  if (e.type === 'add_to_cart') {
    for (const l of e.items?.length ? e.items : [{ itemId: e.itemId, quantity: 1 }]) {
      const had = next.get(l.itemId) ?? 0;
      if (l.quantity > 0 && (had > 0 || next.size < limit)) set(l.itemId, Math.min(CART_MAX_QUANTITY, had + l.quantity));
    }
  } else if (e.type === 'remove_from_cart') {
    for (const l of e.items?.length ? e.items : [{ itemId: e.itemId, quantity: Infinity }])
      if (l.quantity > 0) set(l.itemId, Math.max(0, (next.get(l.itemId) ?? 0) - l.quantity));
  } else if (e.type === 'purchase') {
    for (const l of e.items) if (l.quantity > 0) set(l.itemId, 0);
  }
  return changed ? next : undefined;
}

describe('cartAfter', () => {
  it('never touches the given cart, and returns undefined (no copy) when the event leaves it as it is', () => {
    const cart = new Map([
      ['lamp', 2],
      ['sofa', 1],
    ]);
    const unchanged = [
      { type: 'view', itemId: 'lamp' },
      { type: 'remove_from_cart', itemId: 'shoe' },
      { type: 'remove_from_cart', itemId: 'lamp', items: [line('lamp', 0)] },
      { type: 'purchase', items: [line('shoe', 1), line('lamp', -1)] },
      { type: 'add_to_cart', itemId: 'lamp', items: [line('lamp', 0)] },
    ];
    for (const fields of unchanged) expect(cartAfter(cart, event(T, fields))).toBeUndefined();
    const next = cartAfter(cart, event(T, { type: 'add_to_cart', itemId: 'rake', items: [line('rake', 1), line('lamp', 1)] }));
    expect([...next!]).toEqual([
      ['lamp', 3],
      ['sofa', 1],
      ['rake', 1],
    ]);
    expect([...cart]).toEqual([
      ['lamp', 2],
      ['sofa', 1],
    ]);
  });

  it('gives the same carts, in the same order, as copying the cart for every event', () => {
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const types = ['add_to_cart', 'remove_from_cart', 'purchase', 'view'];
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const lines = () =>
      Array.from({ length: Math.floor(random() * 4) }, () => line(ids[Math.floor(random() * ids.length)]!, Math.floor(random() * 5) - 1));
    for (let run = 0; run < 50; run++) {
      let cart = new Map<string, number>();
      for (let step = 0; step < 30; step++) {
        const type = types[Math.floor(random() * types.length)]!;
        const items = lines();
        const fields =
          type === 'purchase'
            ? { type, items: items.length > 0 ? items : [line('a', 1)] }
            : { type, itemId: ids[Math.floor(random() * ids.length)]!, ...(type !== 'view' && random() < 0.5 ? { items } : {}) };
        const e = event(T, fields);
        const before = [...cart];
        const expected = referenceCartAfter(cart, e, CART_LIMIT);
        const actual = cartAfter(cart, e);
        expect(actual === undefined ? undefined : [...actual]).toEqual(expected === undefined ? undefined : [...expected]);
        expect([...cart]).toEqual(before);
        if (actual) cart = actual;
      }
    }
  });
});
