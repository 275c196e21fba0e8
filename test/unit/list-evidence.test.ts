import { describe, expect, it } from 'vitest';
import type { StoredOrderEvent } from '../../engine/contracts/orders.js';
import type { LoggedEvent } from '../../engine/contracts/schemas.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';
import { ListEvidence } from '../../engine/recommend/list-evidence.js';

/**
 * ListEvidence (services/list-evidence.ts): a shopper's remembered fresh ranking is judged by
 * their next item event only, then forgotten; at most `users` rankings are held (least recently
 * listed dropped); merges and orders say nothing about a list.
 */

const NOW = 1_750_000_000_000;
const GAP_S = 1800;

let seq = 0;
const base = (userId: string) => ({ id: `e${++seq}`, userId, ts: NOW, receivedAt: NOW });
const view = (userId: string, itemId: string): LoggedEvent => ({ ...base(userId), type: 'view', itemId });
const search = (userId: string): LoggedEvent => ({ ...base(userId), type: 'search', query: 'lamps' });
const impression = (userId: string, itemId: string): LoggedEvent => ({
  ...base(userId),
  type: 'impression',
  items: [{ itemId, position: 0 }],
});
const merge = (userId: string, fromUserId: string): LoggedEvent => ({
  ...base(userId),
  id: `merge:${fromUserId}`,
  type: 'merge',
  fromUserId,
});
const order = (userId: string, itemId: string): StoredOrderEvent => ({
  ...base(userId),
  id: 'order:o1:paid',
  type: 'order',
  orderId: 'o1',
  status: 'paid',
  lines: [{ itemId, quantity: 1, price: 10 }],
});

/** Evidence that trusts a single observation, so each one shows in the rates. */
const evidence = (users?: number) =>
  new ListEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1, ...(users === undefined ? {} : { users }) });
const freshRates = (e: ListEvidence, n = 3) => Array.from({ length: n }, (_, j) => e.revisits.freshRate(j));

