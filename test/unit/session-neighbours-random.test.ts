import { describe, expect, it } from 'vitest';
import { IdRanks } from '../../engine/recommend/logic/id-ranks.js';
import { SessionIndex } from '../../engine/recommend/logic/session-neighbours.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { ReferenceSessionIndex } from '../helpers/session-index-reference.js';

/**
 * SessionIndex (logic/session-neighbours.ts with session-votes.ts, best-first.ts, id-ranks.ts)
 * against a straightforward reference (test/helpers/session-index-reference.ts) on random shops:
 * the same answers with bit-identical scores, also with many ties (ties over 32 and 64 items),
 * samples smaller than the sessions met (and thousands met), evicted and dropped sessions, the asker's own sessions,
 * and ids learned while answering.
 */

/** Same ids, scores equal by Object.is (no rounding allowed). */
function expectIdentical(actual: Array<[string, number]>, expected: Array<[string, number]>): void {
  expect(actual.map(([id]) => id)).toEqual(expected.map(([id]) => id));
  actual.forEach(([, score], i) => expect(Object.is(score, expected[i]![1])).toBe(true));
}

describe('SessionIndex against the reference', () => {
  for (const [name, seed, shape] of [
    ['small shop, few postings, small samples', 1, { items: 60, postingsPerItem: 8, maxSessions: 80, sessionLength: 6 }],
    ['many items, long sessions (ties over 64)', 2, { items: 400, postingsPerItem: 200, maxSessions: 300, sessionLength: 50 }],
    ['default bounds, growing ids', 3, { items: 2000, postingsPerItem: 500, maxSessions: 50_000, sessionLength: 12 }],
    [
      'a session per touch (thousands met per query)',
      4,
      { items: 40, postingsPerItem: 500, maxSessions: 50_000, sessionLength: 1, gap: 1, fill: 16_000 },
    ],
  ] as const) {
    it(name, () => {
      const random = mulberry32(seed);
      const options = {
        maxSessions: shape.maxSessions,
        postingsPerItem: shape.postingsPerItem,
        maxSessionItems: 50,
        sessionGapMs: 'gap' in shape ? shape.gap : 60_000,
      };
      const index = new SessionIndex(options);
      const reference = new ReferenceSessionIndex(options);
      // Item ids of varying length and prefix, so id order is not slot order.
      const item = () => {
        const i = Math.floor(random() ** 1.5 * shape.items);
        return `${'abcxyz'[i % 6]}${i % 7 === 0 ? '' : '-'}${i}`;
      };
      const users = 120;
      let ts = 0;
      const fill = 'fill' in shape ? shape.fill : 0;
      for (let step = 0; step < fill + 2000; step++) {
        ts += Math.floor(random() * 20_000);
        const user = `u${Math.floor(random() * users)}`;
        const roll = step < fill ? 0 : random();
        if (roll < 0.6) {
          const items = Array.from({ length: 1 + Math.floor(random() * shape.sessionLength) }, item);
          index.add(user, items, ts);
          reference.add(user, items, ts);
        } else if (roll < 0.62) {
          index.drop(user);
          reference.drop(user);
        } else {
          const current = Array.from({ length: Math.floor(random() * 13) }, item);
          const query = {
            userId: random() < 0.8 ? user : undefined,
            limit: random() < 0.5 ? 200 : Math.floor(random() * 120),
            ...(random() < 0.5 ? {} : { neighbours: Math.floor(random() * 150) }),
            ...(random() < 0.6 ? {} : { sample: 1 + Math.floor(random() * 100) }),
          };
          const take = random() < 0.2 ? 1000 : Math.floor(random() * 60);
          const cut = random();
          const filter = random() < 0.2 ? undefined : (id: string) => (id.charCodeAt(id.length - 1) % 10) / 10 >= cut * 0.8;
          expectIdentical(index.queryPassing(current, query, take, filter), reference.queryPassing(current, query, take, filter));
          expectIdentical(
            index.following(current[0], query.limit, take, filter),
            reference.following(current[0], query.limit, take, filter),
          );
        }
      }
      expect(index.query(['nothing-known'])).toEqual([]);
    });
  }
});

describe('IdRanks', () => {
  it('orders the ranked slots as their ids, ranking new ones an eighth at a time', () => {
    const random = mulberry32(9);
    const names: string[] = [];
    const ranks = new IdRanks();
    for (let step = 0; step < 3000; step++) {
      names.push(`${String.fromCharCode(97 + Math.floor(random() * 26))}${Math.floor(random() * 1e6)}-${step}`);
      ranks.refresh(names);
      // Rebuilt once at least an eighth more ids than ranked have come.
      expect(8 * (names.length - ranks.ranked)).toBeLessThan(Math.max(1, ranks.ranked) + 8);
      if (step % 97 !== 0) continue;
      const slots = Array.from({ length: ranks.ranked }, (_, slot) => slot);
      const byRank = [...slots].sort((a, b) => ranks.rank[a]! - ranks.rank[b]!);
      expect(byRank.map((slot) => names[slot])).toEqual(slots.map((slot) => names[slot]!).sort());
      expect(byRank.every((slot, r) => ranks.slotAt(r) === slot)).toBe(true);
    }
  });
});
