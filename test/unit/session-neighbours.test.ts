import { describe, expect, it } from 'vitest';
import { SessionIndex } from '../../engine/recommend/logic/session-neighbours.js';

/**
 * "Sessions like yours" (logic/session-neighbours.ts): how sessions are cut and bounded, and a
 * query worked out by hand from the module comment (the d-th newest query item weighs 1 - d/10,
 * similarity over the query's length, the `neighbours` most similar sessions voting with their
 * similarity over 1 + the distance of the newest item they share).
 */

const GAP_MS = 30 * 60 * 1000;
const T0 = 1_750_000_000_000;

/** The item ids of a query answer. */
const ids = (answer: Array<[string, number]>): string[] => answer.map(([id]) => id);

/** `answer` holds `expected`'s items in that order, with its scores up to rounding. */
function expectScores(answer: Array<[string, number]>, expected: Array<[string, number]>): void {
  expect(ids(answer)).toEqual(ids(expected));
  answer.forEach(([, score], i) => expect(score).toBeCloseTo(expected[i]![1], 10));
}

describe('SessionIndex options', () => {
  it('refuses bounds below 1, non-integers and a gap that is not positive', () => {
    expect(() => new SessionIndex({ sessionGapMs: 0 })).toThrow(RangeError);
    expect(() => new SessionIndex({ sessionGapMs: GAP_MS, maxSessions: 0 })).toThrow(RangeError);
    expect(() => new SessionIndex({ sessionGapMs: GAP_MS, postingsPerItem: 0 })).toThrow(RangeError);
    expect(() => new SessionIndex({ sessionGapMs: GAP_MS, maxSessionItems: 2.5 })).toThrow(RangeError);
  });
});

describe('SessionIndex sessions', () => {
  it('starts a new session after a pause longer than the gap, not after one of exactly the gap', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u', ['a'], T0);
    index.add('u', ['b'], T0 + GAP_MS);
    expect(index.size).toBe(1);
    // The gap counts from the session's last item (b), so a pause of the gap + 1 ms starts another.
    index.add('u', ['c'], T0 + 2 * GAP_MS + 1);
    expect(index.size).toBe(2);
    // a and b are one session (each votes for the other), c is alone.
    expect(index.query(['a'])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(index.query(['c'])).toEqual([['c', 1]]);
  });

  it('ignores a touch of no item', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u', [], T0);
    expect(index.size).toBe(0);
  });

  it('keeps each item once per session, the first maxSessionItems of them', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS, maxSessionItems: 3 });
    index.add('u', ['a', 'b', 'a'], T0);
    index.add('u', ['c', 'd'], T0 + 1000);
    // One session [a, b, c]: a counted once, d past the cap and unknown to the index.
    expect(index.query(['a'])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 1],
    ]);
    expect(index.query(['d'])).toEqual([]);
  });

  it('drops the oldest session beyond maxSessions; its shopper then starts a new one', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS, maxSessions: 2 });
    index.add('u1', ['a', 'x'], T0);
    index.add('u2', ['a', 'b'], T0 + 1);
    index.add('u3', ['a', 'c'], T0 + 2);
    expect(index.size).toBe(2);
    // u1's session is gone: x is voted for by no one.
    expect(index.query(['a'])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    // u1 again, within the gap of their dropped session: a new session [y], which drops u2's.
    index.add('u1', ['y'], T0 + 3);
    expect(index.size).toBe(2);
    expect(index.query(['y'])).toEqual([['y', 1]]);
    expect(index.query(['a'])).toEqual([
      ['a', 1],
      ['c', 1],
    ]);
  });

  it('scans only the newest postingsPerItem sessions of each query item', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS, postingsPerItem: 2 });
    for (let i = 1; i <= 5; i++) index.add(`u${i}`, ['a', `p${i}`], T0 + i);
    // Five sessions hold a; the newest two (u4, u5) answer.
    expect(index.query(['a'])).toEqual([
      ['a', 2],
      ['p4', 1],
      ['p5', 1],
    ]);
    expect(index.size).toBe(5);
  });

  it('forgets the open session of a dropped shopper; their next item starts a new one', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('visitor', ['a', 'v'], T0);
    index.add('other', ['a', 'o'], T0);
    index.drop('visitor');
    index.drop('nobody');
    expect(index.size).toBe(1);
    expect(index.query(['a'])).toEqual([
      ['a', 1],
      ['o', 1],
    ]);
    index.add('visitor', ['w'], T0 + 1000);
    expect(index.size).toBe(2);
    expect(index.query(['w'])).toEqual([['w', 1]]);
  });
});

