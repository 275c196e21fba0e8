import { describe, expect, it } from 'vitest';
import type { RecommendedItem } from '../../engine/contracts/schemas.js';
import {
  mergeRevisits,
  REVISIT_PLACES,
  RevisitEvidence,
  revisitCandidates,
  revisitReason,
  type RevisitCandidate,
} from '../../engine/recommend/logic/revisits.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';

/**
 * Re-visits by evidence (logic/revisits.ts): which recent items are candidates, how the two hit
 * rates are counted, and how a list of k merges the fresh ranking with the candidates by rate.
 * Every expected value is worked out from the module's comments.
 */

const NOW = 1_750_000_000_000;
const GAP_S = 1800;
const SEC = 1000;

const entry = (itemId: string, type: RecentInteraction['type'], agoMs: number): RecentInteraction => ({ itemId, type, ts: NOW - agoMs });

/** A fresh ranking f0, f1, ... with scores 0.9, 0.8, ... (falling, as a ranking's). */
function freshList(n: number): RecommendedItem[] {
  return Array.from({ length: n }, (_, i) => ({ itemId: `f${i}`, score: Math.round((0.9 - 0.1 * i) * 10) / 10, reason: `fresh ${i}` }));
}

/** A candidate touched once among the recent items (times 1), as in every `learned` observation below unless said. */
const candidate = (
  itemId: string,
  place: number,
  bucket: 0 | 1 = 0,
  type: RevisitCandidate['type'] = 'view',
  times: RevisitCandidate['times'] = 1,
): RevisitCandidate => ({ itemId, place, bucket, type, times });

/**
 * Evidence from `touched.length` observations, each judged against the same recent items
 * (`recentBefore`, bucket by `ts`) and fresh ranking (`fresh`): observation i touches touched[i].
 * So a place's rate is (how often its item is in `touched`) / touched.length.
 */
function learned(
  options: { minEvidence: number; maxShare?: number },
  recentBefore: RecentInteraction[],
  fresh: string[] | undefined,
  touched: string[],
): RevisitEvidence {
  const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, ...options });
  for (const itemId of touched) evidence.observe('view', [itemId], NOW, recentBefore, fresh);
  return evidence;
}

/** `count` copies of `itemId`. */
const times = (itemId: string, count: number): string[] => Array.from({ length: count }, () => itemId);

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

