import { describe, expect, it } from 'vitest';
import { revisitCandidates, revisitReason } from '../../engine/recommend/logic/revisits.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';
import { entry, GAP_S, NOW, SEC } from '../helpers/revisits-fixtures.js';

/**
 * Re-visits by evidence (logic/revisits.ts): which recent items are candidates, how the two hit
 * rates are counted, and how a list of k merges the fresh ranking with the candidates by rate.
 * Every expected value is worked out from the module's comments.
 *
 * Here: which recent items are candidates, and the reason they carry. The rates:
 * revisit-evidence.test.ts; the merge: merge-revisits.test.ts.
 */

describe('revisitCandidates', () => {
  // Newest first: A twice, a dislike of C newer than a view of C, a remove_from_cart of D, then two
  // items from before the session window.
  const recent: RecentInteraction[] = [
    entry('A', 'view', 10 * SEC),
    entry('B', 'click', 20 * SEC),
    entry('C', 'dislike', 25 * SEC),
    entry('A', 'view', 30 * SEC),
    entry('C', 'view', 35 * SEC),
    entry('D', 'remove_from_cart', 40 * SEC),
    entry('E', 'add_to_cart', 2 * 3600 * SEC),
    entry('F', 'purchase', 3 * 3600 * SEC),
  ];

  it('gives the distinct items newest first, places counted over every distinct item, skipping a dislike-newest and non-item types', () => {
    // Distinct order: A 0, B 1, C 2 (newest is a dislike: out), D 3 (remove_from_cart: out), E 4, F 5.
    // A, B inside the 30 min window (bucket 0); E (2 h ago) and F (3 h ago) before it (bucket 1).
    // A was touched twice, the others once.
    expect(revisitCandidates(recent, NOW, GAP_S)).toEqual([
      { itemId: 'A', place: 0, bucket: 0, type: 'view', times: 2 },
      { itemId: 'B', place: 1, bucket: 0, type: 'click', times: 1 },
      { itemId: 'E', place: 4, bucket: 1, type: 'add_to_cart', times: 1 },
      { itemId: 'F', place: 5, bucket: 1, type: 'purchase', times: 1 },
    ]);
  });

  it('stops after `limit` distinct places, skipped ones included', () => {
    // Places 0..2 are A, B, C; C is skipped, so two candidates.
    expect(revisitCandidates(recent, NOW, GAP_S, 3).map((c) => c.itemId)).toEqual(['A', 'B']);
    // Places 0..4 reach E (place 4).
    expect(revisitCandidates(recent, NOW, GAP_S, 5).map((c) => c.itemId)).toEqual(['A', 'B', 'E']);
    expect(revisitCandidates(recent, NOW, GAP_S, 0)).toEqual([]);
  });

  it('puts an item touched exactly at the window start in bucket 0 and one a millisecond earlier in bucket 1', () => {
    const edge = [entry('in', 'view', GAP_S * SEC), entry('out', 'view', GAP_S * SEC + 1)];
    expect(revisitCandidates(edge, NOW, GAP_S).map((c) => [c.itemId, c.bucket])).toEqual([
      ['in', 0],
      ['out', 1],
    ]);
  });

  it('counts the interactions with each item among all the recent ones, three or more as 3', () => {
    const many = [
      entry('A', 'view', 1 * SEC),
      entry('B', 'view', 2 * SEC),
      entry('A', 'click', 3 * SEC),
      entry('A', 'view', 4 * SEC),
      entry('B', 'like', 5 * SEC),
      entry('A', 'view', 6 * SEC),
    ];
    expect(revisitCandidates(many, NOW, GAP_S).map((c) => [c.itemId, c.times])).toEqual([
      ['A', 3],
      ['B', 2],
    ]);
  });

  it('is empty for no recent items', () => {
    expect(revisitCandidates([], NOW, GAP_S)).toEqual([]);
  });
});

describe('revisitReason', () => {
  it('names the newest interaction', () => {
    expect(revisitReason('add_to_cart')).toBe('in your cart');
    expect(revisitReason('like')).toBe('you liked it');
    expect(revisitReason('purchase')).toBe('you bought it before');
    expect(revisitReason('view')).toBe('you viewed it recently');
    expect(revisitReason('click')).toBe('you viewed it recently');
  });
});
