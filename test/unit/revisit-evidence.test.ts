import { describe, expect, it } from 'vitest';
import { REVISIT_PLACES, RevisitEvidence } from '../../engine/recommend/logic/revisits.js';
import { entry, GAP_S, NOW, SEC } from '../helpers/revisits-fixtures.js';

/** Re-visits by evidence (logic/revisits.ts): how the two hit rates are counted, per bucket, place and cell. */

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
