import { describe, expect, it } from 'vitest';
import {
  blendWeights,
  mergeCandidates,
  normaliseScores,
  rankCandidates,
  type Candidate,
  type RankingContext,
} from '../../engine/recommend/logic/ranking.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';

const titles: Record<string, string> = {
  a: 'Alpha Lamp',
  b: 'Beta Lamp',
  c: 'Gamma Kettle',
  d: 'Delta Shoe',
  r1: 'Recent Lamp',
  r2: 'Recent Kettle',
};

function context(strength: number, extra: Partial<RankingContext> = {}): RankingContext {
  return {
    strength,
    titleOf: (id) => titles[id],
    nearestRecent: (): RecentInteraction | undefined => ({ itemId: 'r1', type: 'view', ts: 1 }),
    ...extra,
  };
}

describe('blendWeights', () => {
  it('leans on the crowd for a new shopper and on the vector for a strong one', () => {
    const fresh = blendWeights(0, false);
    expect(fresh.personal).toBe(0);
    expect(fresh.coVisitation + fresh.popularity).toBeCloseTo(1, 10);
    const even = blendWeights(2, false);
    expect(even.personal).toBeCloseTo(0.5, 10);
    const strong = blendWeights(20, false);
    expect(strong.personal).toBeCloseTo(20 / 22, 10);
    expect(strong.personal + strong.coVisitation + strong.popularity).toBeCloseTo(1, 10);
    expect(strong.coVisitation).toBeGreaterThan(strong.popularity);
  });

  it('gives a query half of the score and treats bad strengths as zero', () => {
    const withQuery = blendWeights(2, true);
    expect(withQuery.query).toBe(0.5);
    expect(withQuery.personal + withQuery.coVisitation + withQuery.popularity + withQuery.query).toBeCloseTo(1, 10);
    expect(blendWeights(Number.NaN, false).personal).toBe(0);
    expect(blendWeights(-5, false).personal).toBe(0);
  });
});

describe('normaliseScores', () => {
  it('divides by the best score and drops non-positive or non-finite ones', () => {
    expect(
      normaliseScores([
        ['a', 4],
        ['b', 2],
        ['c', 0],
        ['d', Number.NaN],
        ['e', -1],
      ]),
    ).toEqual([
      ['a', 1],
      ['b', 0.5],
    ]);
    expect(normaliseScores([['a', 0]])).toEqual([]);
  });
});

