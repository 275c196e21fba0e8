import { describe, expect, it } from 'vitest';
import { blendWeights, rankCandidates, reasonFor, scoreCandidates, scoreParts, withReasons, type Candidate, type RankingContext } from '../../engine/logic/ranking.js';
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
  const weights = blendWeights(context.strength, context.query !== undefined, context.tuning, context.neighbours === true, context.complements === true);
  return candidates
    .map((candidate) => {
      const p = scoreParts(candidate, weights);
      const boost = context.boostOf ? clamp01(context.boostOf(candidate.itemId)) : 0;
      return { itemId: candidate.itemId, score: round((p.personal + p.neighbours + p.coVisitation + p.popularity + p.query + p.complement) * (1 + boost)) };
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

  it('asks for the boost of the candidates that can still make the list only, and writes reasons only when asked', () => {
    const candidates: Candidate[] = Array.from({ length: 100 }, (_, i) => ({ itemId: `c${String(i).padStart(3, '0')}`, similarity: i / 100 }));
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
    // The 5th best unboosted score is that of similarity 0.95: below 0.95 / 1.1 nothing can reach it.
    expect(asked.length).toBeLessThan(15);
    // Reasons ("like <title> you viewed" looks up the nearest recent item) only once asked for.
    expect(reasons).toBe(0);
    const weights = blendWeights(20, false);
    expect(withReasons(top, context).map((item) => item.reason)).toEqual(top.map((c) => reasonFor(c.candidate, weights, context)));
    expect(reasons).toBe(10);
  });
});
