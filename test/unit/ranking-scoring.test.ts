import { describe, expect, it } from 'vitest';
import {
  blendWeights,
  rankCandidates,
  reasonFor,
  scoreCandidates,
  scoreParts,
  withReasons,
  type Candidate,
  type RankingContext,
} from '../../engine/recommend/logic/ranking.js';
import { BestScores, keepthBest, sortScored } from '../../engine/recommend/logic/score-order.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * scoreCandidates sorts only the best candidates and skips the boost of those that cannot reach
 * them: its answer must be exactly the full ranking's (every candidate scored with its boost,
 * all sorted by score then itemId, cut), on many random lists with many ties.
 */

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** The ranking as written out in ranking.ts's module comment, the slow way. */
function reference(candidates: Candidate[], k: number, context: RankingContext): Array<{ itemId: string; score: number }> {
  const weights = blendWeights(
    context.strength,
    context.query !== undefined,
    context.tuning,
    context.neighbours === true,
    context.complements === true,
  );
  return candidates
    .map((candidate) => {
      const p = scoreParts(candidate, weights);
      const boost = context.boostOf ? clamp01(context.boostOf(candidate.itemId)) : 0;
      return {
        itemId: candidate.itemId,
        score: round((p.personal + p.neighbours + p.coVisitation + p.popularity + p.query + p.complement) * (1 + boost)),
      };
    })
    .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0))
    .slice(0, Math.max(0, k));
}