describe('mergeCandidates', () => {
  it('keeps one candidate per item with every signal, co-visitation normalised per list and by recency', () => {
    const merged = mergeCandidates({
      vector: [{ id: 'a', similarity: 0.9 }],
      coVisited: [
        {
          via: 'r1',
          items: [
            ['a', 10],
            ['b', 5],
          ],
        },
        {
          via: 'r2',
          items: [
            ['b', 100],
            ['c', 50],
          ],
        },
      ],
      popular: [
        ['c', 1],
        ['d', 0.25],
      ],
      query: [{ id: 'd', similarity: 0.7 }],
    });
    expect([...merged.keys()].sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(merged.get('a')).toEqual({ itemId: 'a', similarity: 0.9, coVisitation: 1, coVisitedWith: 'r1' });
    // b: 1 x 0.75 (best of the older item's list) beats 0.5 x 1 (via the newest item).
    expect(merged.get('b')).toMatchObject({ coVisitation: 0.75, coVisitedWith: 'r2' });
    expect(merged.get('c')).toMatchObject({ coVisitation: 0.375, popularity: 1 });
    expect(merged.get('d')).toMatchObject({ popularity: 0.25, queryRelevance: 0.7 });
  });
});

describe('rankCandidates', () => {
  const candidates: Candidate[] = [
    { itemId: 'a', similarity: 0.95 },
    { itemId: 'b', coVisitation: 1, coVisitedWith: 'r2' },
    { itemId: 'c', popularity: 1 },
  ];

  it('puts crowd signals first for a weak shopper and the vector first for a strong one', () => {
    const weak = rankCandidates(candidates, 3, context(0.1)).map((item) => item.itemId);
    expect(weak).toEqual(['b', 'c', 'a']);
    const strong = rankCandidates(candidates, 3, context(20)).map((item) => item.itemId);
    expect(strong[0]).toBe('a');
  });

  it('names the reason after the strongest signal', () => {
    const strong = rankCandidates(candidates, 3, context(20));
    expect(strong.find((item) => item.itemId === 'a')?.reason).toBe('like Recent Lamp you viewed');
    const weak = rankCandidates(candidates, 3, context(0));
    expect(weak.find((item) => item.itemId === 'b')?.reason).toBe('often viewed with Recent Kettle');
    expect(weak.find((item) => item.itemId === 'c')?.reason).toBe('popular now');
    const searched = rankCandidates([{ itemId: 'd', queryRelevance: 0.8, popularity: 0.1 }], 1, context(0, { query: 'shoe' }));
    expect(searched[0]?.reason).toBe("for your search 'shoe'");
  });

  it('uses the verb of the recent interaction and falls back when no title is known', () => {
    const liked = rankCandidates(
      [{ itemId: 'a', similarity: 1 }],
      1,
      context(20, { nearestRecent: () => ({ itemId: 'r1', type: 'purchase', ts: 1 }) }),
    );
    expect(liked[0]?.reason).toBe('like Recent Lamp you bought');
    const unknown = rankCandidates([{ itemId: 'a', similarity: 1 }], 1, context(20, { nearestRecent: () => undefined }));
    expect(unknown[0]?.reason).toBe('matches your taste');
    // No signal speaks for it: the fill reason, so every listed item still says why.
    const none = rankCandidates([{ itemId: 'z' }], 1, context(0));
    expect(none[0]).toEqual({ itemId: 'z', score: 0, reason: 'to explore the shop' });
    expect(rankCandidates([{ itemId: 'z' }], 1, context(0, { fallbackReason: 'more in Lamps' }))[0]?.reason).toBe('more in Lamps');
  });

  it('lets a search gate taste and crowd: they only reorder relevant items', () => {
    const searched: Candidate[] = [
      { itemId: 'taste-only', similarity: 1, popularity: 1, queryRelevance: 0 },
      { itemId: 'relevant', similarity: 0, queryRelevance: 0.5 },
      { itemId: 'relevant-liked', similarity: 0.9, queryRelevance: 0.5 },
    ];
    const ranked = rankCandidates(searched, 3, context(20, { query: 'lamp' }));
    expect(ranked.map((item) => item.itemId)).toEqual(['relevant-liked', 'relevant', 'taste-only']);
    expect(ranked[2]!.score).toBe(0);
    expect(ranked[1]!.score).toBeCloseTo(0.25, 6);
    expect(ranked[0]!.score).toBeLessThanOrEqual(0.5);
  });

  it('breaks ties by itemId and is independent of input order', () => {
    const tied: Candidate[] = ['e', 'b', 'd', 'a', 'c'].map((itemId) => ({ itemId, popularity: 0.5 }));
    const first = rankCandidates(tied, 5, context(0));
    expect(first.map((item) => item.itemId)).toEqual(['a', 'b', 'c', 'd', 'e']);
    const second = rankCandidates([...tied].reverse(), 5, context(0));
    expect(second).toEqual(first);
  });

  it('returns at most k items with scores in [0, 1], best first', () => {
    const many: Candidate[] = Array.from({ length: 50 }, (_, i) => ({
      itemId: `i${i}`,
      similarity: (i % 7) / 7 - 0.2,
      popularity: (i % 5) / 4,
      coVisitation: (i % 3) / 2,
    }));
    const ranked = rankCandidates(many, 10, context(3));
    expect(ranked).toHaveLength(10);
    for (let i = 0; i < ranked.length; i++) {
      expect(ranked[i]!.score).toBeGreaterThanOrEqual(0);
      expect(ranked[i]!.score).toBeLessThanOrEqual(1);
      if (i > 0) expect(ranked[i - 1]!.score).toBeGreaterThanOrEqual(ranked[i]!.score);
    }
    expect(rankCandidates(many, 0, context(3))).toEqual([]);
  });
});

describe('sessions like yours and sequential rules in the blend', () => {
  it('splits the co-visitation weight: sessions take sessionShare, rules followShare of the rest', () => {
    const tuning = { maxPersonal: 0.5, crowdCoVisit: 0.8, sessionShare: 0.5, followShare: 0.4 };
    // strength 2: alpha = min(0.5, 2 / 4) = 0.5; crowd 0.5; goes-with 0.5 * 0.8 = 0.4.
    const w = blendWeights(2, false, tuning, false, false, true, true);
    expect(w.sessions).toBeCloseTo(0.2, 10);
    expect(w.follows).toBeCloseTo(0.4 * 0.5 * 0.4, 10);
    expect(w.coVisitation).toBeCloseTo(0.4 - 0.2 - 0.08, 10);
    expect(w.popularity).toBeCloseTo(0.1, 10);
    // Without rules the co-visitation keeps their part; without sessions neither splits.
    expect(blendWeights(2, false, tuning, false, false, true, false).coVisitation).toBeCloseTo(0.2, 10);
    expect(blendWeights(2, false, tuning, false, false, false, false).coVisitation).toBeCloseTo(0.4, 10);
  });

  it('normalises both sources to their best and names the followed item in the reason', () => {
    const merged = mergeCandidates({
      sessions: [
        ['s1', 4],
        ['s2', 2],
      ],
      follows: {
        after: 'last',
        items: [
          ['f1', 3],
          ['s2', 1.5],
        ],
      },
    });
    expect(merged.get('s1')!.sessions).toBe(1);
    expect(merged.get('s2')!.sessions).toBe(0.5);
    expect(merged.get('f1')!.follows).toBe(1);
    expect(merged.get('s2')!.follows).toBe(0.5);
    expect(merged.get('f1')!.followsAfter).toBe('last');
    const context: RankingContext = {
      strength: 0,
      titleOf: (id) => (id === 'last' ? 'Trail Shoe' : undefined),
      nearestRecent: () => undefined,
      sessions: true,
      follows: true,
      tuning: { followShare: 0.6 },
    };
    const ranked = rankCandidates(merged.values(), 3, context);
    // strength 0: goes-with 0.6 (CROWD_COVISIT): sessions 0.3, rules 0.5 * 0.6 * 0.6 = 0.18.
    // s1 0.3; s2 0.15 + 0.09 = 0.24 (sessions the larger part); f1 0.18.
    expect(ranked.map((item) => [item.itemId, item.score, item.reason])).toEqual([
      ['s1', 0.3, 'in sessions like yours'],
      ['s2', 0.24, 'in sessions like yours'],
      ['f1', 0.18, 'often viewed after Trail Shoe'],
    ]);
  });
});
