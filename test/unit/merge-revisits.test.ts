import { describe, expect, it } from 'vitest';
import type { RecommendedItem } from '../../engine/contracts/schemas.js';
import { mergeRevisits, RevisitEvidence } from '../../engine/recommend/logic/revisits.js';
import { candidate, entry, freshList, GAP_S, learned, NOW, SEC, times } from '../helpers/revisits-fixtures.js';

/** Re-visits by evidence (logic/revisits.ts): how a list of k merges the fresh ranking with the candidates by rate. */

describe('mergeRevisits', () => {
  // One recent item R0, the newest (bucket 0, place 0), and fresh lists of five.
  const recentR0 = [entry('R0', 'view', 10 * SEC)];
  const fresh5 = ['f0', 'f1', 'f2', 'f3', 'f4'];
  /** Ten observations: R0 touched `r0Hits` times, f0 twice, f1 once: q = 0.2, 0.1, 0, 0, 0. */
  const withR0Rate = (r0Hits: number, maxShare = 0.5): RevisitEvidence =>
    learned({ minEvidence: 10, maxShare }, recentR0, fresh5, [...times('R0', r0Hits), ...times('f0', 2), 'f1', ...times('Z', 7 - r0Hits)]);

  it("puts a recent item with revisit rate 0.3 before a fresh first place of rate 0.2, with that place's score and its own reason", () => {
    const evidence = withR0Rate(3);
    expect(evidence.revisitRate(0, 0)).toBeCloseTo(0.3, 12);
    expect([0, 1, 2].map((j) => evidence.freshRate(j))).toEqual([0.2, 0.1, 0]);
    const list = mergeRevisits(freshList(4), [candidate('R0', 0)], 4, evidence);
    expect(list).toEqual([
      { itemId: 'R0', score: 0.9, reason: 'you viewed it recently' },
      { itemId: 'f0', score: 0.9, reason: 'fresh 0' },
      { itemId: 'f1', score: 0.8, reason: 'fresh 1' },
      { itemId: 'f2', score: 0.7, reason: 'fresh 2' },
    ]);
  });

  it('puts it at the first fresh place whose rate it beats', () => {
    // 0.15: below 0.2, above 0.1 -> second place, with f1's score.
    const second = mergeRevisits(
      freshList(4),
      [candidate('R0', 0, 0, 'add_to_cart')],
      4,
      learned({ minEvidence: 20 }, recentR0, fresh5, [...times('R0', 3), ...times('f0', 4), ...times('f1', 2), ...times('Z', 11)]),
    );
    expect(second.map((item) => item.itemId)).toEqual(['f0', 'R0', 'f1', 'f2']);
    expect(second[1]).toEqual({ itemId: 'R0', score: 0.8, reason: 'in your cart' });
    // 0.1: not above the second place's 0.1, but above the third's 0 -> third place.
    const third = mergeRevisits(freshList(4), [candidate('R0', 0)], 4, withR0Rate(1));
    expect(third.map((item) => item.itemId)).toEqual(['f0', 'f1', 'R0', 'f2']);
    expect(third[2]!.score).toBe(0.7);
  });

  it('leaves the fresh ranking as it is (cut to k) without evidence, with a zero rate, or with maxShare 0', () => {
    const fresh = freshList(6);
    // Nine observations: every rate is short of ten.
    const short = learned({ minEvidence: 10 }, recentR0, fresh5, times('R0', 9));
    expect(short.revisitRate(0, 0)).toBeUndefined();
    expect(mergeRevisits(fresh, [candidate('R0', 0)], 4, short)).toEqual(fresh.slice(0, 4));
    // Revisit rate known (10 observations) but no fresh list was ever judged: no fresh rate.
    const noFresh = learned({ minEvidence: 10 }, recentR0, undefined, times('R0', 10));
    expect(noFresh.revisitRate(0, 0)).toBe(1);
    expect(mergeRevisits(fresh, [candidate('R0', 0)], 4, noFresh)).toEqual(fresh.slice(0, 4));
    // Rate 0: never comes back, even where the fresh rate is 0 too.
    expect(mergeRevisits(fresh, [candidate('R0', 0)], 4, withR0Rate(0))).toEqual(fresh.slice(0, 4));
    // maxShare 0: no place for it.
    expect(mergeRevisits(fresh, [candidate('R0', 0)], 4, withR0Rate(3, 0))).toEqual(fresh.slice(0, 4));
    // No candidate.
    expect(mergeRevisits(fresh, [], 4, withR0Rate(3))).toEqual(fresh.slice(0, 4));
  });

  it("reads a candidate's own bucket: an item from before the session window has its own rate", () => {
    // R0 was touched inside the window before each event and came back 3 of 10 times; nothing is known of bucket 1.
    const evidence = withR0Rate(3);
    expect(mergeRevisits(freshList(4), [candidate('R0', 0, 1)], 4, evidence).map((item) => item.itemId)).toEqual(['f0', 'f1', 'f2', 'f3']);
  });

  it('takes at most floor(k × maxShare) recent items, best rate first', () => {
    // Ten observations of recent R0, R1, R2 (places 0..2, bucket 0): R0 3, R1 5, R2 2 hits; fresh
    // lists never hit (q = 0 everywhere measured).
    const recent = [entry('R0', 'view', 10 * SEC), entry('R1', 'like', 20 * SEC), entry('R2', 'view', 30 * SEC)];
    const evidence = learned({ minEvidence: 10, maxShare: 0.5 }, recent, fresh5, [...times('R0', 3), ...times('R1', 5), ...times('R2', 2)]);
    const candidates = [candidate('R0', 0), candidate('R1', 1, 0, 'like'), candidate('R2', 2)];
    // k 4 -> 2 places: R1 (0.5) then R0 (0.3), both before f0 (rate 0), both with f0's score.
    expect(mergeRevisits(freshList(6), candidates, 4, evidence)).toEqual([
      { itemId: 'R1', score: 0.9, reason: 'you liked it' },
      { itemId: 'R0', score: 0.9, reason: 'you viewed it recently' },
      { itemId: 'f0', score: 0.9, reason: 'fresh 0' },
      { itemId: 'f1', score: 0.8, reason: 'fresh 1' },
    ]);
    // k 5 -> still floor(2.5) = 2; k 6 -> 3.
    expect(mergeRevisits(freshList(6), candidates, 5, evidence).map((item) => item.itemId)).toEqual(['R1', 'R0', 'f0', 'f1', 'f2']);
    expect(mergeRevisits(freshList(6), candidates, 6, evidence).map((item) => item.itemId)).toEqual(['R1', 'R0', 'R2', 'f0', 'f1', 'f2']);
  });

  it('on equal rates takes the newer item first', () => {
    const recent = [entry('R0', 'view', 10 * SEC), entry('R1', 'view', 20 * SEC)];
    const evidence = learned({ minEvidence: 10, maxShare: 1 }, recent, fresh5, [...times('R0', 4), ...times('R1', 4), ...times('Z', 2)]);
    // Candidates handed in oldest first: the order comes from the places.
    expect(mergeRevisits(freshList(4), [candidate('R1', 1), candidate('R0', 0)], 4, evidence).map((item) => item.itemId)).toEqual([
      'R0',
      'R1',
      'f0',
      'f1',
    ]);
  });

  it('does not list a recent item twice when the fresh ranking holds it too', () => {
    const fresh: RecommendedItem[] = [
      { itemId: 'f0', score: 0.9, reason: 'fresh 0' },
      { itemId: 'R0', score: 0.8, reason: 'fresh R0' },
      { itemId: 'f1', score: 0.7, reason: 'fresh 1' },
      { itemId: 'f2', score: 0.6, reason: 'fresh 2' },
    ];
    const list = mergeRevisits(fresh, [candidate('R0', 0)], 4, withR0Rate(3));
    expect(list).toEqual([
      { itemId: 'R0', score: 0.9, reason: 'you viewed it recently' },
      { itemId: 'f0', score: 0.9, reason: 'fresh 0' },
      { itemId: 'f1', score: 0.7, reason: 'fresh 1' },
      { itemId: 'f2', score: 0.6, reason: 'fresh 2' },
    ]);
  });

  it('fills past a short fresh ranking with recent items, at the last score, up to its share', () => {
    // q0 = 0.6 (6 of 10 touch f0), R0 0.3, R1 0.1: f0 beats both; then the fresh ranking ends.
    const recent = [entry('R0', 'view', 10 * SEC), entry('R1', 'view', 20 * SEC)];
    const evidence = learned({ minEvidence: 10, maxShare: 1 }, recent, fresh5, [...times('f0', 6), ...times('R0', 3), 'R1']);
    const list = mergeRevisits(freshList(1), [candidate('R0', 0), candidate('R1', 1)], 4, evidence);
    expect(list).toEqual([
      { itemId: 'f0', score: 0.9, reason: 'fresh 0' },
      { itemId: 'R0', score: 0.9, reason: 'you viewed it recently' },
      { itemId: 'R1', score: 0.9, reason: 'you viewed it recently' },
    ]);
    // Nothing to show at all: the recent items alone, score 0.
    expect(mergeRevisits([], [candidate('R0', 0)], 4, evidence)).toEqual([{ itemId: 'R0', score: 0, reason: 'you viewed it recently' }]);
  });

  it('gives fresh places beyond the measured ones the last known fresh rate', () => {
    // Lists of three were judged: q = 0.2, 0.1, 0.05 (8, 4, 2 of 40); R0 0.025 (1 of 40).
    const measured = ['f0', 'f1', 'f2'];
    const evidence = learned({ minEvidence: 40, maxShare: 0.5 }, recentR0, measured, [
      ...times('f0', 8),
      ...times('f1', 4),
      ...times('f2', 2),
      'R0',
      ...times('Z', 25),
    ]);
    expect([2, 3].map((j) => evidence.freshRate(j))).toEqual([0.05, undefined]);
    // Places 3.. of a list of six are read as 0.05, which R0 does not beat: the list stays fresh.
    expect(mergeRevisits(freshList(6), [candidate('R0', 0)], 6, evidence).map((item) => item.itemId)).toEqual([
      'f0',
      'f1',
      'f2',
      'f3',
      'f4',
      'f5',
    ]);
    // Had lists of six been judged (places 3..5 never hit: rate 0), R0 would take the fourth place.
    const six = ['f0', 'f1', 'f2', 'f3', 'f4', 'f5'];
    const measuredSix = learned({ minEvidence: 40, maxShare: 0.5 }, recentR0, six, [
      ...times('f0', 8),
      ...times('f1', 4),
      ...times('f2', 2),
      'R0',
      ...times('Z', 25),
    ]);
    expect(mergeRevisits(freshList(6), [candidate('R0', 0)], 6, measuredSix).map((item) => item.itemId)).toEqual([
      'f0',
      'f1',
      'f2',
      'R0',
      'f3',
      'f4',
    ]);
  });

  it("compares with the fresh item's own score tenth where that has the evidence", () => {
    // Twelve observations of recent R0 and fresh lists of one (f0):
    //   4 with f0 scored 0.95, touching neither;  6 with f0 scored 0.15, touching f0;
    //   2 with f0 scored 0.15, touching R0.
    // q(0) = 6/12 = 0.5, but q(0, tenth 9) = 0/4 and q(0, tenth 1) = 6/8; R0: 2/12.
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 4 });
    for (let i = 0; i < 4; i++) evidence.observe('view', ['Z'], NOW, recentR0, ['f0'], [0.95]);
    for (let i = 0; i < 6; i++) evidence.observe('view', ['f0'], NOW, recentR0, ['f0'], [0.15]);
    for (let i = 0; i < 2; i++) evidence.observe('view', ['R0'], NOW, recentR0, ['f0'], [0.15]);
    expect(evidence.freshRate(0)).toBe(0.5);
    // A first place scored 0.9 (tenth 9, rate 0): R0 goes before it.
    expect(mergeRevisits(freshList(4), [candidate('R0', 0)], 4, evidence).map((item) => item.itemId)).toEqual(['R0', 'f0', 'f1', 'f2']);
    // Scored 0.15 (tenth 1, rate 0.75), and the places after it at the last known 0.5: R0 never beats them.
    const low: RecommendedItem[] = [0.15, 0.14, 0.13, 0.12].map((score, i) => ({ itemId: `f${i}`, score, reason: `fresh ${i}` }));
    expect(mergeRevisits(low, [candidate('R0', 0)], 4, evidence)).toEqual(low);
  });

  it('returns k items when the fresh ranking is longer', () => {
    const list = mergeRevisits(freshList(8), [candidate('R0', 0)], 5, withR0Rate(3));
    expect(list.map((item) => item.itemId)).toEqual(['R0', 'f0', 'f1', 'f2', 'f3']);
  });
});