describe('RevisitEvidence', () => {
  it('refuses bad options', () => {
    expect(() => new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 0 })).toThrow(RangeError);
    expect(() => new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1.5 })).toThrow(RangeError);
    expect(() => new RevisitEvidence({ sessionGapSeconds: GAP_S, maxShare: -0.1 })).toThrow(RangeError);
    expect(() => new RevisitEvidence({ sessionGapSeconds: GAP_S, maxShare: 1.1 })).toThrow(RangeError);
    expect(() => new RevisitEvidence({ sessionGapSeconds: GAP_S, maxShare: Number.NaN })).toThrow(RangeError);
    expect(() => new RevisitEvidence({ sessionGapSeconds: 0 })).toThrow(RangeError);
    expect(new RevisitEvidence({ sessionGapSeconds: GAP_S }).maxShare).toBe(0.5);
  });

  // Recent items before each event: A, B inside the window, A again (not a new place), C before it.
  const before = [
    entry('A', 'view', 10 * SEC),
    entry('B', 'view', 20 * SEC),
    entry('A', 'click', 30 * SEC),
    entry('C', 'view', 2 * 3600 * SEC),
  ];
  const fresh = ['F0', 'F1', 'F2'];

  it('counts each bucket and place and each fresh place, and answers only from minEvidence observations on', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 4 });
    // Four next events: B (bucket 0, place 1), F1 (fresh place 1), A (bucket 0, place 0), elsewhere.
    const touched = ['B', 'F1', 'A', 'Z'];
    touched.forEach((itemId, i) => {
      evidence.observe('view', [itemId], NOW, before, fresh);
      if (i < 3) {
        // Three observations: still short of four.
        expect(evidence.revisitRate(0, 0)).toBeUndefined();
        expect(evidence.freshRate(0)).toBeUndefined();
      }
    });
    // A: 1 of 4; B: 1 of 4; C (place 2, before the window): 0 of 4.
    expect(evidence.revisitRate(0, 0)).toBe(0.25);
    expect(evidence.revisitRate(0, 1)).toBe(0.25);
    expect(evidence.revisitRate(1, 2)).toBe(0);
    // No observation of bucket 1 at places 0, 1, nor of bucket 0 at place 2; none past the list.
    expect(evidence.revisitRate(1, 0)).toBeUndefined();
    expect(evidence.revisitRate(0, 2)).toBeUndefined();
    expect(evidence.revisitRate(0, 3)).toBeUndefined();
    expect(evidence.revisitRate(0, REVISIT_PLACES)).toBeUndefined();
    // Fresh: F0 0 of 4, F1 1 of 4, F2 0 of 4; place 3 never shown.
    expect([0, 1, 2, 3].map((j) => evidence.freshRate(j))).toEqual([0, 0.25, 0, undefined]);

    const rates = evidence.rates();
    expect(rates.revisit).toHaveLength(2);
    expect(rates.revisit[0]).toHaveLength(REVISIT_PLACES);
    expect(rates.revisit[0]!.slice(0, 3)).toEqual([0.25, 0.25, null]);
    expect(rates.revisit[1]!.slice(0, 3)).toEqual([null, null, 0]);
    expect(rates.fresh).toHaveLength(REVISIT_PLACES);
    expect(rates.fresh.slice(0, 4)).toEqual([0, 0.25, 0, null]);
  });

  it("buckets by the event's own time: an item in the window of a later event is not", () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1 });
    // The event comes 1 h after NOW: A (touched 10 s before NOW) is then before its window.
    evidence.observe('view', ['A'], NOW + 3600 * SEC, [entry('A', 'view', 10 * SEC)], undefined);
    expect(evidence.revisitRate(1, 0)).toBe(1);
    expect(evidence.revisitRate(0, 0)).toBeUndefined();
  });

  it('takes no observation from an event that touches no item or is not a positive item event', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1 });
    evidence.observe('view', [], NOW, before, fresh);
    for (const type of ['dislike', 'remove_from_cart', 'search', 'impression', 'merge']) evidence.observe(type, ['A'], NOW, before, fresh);
    const none = evidence.rates();
    expect(none.revisit.flat().every((rate) => rate === null)).toBe(true);
    expect(none.fresh.every((rate) => rate === null)).toBe(true);
    // Each positive type is one.
    for (const type of ['view', 'click', 'add_to_cart', 'like', 'purchase']) evidence.observe(type, ['A'], NOW, before, fresh);
    expect(evidence.revisitRate(0, 0)).toBe(1);
    expect(evidence.freshRate(0)).toBe(0);
  });

  it('counts a multi-item event (a basket) as a hit wherever any of its items is', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1 });
    evidence.observe('purchase', ['Q', 'B', 'F2'], NOW, before, fresh);
    // One observation: B at place 1 and F2 at fresh place 2 are hit, nothing else.
    expect(evidence.revisitRate(0, 0)).toBe(0);
    expect(evidence.revisitRate(0, 1)).toBe(1);
    expect(evidence.revisitRate(1, 2)).toBe(0);
    expect([0, 1, 2].map((j) => evidence.freshRate(j))).toEqual([0, 0, 1]);
  });

  it('judges only the first REVISIT_PLACES fresh places', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1 });
    const long = Array.from({ length: REVISIT_PLACES + 5 }, (_, j) => `L${j}`);
    evidence.observe('view', [`L${REVISIT_PLACES}`], NOW, [], long);
    expect(evidence.freshRate(REVISIT_PLACES - 1)).toBe(0);
    expect(evidence.freshRate(REVISIT_PLACES)).toBeUndefined();
    expect(evidence.rates().fresh.every((rate) => rate === 0)).toBe(true);
  });

  it('rates a candidate by its cell (bucket, place, times) once that has the evidence, else by its place', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 4 });
    const twice = [entry('A', 'view', 10 * SEC), entry('A', 'click', 20 * SEC)];
    const once = [entry('A', 'view', 10 * SEC)];
    // Touched twice before: came back 4 of 4. Touched once: 0 of 4. Place 0 over both: 4 of 8.
    for (let i = 0; i < 4; i++) evidence.observe('view', ['A'], NOW, twice, undefined);
    for (let i = 0; i < 4; i++) evidence.observe('view', ['Z'], NOW, once, undefined);
    expect(evidence.revisitRate(0, 0)).toBe(0.5);
    expect(evidence.candidateRate({ bucket: 0, place: 0, times: 2 })).toBe(1);
    expect(evidence.candidateRate({ bucket: 0, place: 0, times: 1 })).toBe(0);
    // Three or more: no observation of that cell, so the place's rate.
    expect(evidence.candidateRate({ bucket: 0, place: 0, times: 3 })).toBe(0.5);
    // Nothing known of the place either.
    expect(evidence.candidateRate({ bucket: 1, place: 0, times: 1 })).toBeUndefined();
  });

  it('rates a fresh item by its cell (place, score in tenths) once that has the evidence, else by its place', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 2 });
    // First place scored 0.95 (tenth 9): hit 2 of 2. Scored 0.35 (tenth 3): hit 0 of 2. Place 0: 2 of 4.
    for (let i = 0; i < 2; i++) evidence.observe('view', ['F0'], NOW, [], ['F0'], [0.95]);
    for (let i = 0; i < 2; i++) evidence.observe('view', ['Z'], NOW, [], ['F0'], [0.35]);
    expect(evidence.freshRate(0)).toBe(0.5);
    expect(evidence.freshItemRate(0, 0.91)).toBe(1);
    expect(evidence.freshItemRate(0, 0.3)).toBe(0);
    // Scores above 1 count as 1 (the top tenth).
    expect(evidence.freshItemRate(0, 1.4)).toBe(1);
    // A tenth never observed, or a score of 0 or less (tenth 0): the place's rate.
    expect(evidence.freshItemRate(0, 0.55)).toBe(0.5);
    expect(evidence.freshItemRate(0, -0.2)).toBe(0.5);
    // A place never shown, or past the measured ones: nothing.
    expect(evidence.freshItemRate(1, 0.95)).toBeUndefined();
    expect(evidence.freshItemRate(REVISIT_PLACES, 0.95)).toBeUndefined();
  });

  it('halves its counts once a place passes 200,000 observations: the rates stay, and newer events then weigh more', () => {
    const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, minEvidence: 1 });
    const last = [entry('A', 'view', SEC)];
    // 200,000 observations, one in four touching A: 50,000 hits. At the 200,000th the counts halve
    // to 25,000 of 100,000: still a quarter.
    for (let i = 0; i < 200_000; i++) evidence.observe('view', [i % 4 === 0 ? 'A' : 'Z'], NOW, last, undefined);
    expect(evidence.revisitRate(0, 0)).toBe(0.25);
    // 100,000 more, every one touching A: 125,000 of 200,000, halved again to 62,500 of 100,000.
    // Without halving it would be 150,000 of 300,000 = 0.5. (Close to, not equal: whether the
    // counts halve at 200,000 or just past it moves the result by less than 1e-6.)
    for (let i = 0; i < 100_000; i++) evidence.observe('view', ['A'], NOW, last, undefined);
    expect(evidence.revisitRate(0, 0)).toBeCloseTo(0.625, 4);
  });
});

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