describe('scoreCandidates', () => {
  it('keeps exactly the full ranking, with and without boosts, over many random lists', () => {
    const random = mulberry32(99);
    // Coarse values: many equal scores, so ties by itemId decide often.
    const pick = () => (random() < 0.3 ? undefined : Math.round(random() * 8) / 8);
    for (let trial = 0; trial < 300; trial++) {
      const n = Math.floor(random() * 120);
      const candidates: Candidate[] = Array.from({ length: n }, (_, i) => ({
        itemId: `i${String(Math.floor(random() * 1e6)).padStart(6, '0')}-${i}`,
        similarity: pick(),
        coVisitation: pick(),
        popularity: pick(),
        ...(random() < 0.2 ? { neighbours: pick() } : {}),
        ...(random() < 0.2 ? { queryRelevance: pick() } : {}),
      }));
      const maxBoost = random() < 0.5 ? 0.15 : 1;
      const boosts = new Map(candidates.map((c) => [c.itemId, random() < 0.5 ? 0 : Math.round(random() * 4) * (maxBoost / 4)]));
      const context: RankingContext = {
        strength: random() * 10,
        ...(random() < 0.3 ? { query: 'q' } : {}),
        neighbours: random() < 0.5,
        titleOf: () => undefined,
        nearestRecent: () => undefined,
        ...(random() < 0.7 ? { boostOf: (id: string) => boosts.get(id) ?? 0, ...(random() < 0.7 ? { maxBoost } : {}) } : {}),
      };
      const k = Math.floor(random() * 40);
      const expected = reference(candidates, k, context);
      expect(scoreCandidates(candidates, k, context).map(({ itemId, score }) => ({ itemId, score }))).toEqual(expected);
      expect(rankCandidates(candidates, k, context).map(({ itemId, score }) => ({ itemId, score }))).toEqual(expected);
    }
  });

  it('keeps exactly the full ranking when boosted scores tie at the cut (coarse signals, boosts 0 or the most)', () => {
    const random = mulberry32(17);
    for (let trial = 0; trial < 400; trial++) {
      const n = 5 + Math.floor(random() * 60);
      const candidates: Candidate[] = Array.from({ length: n }, (_, i) => ({
        itemId: `c${String(Math.floor(random() * 1e4)).padStart(4, '0')}-${i}`,
        popularity: Math.floor(random() * 3) / 2,
        similarity: Math.floor(random() * 3) / 2,
      }));
      const maxBoost = [0.25, 0.5, 1][trial % 3]!;
      const boosts = new Map(candidates.map((c) => [c.itemId, random() < 0.5 ? 0 : maxBoost]));
      // Strength 2: personal and crowd weigh equally, so many candidates share a sum.
      const context: RankingContext = {
        strength: 2,
        titleOf: () => undefined,
        nearestRecent: () => undefined,
        boostOf: (id) => boosts.get(id) ?? 0,
        maxBoost,
      };
      const k = 1 + Math.floor(random() * n);
      expect(scoreCandidates(candidates, k, context).map(({ itemId, score }) => ({ itemId, score }))).toEqual(
        reference(candidates, k, context),
      );
    }
  });

  it('keeps exactly the full ranking over long lists of fine-grained scores, many within reach of the cut', () => {
    const random = mulberry32(23);
    for (let trial = 0; trial < 150; trial++) {
      const n = 50 + Math.floor(random() * 400);
      // Narrow spreads put many candidates within maxBoost of the cut (a long run boosted best sum first).
      const spread = [0.02, 0.2, 1][trial % 3]!;
      const candidates: Candidate[] = Array.from({ length: n }, (_, i) => ({
        itemId: `f${String(Math.floor(random() * 1e5)).padStart(5, '0')}-${i}`,
        similarity: 0.5 + spread * (random() - 0.5),
        coVisitation: random() < 0.5 ? undefined : random(),
        popularity: random() < 0.3 ? undefined : random(),
      }));
      const maxBoost = [0.15, 0.5, 1][Math.floor(random() * 3)]!;
      const boosts = new Map(candidates.map((c) => [c.itemId, random() < 0.3 ? 0 : random() * maxBoost]));
      const context: RankingContext = {
        strength: 1 + random() * 20,
        titleOf: () => undefined,
        nearestRecent: () => undefined,
        boostOf: (id) => boosts.get(id) ?? 0,
        maxBoost,
      };
      const k = 1 + Math.floor(random() * 40);
      expect(scoreCandidates(candidates, k, context).map(({ itemId, score }) => ({ itemId, score }))).toEqual(
        reference(candidates, k, context),
      );
    }
  });

  it('asks for the boost of the candidates that can still make the list only, and writes reasons only when asked', () => {
    const candidates: Candidate[] = Array.from({ length: 100 }, (_, i) => ({
      itemId: `c${String(i).padStart(3, '0')}`,
      similarity: i / 100,
    }));
    const asked: string[] = [];
    let reasons = 0;
    const context: RankingContext = {
      strength: 20,
      titleOf: () => undefined,
      nearestRecent: () => {
        reasons++;
        return undefined;
      },
      boostOf: (id) => {
        asked.push(id);
        return 0.1;
      },
      maxBoost: 0.1,
    };
    const top = scoreCandidates(candidates, 5, context);
    expect(top.map((c) => c.itemId)).toEqual(['c099', 'c098', 'c097', 'c096', 'c095']);
    // The 5 best by sum are boosted first (similarity 0.95 to 0.99, each times 1.1): the rest, at
    // most 0.94 x 1.1 < 0.95 x 1.1, cannot reach them, and their boosts are never asked for.
    expect(asked.sort()).toEqual(['c095', 'c096', 'c097', 'c098', 'c099']);
    // Reasons ("like <title> you viewed" looks up the nearest recent item) only once asked for.
    expect(reasons).toBe(0);
    const weights = blendWeights(20, false);
    expect(withReasons(top, context).map((item) => item.reason)).toEqual(top.map((c) => reasonFor(c.candidate, weights, context)));
    expect(reasons).toBe(10);
  });
});

/** reasonFor as written before it stopped building the parts: the largest positive part, earlier ones winning ties. */
function referenceReason(candidate: Candidate, context: RankingContext): string {
  const weights = blendWeights(
    context.strength,
    context.query !== undefined,
    context.tuning,
    context.neighbours === true,
    context.complements === true,
  );
  const parts = scoreParts(candidate, weights);
  const order = ['query', 'complement', 'personal', 'neighbours', 'coVisitation', 'popularity'] as const;
  let best: (typeof order)[number] | undefined;
  for (const part of order) if (parts[part] > 0 && (!best || parts[part] > parts[best])) best = part;
  const names = {
    query: "for your search 'q'",
    complement: 'often bought with C',
    personal: 'like R you viewed',
    neighbours: 'shoppers like you also liked it',
    coVisitation: 'often viewed with V',
    popularity: 'popular now',
  };
  return best === undefined ? 'to explore the shop' : names[best];
}

