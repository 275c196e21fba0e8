import { describe, expect, it } from 'vitest';
import { firstPassingBest, firstPassingOf, strongestFirst, strongestOrder } from '../../engine/recommend/logic/best-first.js';
import { IdRanks } from '../../engine/recommend/logic/id-ranks.js';
import { SessionIndex } from '../../engine/recommend/logic/session-neighbours.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * logic/best-first.ts: reading a scored list best first without sorting all of it must give
 * exactly what sorting all of it gives (best score first, ties by id), also with many ties; and
 * SessionIndex.queryPassing / following with a filter exactly what the unfiltered answer, cut, gives.
 */

type Entry = [string, number];

/** The reference: sort everything, cut to limit, filter, cut to take. */
function reference(entries: Entry[], limit: number, take: number, filter?: (id: string) => boolean): Entry[] {
  return [...entries]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .filter(([id]) => filter === undefined || filter(id))
    .slice(0, Math.max(0, take));
}

describe('firstPassingBest', () => {
  it('equals sort, cut, filter, cut on random lists with many ties', () => {
    const random = mulberry32(11);
    for (let trial = 0; trial < 3000; trial++) {
      const count = Math.floor(random() * 300);
      const names = Array.from({ length: count + 3 }, (_, i) => `i${Math.floor(random() * 1000)}-${i}`);
      // Entry i is names[i + 3]: keys need not be positions.
      const keys = Array.from({ length: count }, (_, i) => i + 3);
      const levels = 1 + Math.floor(random() * 20);
      const scores = new Float64Array(count);
      for (let i = 0; i < count; i++) scores[i] = random() < 0.6 ? Math.floor(random() * levels) / 7 : random() * 3 - 1;
      const limit = Math.floor(random() * 250);
      const take = Math.floor(random() * 60);
      const cut = random();
      const filter = random() < 0.2 ? undefined : (id: string) => (id.charCodeAt(1) % 10) / 10 >= cut * 0.7;
      const entries = keys.map((key, i): Entry => [names[key]!, scores[i]!]);
      const expected = reference(entries, limit, take, filter);
      expect(firstPassingBest(names, keys, scores, count, limit, take, filter)).toEqual(expected);
      // With the ids' ranks (some of the newest names not ranked yet: those ties are sorted by string).
      const ranks = new IdRanks();
      ranks.refresh(names.slice(0, Math.floor(random() * (names.length + 1))));
      expect(firstPassingBest(names, keys, scores, count, limit, take, filter, ranks)).toEqual(expected);
    }
  });

  it('reads nothing for an empty list, limit 0 or take 0', () => {
    const scores = new Float64Array([1, 2]);
    expect(firstPassingBest(['a', 'b'], [0, 1], scores, 0, 5, 5)).toEqual([]);
    expect(firstPassingBest(['a', 'b'], [0, 1], scores, 2, 0, 5)).toEqual([]);
    expect(firstPassingBest(['a', 'b'], [0, 1], scores, 2, 5, 0)).toEqual([]);
    expect(firstPassingBest(['a', 'b'], [0, 1], scores, 2, 5, 5)).toEqual([
      ['b', 2],
      ['a', 1],
    ]);
  });

  it('keeps the sign of each zero in a tie of zeros', () => {
    const scores = new Float64Array([0, -0, 0, -0, 1]);
    const answer = firstPassingBest(['d', 'c', 'b', 'a', 'e'], [0, 1, 2, 3, 4], scores, 5, 5, 5);
    expect(answer.map(([id]) => id)).toEqual(['e', 'a', 'b', 'c', 'd']);
    expect(answer.map(([, score]) => Object.is(score, -0))).toEqual([false, true, false, true, false]);
  });

  it('firstPassingOf keeps the first passing entries in order', () => {
    const list: Entry[] = [
      ['a', 3],
      ['b', 2],
      ['c', 1],
    ];
    expect(firstPassingOf(list, 1, (id) => id !== 'a')).toEqual([['b', 2]]);
    expect(firstPassingOf(list, 5)).toEqual(list);
  });
});

describe('strongestFirst', () => {
  it('equals a sort by value (desc), then position, cut to keep', () => {
    const random = mulberry32(5);
    for (let trial = 0; trial < 2000; trial++) {
      const count = Math.floor(random() * 300);
      const levels = 1 + Math.floor(random() * 12);
      const values = Array.from({ length: count }, () => Math.floor(random() * levels) / 3);
      const keep = Math.floor(random() * 200);
      const expected = values
        .map((_, i) => i)
        .sort((a, b) => values[b]! - values[a]! || a - b)
        .slice(0, keep);
      expect(strongestFirst(values, keep)).toEqual(expected);
      const order = new Int32Array(count);
      const length = strongestOrder(Float64Array.from(values), count, keep, order);
      expect(Array.from(order.subarray(0, length))).toEqual(expected);
    }
  });
});

describe('SessionIndex with a filter', () => {
  it('queryPassing and following equal the unfiltered answers, filtered and cut', () => {
    const random = mulberry32(3);
    const index = new SessionIndex({ sessionGapMs: 30 * 60_000, postingsPerItem: 40, maxSessions: 400 });
    const item = () => `item-${Math.floor(random() * 120)}`;
    let ts = 0;
    for (let s = 0; s < 600; s++) {
      ts += 3_600_000;
      index.add(`s${s % 250}`, Array.from({ length: 1 + Math.floor(random() * 8) }, item), ts);
    }
    for (let q = 0; q < 300; q++) {
      const current = Array.from({ length: Math.floor(random() * 14) }, item);
      const options = { userId: `s${q % 250}`, limit: 1 + Math.floor(random() * 80), neighbours: 1 + Math.floor(random() * 60) };
      const cut = random();
      const filter = (id: string) => (id.charCodeAt(id.length - 1) % 10) / 10 >= cut * 0.8;
      const take = Math.floor(random() * 40);
      const all = index.query(current, options);
      expect(index.queryPassing(current, options, take, filter)).toEqual(firstPassingOf(all, take, filter));
      const follows = index.following(current[0], options.limit);
      expect(index.following(current[0], options.limit, take, filter)).toEqual(firstPassingOf(follows, take, filter));
    }
  });
});