describe('ListEvidence', () => {
  it("judges a remembered list by the shopper's next item event, then forgets it", () => {
    const e = evidence();
    const recent: RecentInteraction[] = [{ itemId: 'R', type: 'view', ts: NOW - 1000 }];
    e.remember('u', ['f0', 'f1', 'f2']);
    expect(e.held).toBe(1);
    e.observe('u', view('u', 'f1'), recent);
    expect(e.held).toBe(0);
    // The list's second place was hit; R (the last recent item, in the window) was not.
    expect(freshRates(e)).toEqual([0, 1, 0]);
    expect(e.revisits.revisitRate(0, 0)).toBe(0);
    // A later event is not an answer to that list: f0 would otherwise make its rate 1/2.
    e.observe('u', view('u', 'f0'), []);
    expect(freshRates(e)).toEqual([0, 1, 0]);
  });

  it('judges a list remembered with its scores by the score of each place', () => {
    const e = evidence();
    e.remember('u', ['f0', 'f1'], [0.95, 0.15]);
    e.observe('u', view('u', 'f0'), []);
    e.remember('u', ['g0'], [0.15]);
    e.observe('u', view('u', 'x'), []);
    // Place 0: hit when scored 0.95 (tenth 9), missed when scored 0.15 (tenth 1): 1 of 2 overall.
    expect(e.revisits.freshRate(0)).toBe(0.5);
    expect(e.revisits.freshItemRate(0, 0.9)).toBe(1);
    expect(e.revisits.freshItemRate(0, 0.1)).toBe(0);
    expect(e.revisits.freshItemRate(0, 0.5)).toBe(0.5);
    expect(e.revisits.freshItemRate(1, 0.1)).toBe(0);
  });

  it("does not judge one shopper's list by another's event", () => {
    const e = evidence();
    e.remember('a', ['f0']);
    e.observe('b', view('b', 'f0'), []);
    expect(e.revisits.freshRate(0)).toBeUndefined();
    expect(e.held).toBe(1);
    e.observe('a', view('a', 'x'), []);
    expect(e.revisits.freshRate(0)).toBe(0);
  });

  it('keeps the list over events that touch no item (a search without an item, an impression)', () => {
    const e = evidence();
    e.remember('u', ['f0', 'f1']);
    e.observe('u', search('u'), []);
    e.observe('u', impression('u', 'f0'), []);
    expect(e.held).toBe(1);
    expect(e.revisits.freshRate(0)).toBeUndefined();
    e.observe('u', view('u', 'f0'), []);
    expect(freshRates(e, 2)).toEqual([1, 0]);
  });

  it('ignores merges and orders: no observation, the list stays', () => {
    const e = evidence();
    const recent: RecentInteraction[] = [{ itemId: 'R', type: 'view', ts: NOW - 1000 }];
    e.remember('u', ['f0']);
    e.observe('u', merge('u', 'visitor'), recent);
    e.observe('u', order('u', 'f0'), recent);
    expect(e.held).toBe(1);
    expect(e.revisits.freshRate(0)).toBeUndefined();
    expect(e.revisits.revisitRate(0, 0)).toBeUndefined();
    e.observe('u', view('u', 'R'), recent);
    expect(e.revisits.freshRate(0)).toBe(0);
    expect(e.revisits.revisitRate(0, 0)).toBe(1);
  });

  it('judges a purchase by its bought lines (positive quantities)', () => {
    const e = evidence();
    e.remember('u', ['f0', 'f1', 'f2']);
    const purchase: LoggedEvent = {
      ...base('u'),
      type: 'purchase',
      items: [
        { itemId: 'f0', quantity: -1, price: 5 },
        { itemId: 'f2', quantity: 1, price: 5 },
      ],
    };
    e.observe('u', purchase, []);
    expect(freshRates(e)).toEqual([0, 0, 1]);
  });

  it('holds at most `users` lists, dropping the least recently listed shopper', () => {
    const e = evidence(2);
    e.remember('a', ['fa']);
    e.remember('b', ['fb']);
    // a listed again: b is now the least recently listed, and goes when c comes.
    e.remember('a', ['fa']);
    e.remember('c', ['fc']);
    expect(e.held).toBe(2);
    e.observe('b', view('b', 'fb'), []);
    expect(e.revisits.freshRate(0)).toBeUndefined();
    e.observe('a', view('a', 'fa'), []);
    e.observe('c', view('c', 'x'), []);
    // Two judged lists: a hit, c missed.
    expect(e.revisits.freshRate(0)).toBe(0.5);
    expect(e.held).toBe(0);
  });

  it('remembers the newest list of a shopper listed twice', () => {
    const e = evidence();
    e.remember('u', ['old']);
    e.remember('u', ['new']);
    expect(e.held).toBe(1);
    e.observe('u', view('u', 'new'), []);
    expect(e.revisits.freshRate(0)).toBe(1);
  });

  it('with users 0 remembers nothing (rates of recent items are still learned)', () => {
    const e = evidence(0);
    e.remember('u', ['f0']);
    expect(e.held).toBe(0);
    e.observe('u', view('u', 'R'), [{ itemId: 'R', type: 'view', ts: NOW - 1000 }]);
    expect(e.revisits.freshRate(0)).toBeUndefined();
    expect(e.revisits.revisitRate(0, 0)).toBe(1);
  });

  it('refuses a bad bound, and passes the re-visit options on', () => {
    expect(() => new ListEvidence({ sessionGapSeconds: GAP_S, users: -1 })).toThrow(RangeError);
    expect(() => new ListEvidence({ sessionGapSeconds: GAP_S, users: 1.5 })).toThrow(RangeError);
    expect(() => new ListEvidence({ sessionGapSeconds: GAP_S, maxShare: 2 })).toThrow(RangeError);
    expect(new ListEvidence({ sessionGapSeconds: GAP_S, maxShare: 0.25 }).revisits.maxShare).toBe(0.25);
  });
});
