import { describe, expect, it } from 'vitest';
import { pageHistory } from '../../engine/members/logic/history.js';

type Row = { id: string; ts: number };
const ts = { events: (r: Row) => r.ts, orders: (r: Row) => r.ts, points: (r: Row) => r.ts, coupons: (r: Row) => r.ts };

/** Seeded lists with distinct timestamps per list. */
function lists(seed: number) {
  let s = seed;
  const rand = () => (s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const make = (name: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `${name}${i}`, ts: 1000 + Math.floor(rand() * 100_000) * 10 + i }));
  return { events: make('e', 30), orders: make('o', 7), points: make('p', 45), coupons: make('c', 3) };
}

describe('pageHistory', () => {
  it('pages all four lists newest first, without repeats or gaps, until exhausted', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const all = lists(seed);
      const seen = { events: [] as Row[], orders: [] as Row[], points: [] as Row[], coupons: [] as Row[] };
      let before: number | undefined;
      for (let pages = 0; pages < 200; pages++) {
        const page = pageHistory(all, ts, 4, before);
        for (const key of ['events', 'orders', 'points', 'coupons'] as const) {
          expect(page[key].length).toBeLessThanOrEqual(4);
          seen[key].push(...page[key]);
        }
        if (page.next === undefined) break;
        expect(page.next).toBeLessThan(before ?? Infinity);
        before = page.next;
      }
      for (const key of ['events', 'orders', 'points', 'coupons'] as const) {
        // Each list comes back whole, in descending ts, each row once.
        expect(seen[key].map((r) => r.id)).toEqual([...all[key]].sort((a, b) => b.ts - a.ts).map((r) => r.id));
      }
    }
  });

  it('returns no next when nothing is full', () => {
    const page = pageHistory({ events: [{ id: 'a', ts: 5 }], orders: [], points: [], coupons: [] }, ts, 10, undefined);
    expect(page).toEqual({ events: [{ id: 'a', ts: 5 }], orders: [], points: [], coupons: [] });
    expect(pageHistory({ events: [{ id: 'a', ts: 5 }], orders: [], points: [], coupons: [] }, ts, 10, 5).events).toEqual([]);
  });
});