describe('SessionIndex query', () => {
  /**
   * Five shoppers, one session each (added in this order, so S5 is the newest):
   *   S1 u1 [a, b, x]   S2 u2 [c, y]   S3 u3 [a, z]   S4 u4 [b, c, w]   S5 u5 [d, v]
   * The query [d, c, b, a] (newest first, n = 4) weighs the d-th newest 1 - d/10: d 1, c 0.9,
   * b 0.8, a 0.7. Similarity = shared weights / n; a vote = similarity / (1 + distance of the
   * newest shared item):
   *   S1 (b, a)  1.5 / 4 = 0.375,  newest shared b (d = 2): votes 0.375 / 3 = 0.125
   *   S2 (c)     0.9 / 4 = 0.225,  c (d = 1):               0.225 / 2 = 0.1125
   *   S3 (a)     0.7 / 4 = 0.175,  a (d = 3):               0.175 / 4 = 0.04375
   *   S4 (c, b)  1.7 / 4 = 0.425,  c (d = 1):               0.425 / 2 = 0.2125
   *   S5 (d)     1 / 4   = 0.25,   d (d = 0):               0.25 / 1  = 0.25
   * Ranked by similarity: S4, S1, S5, S2, S3.
   */
  function example(): SessionIndex {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['a', 'b', 'x'], T0);
    index.add('u2', ['c', 'y'], T0 + 1);
    index.add('u3', ['a', 'z'], T0 + 2);
    index.add('u4', ['b', 'c', 'w'], T0 + 3);
    index.add('u5', ['d', 'v'], T0 + 4);
    return index;
  }
  const current = ['d', 'c', 'b', 'a'];

  it('lets the three most similar sessions vote, each by its similarity over the distance of its newest shared item', () => {
    // S4, S1, S5 vote: b 0.2125 + 0.125, d and v 0.25, c and w 0.2125, a and x 0.125.
    expectScores(example().query(current, { neighbours: 3 }), [
      ['b', 0.3375],
      ['d', 0.25],
      ['v', 0.25],
      ['c', 0.2125],
      ['w', 0.2125],
      ['a', 0.125],
      ['x', 0.125],
    ]);
  });

  it('with every session voting: sums over all of them, ties by item id', () => {
    // Adds S2 (c, y: 0.1125) and S3 (a, z: 0.04375) to the above.
    expectScores(example().query(current), [
      ['b', 0.3375],
      ['c', 0.325],
      ['d', 0.25],
      ['v', 0.25],
      ['w', 0.2125],
      ['a', 0.16875],
      ['x', 0.125],
      ['y', 0.1125],
      ['z', 0.04375],
    ]);
  });

  it('takes the newer of equally similar sessions', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['q', 'older'], T0);
    index.add('u2', ['q', 'newer'], T0 + 1);
    expect(index.query(['q'], { neighbours: 1 })).toEqual([
      ['newer', 1],
      ['q', 1],
    ]);
  });

  it("never takes the asking shopper's own sessions as neighbours", () => {
    // Without S4: S1, S5, S2 vote (0.125, 0.25, 0.1125).
    expectScores(example().query(current, { neighbours: 3, userId: 'u4' }), [
      ['d', 0.25],
      ['v', 0.25],
      ['a', 0.125],
      ['b', 0.125],
      ['x', 0.125],
      ['c', 0.1125],
      ['y', 0.1125],
    ]);
  });

  it('excludes every session of the asking shopper, not only the open one', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('me', ['a', 'old'], T0);
    index.add('me', ['a', 'new'], T0 + 2 * GAP_MS);
    index.add('you', ['a', 'yours'], T0);
    expect(index.size).toBe(3);
    expect(index.query(['a'], { userId: 'me' })).toEqual([
      ['a', 1],
      ['yours', 1],
    ]);
  });

  it('returns at most `limit` items, best first', () => {
    expect(ids(example().query(current, { limit: 2 }))).toEqual(['b', 'c']);
  });

  it('weighs the newest query item most, and a session sharing it speaks loudest', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['old', 'p'], T0);
    index.add('u2', ['new', 'q'], T0 + 1);
    // Query [new, old] (n = 2): u2 shares new (1 / 2, distance 0): 0.5; u1 shares old
    // (0.9 / 2 = 0.45, distance 1): 0.45 / 2 = 0.225.
    expectScores(index.query(['new', 'old']), [
      ['new', 0.5],
      ['q', 0.5],
      ['old', 0.225],
      ['p', 0.225],
    ]);
    // Reversed, the other way round.
    expect(ids(index.query(['old', 'new']))).toEqual(['old', 'p', 'new', 'q']);
  });

  it('reads only the 10 newest items of the query', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['i9', 'm'], T0);
    index.add('u2', ['i10', 'k'], T0 + 1);
    const twelve = Array.from({ length: 12 }, (_, d) => `i${d}`);
    // i9 (d = 9) weighs 0.1: similarity 0.1 / 10, distance 9 -> 0.001; i10 is past the window.
    expectScores(index.query(twelve), [
      ['i9', 0.001],
      ['m', 0.001],
    ]);
  });

  it('compares only the newest `sample` sessions that share an item', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    // The oldest session is the most similar to [a, b]: (1 + 0.9) / 2 = 0.95; the others 0.5.
    index.add('u0', ['a', 'b', 'z'], T0);
    for (let i = 1; i <= 3; i++) index.add(`u${i}`, ['a', `p${i}`], T0 + i);
    expect(ids(index.query(['a', 'b']))[0]).toBe('a');
    expect(ids(index.query(['a', 'b']))).toContain('z');
    // With a sample of two, only u3's and u2's sessions are compared (0.5 each).
    expectScores(index.query(['a', 'b'], { sample: 2 }), [
      ['a', 1],
      ['p2', 0.5],
      ['p3', 0.5],
    ]);
  });

  it('scores a session once when an older open session touched an item after a newer one did', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['p'], T0); // session 1 opens
    index.add('u2', ['y', 'x'], T0 + 1); // session 2
    index.add('u1', ['x'], T0 + 2); // session 1, still open, touches x after session 2: x's posting is [2, 1]
    // Session 2 shares y and x: (1 + 0.9) / 2 = 0.95, step 1 -> 0.95 each; session 1 shares x:
    // 0.9 / 2 = 0.45, step 2 -> 0.225 for x and p.
    expectScores(index.query(['y', 'x']), [
      ['x', 1.175],
      ['y', 0.95],
      ['p', 0.225],
    ]);
    expectScores(index.query(['y', 'x'], { neighbours: 1 }), [
      ['x', 0.95],
      ['y', 0.95],
    ]);
  });

  it('is empty for an empty query or items no session holds', () => {
    const index = example();
    expect(index.query([])).toEqual([]);
    expect(index.query(['unknown'])).toEqual([]);
    expect(new SessionIndex({ sessionGapMs: GAP_MS }).query(['a'])).toEqual([]);
  });
});