describe('reasonFor', () => {
  it('names the largest part, the earlier one on a tie, over many random candidates', () => {
    const random = mulberry32(7);
    const pick = () => (random() < 0.3 ? undefined : Math.round(random() * 4) / 4);
    const titles: Record<string, string> = { c: 'C', r: 'R', v: 'V' };
    for (let trial = 0; trial < 2000; trial++) {
      const candidate: Candidate = {
        itemId: 'x',
        similarity: pick(),
        coVisitation: pick(),
        coVisitedWith: 'v',
        popularity: pick(),
        neighbours: pick(),
        complement: pick(),
        complementOf: 'c',
        ...(random() < 0.3 ? { queryRelevance: pick() } : {}),
      };
      const context: RankingContext = {
        strength: Math.round(random() * 4),
        ...(random() < 0.3 ? { query: 'q' } : {}),
        neighbours: random() < 0.5,
        complements: random() < 0.5,
        // Equal co-visitation and popularity weights: ties between the two parts.
        ...(random() < 0.5 ? { tuning: { crowdCoVisit: 0.5 } } : {}),
        titleOf: (id) => titles[id],
        nearestRecent: () => ({ itemId: 'r', type: 'view', ts: 1 }),
      };
      const weights = blendWeights(
        context.strength,
        context.query !== undefined,
        context.tuning,
        context.neighbours === true,
        context.complements === true,
      );
      expect(reasonFor(candidate, weights, context)).toBe(referenceReason(candidate, context));
    }
  });
});

describe('keepthBest', () => {
  it('is the keep-th highest score (sorted descending, 1-based), ties and -Infinity included', () => {
    const random = mulberry32(3);
    for (let trial = 0; trial < 500; trial++) {
      const scores = Array.from({ length: 1 + Math.floor(random() * 60) }, () =>
        random() < 0.1 ? -Infinity : Math.round(random() * 10) / 10,
      );
      const sorted = [...scores].sort((a, b) => b - a);
      const keep = 1 + Math.floor(random() * scores.length);
      expect(keepthBest(scores, keep)).toBe(sorted[keep - 1]);
      expect(keepthBest(Float64Array.from(scores), keep)).toBe(sorted[keep - 1]);
    }
    expect(keepthBest([1, 2], 0)).toBe(Infinity);
  });
});

describe('BestScores', () => {
  it('holds the keep-th best of the scores offered, as keepthBest gives it for every prefix', () => {
    const random = mulberry32(31);
    for (let trial = 0; trial < 200; trial++) {
      const keep = Math.floor(random() * 12);
      const best = new BestScores(keep);
      const offered: number[] = [];
      expect(best.min).toBe(keep === 0 ? Infinity : -Infinity);
      for (let i = 0; i < 40; i++) {
        const score = random() < 0.1 ? -Infinity : Math.round(random() * 10) / 10;
        best.offer(score);
        offered.push(score);
        expect(best.min).toBe(keep === 0 ? Infinity : offered.length < keep ? -Infinity : keepthBest(offered, keep));
      }
    }
  });
});

describe('sortScored', () => {
  it('orders best first, ties by itemId, as a comparator sort does, short lists and long ones', () => {
    const random = mulberry32(4);
    for (let trial = 0; trial < 300; trial++) {
      const list = Array.from({ length: Math.floor(random() * 150) }, (_, i) => ({
        itemId: `i${Math.floor(random() * 40)}`,
        score: Math.round(random() * 5) / 5,
        at: i,
      }));
      const expected = [...list].sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0));
      sortScored(list);
      // Equal score and id (duplicates): stable, as Array.sort.
      expect(list).toEqual(expected);
    }
  });
});