describe('SessionIndex sequential rules', () => {
  it('counts what followed an item within three places of one session, 1/k for k places later', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    // Session 1: a b c d e. After a: b (1), c (1/2), d (1/3); e is four places later.
    index.add('u1', ['a', 'b', 'c', 'd', 'e'], T0);
    // Session 2: a c. After a: c (1).
    index.add('u2', ['a'], T0 + 1);
    index.add('u2', ['c'], T0 + 2);
    // A re-touch of an item already in the session is no new step.
    index.add('u2', ['a'], T0 + 3);
    expectScores(index.following('a'), [
      ['c', 1.5],
      ['b', 1],
      ['d', 1 / 3],
    ]);
    expectScores(index.following('d'), [['e', 1]]);
    expect(index.following('e')).toEqual([]);
    expect(index.following('unknown')).toEqual([]);
    expect(index.following(undefined)).toEqual([]);
  });

  it('does not count across sessions of one shopper, nor across shoppers', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    index.add('u1', ['a'], T0);
    index.add('u1', ['b'], T0 + GAP_MS + 1); // a pause: a new session
    index.add('u2', ['c'], T0 + GAP_MS + 2);
    expect(index.following('a')).toEqual([]);
    expect(index.following('b')).toEqual([]);
  });

  it('keeps the strongest followers and answers at most `limit`', () => {
    const index = new SessionIndex({ sessionGapMs: GAP_MS });
    // x followed by f0 once, f1 twice, ... f4 five times (each in its own session).
    for (let f = 0; f < 5; f++) for (let r = 0; r <= f; r++) index.add(`u${f}-${r}`, ['x', `f${f}`], T0 + f * 10 + r);
    expect(ids(index.following('x', 2))).toEqual(['f4', 'f3']);
    expect(ids(index.following('x'))).toEqual(['f4', 'f3', 'f2', 'f1', 'f0']);
  });
});
