import { describe, expect, it } from 'vitest';
import { RankingMetrics } from '../../scripts/eval/metrics.js';

const log2 = Math.log2;

function metrics(maxK = 5, catalogSize = 10, coverageKs: number[] = [2, 5]): RankingMetrics {
  return new RankingMetrics({ maxK, catalogSize, coverageKs });
}

describe('RankingMetrics', () => {
  it('scores one relevant item at rank 2 (hand-computed)', () => {
    const m = metrics();
    m.add(['a', 'b', 'c'], new Set(['b']));
    expect(m.at(1)).toMatchObject({ hitRate: 0, mrr: 0, ndcg: 0, predictions: 1 });
    expect(m.at(2).hitRate).toBe(1);
    expect(m.at(2).mrr).toBeCloseTo(0.5, 12);
    // DCG = 1/log2(3); the ideal list has b first: IDCG = 1.
    expect(m.at(2).ndcg).toBeCloseTo(1 / log2(3), 12);
    expect(m.at(5).ndcg).toBeCloseTo(0.6309297535714575, 12);
  });

  it('scores a relevant set with binary gains and an ideal list capped at K', () => {
    const m = metrics();
    m.add(['a', 'b', 'c'], new Set(['a', 'c', 'z']));
    // Ranks 1 and 3 are relevant: DCG@3 = 1 + 1/2; IDCG@3 = 1 + 1/log2(3) + 1/2 (three relevant items).
    expect(m.at(3).ndcg).toBeCloseTo(1.5 / (1 + 1 / log2(3) + 0.5), 12);
    // At K = 2 only a counts, and the ideal holds two relevant ranks.
    expect(m.at(2).ndcg).toBeCloseTo(1 / (1 + 1 / log2(3)), 12);
    expect(m.at(1)).toMatchObject({ hitRate: 1, mrr: 1, ndcg: 1 });
  });

  it('averages over predictions, counts misses and short lists as zeros', () => {
    const m = metrics();
    m.add(['a', 'b'], new Set(['b'])); // rank 2
    m.add(['x'], new Set(['q'])); // miss, list shorter than K
    m.add(['c', 'd', 'e', 'f'], new Set(['f'])); // rank 4
    m.add([], new Set(['a'])); // empty list
    const at5 = m.at(5);
    expect(at5.predictions).toBe(4);
    expect(at5.hitRate).toBeCloseTo(2 / 4, 12);
    expect(at5.mrr).toBeCloseTo((1 / 2 + 1 / 4) / 4, 12);
    expect(at5.ndcg).toBeCloseTo((1 / log2(3) + 1 / log2(5)) / 4, 12);
    expect(m.at(3).hitRate).toBeCloseTo(1 / 4, 12);
    expect(m.at(3).mrr).toBeCloseTo(1 / 2 / 4, 12);
  });

  it('counts a repeated id at its first rank only', () => {
    const m = metrics();
    m.add(['a', 'a', 'b'], new Set(['a', 'b']));
    // a at 1, its repeat at 2 is no gain, b at 3: DCG = 1 + 1/2; IDCG = 1 + 1/log2(3).
    expect(m.at(3).ndcg).toBeCloseTo(1.5 / (1 + 1 / log2(3)), 12);
    expect(m.at(3).mrr).toBe(1);
  });

  it('measures coverage as distinct items in the first K of any list over the catalog', () => {
    const m = metrics();
    m.add(['a', 'b', 'c'], new Set(['a']));
    m.add(['a', 'd', 'e'], new Set(['d']));
    expect(m.at(2).coverage).toBeCloseTo(3 / 10, 12); // {a, b} + {a, d}
    expect(m.at(5).coverage).toBeCloseTo(5 / 10, 12);
    expect(Number.isNaN(m.at(3).coverage)).toBe(true); // not tracked at 3
  });

  it('gives the curve for every K, non-decreasing in hit rate and MRR', () => {
    const m = metrics(4, 10, [2, 4]);
    m.add(['a', 'b', 'c', 'd'], new Set(['c']));
    m.add(['a', 'b', 'c', 'd'], new Set(['a']));
    const curve = m.curve();
    expect(curve.map((p) => p.k)).toEqual([1, 2, 3, 4]);
    expect(curve.map((p) => p.hitRate)).toEqual([0.5, 0.5, 1, 1]);
    expect(curve[3]!.mrr).toBeCloseTo((1 + 1 / 3) / 2, 12);
  });

  it('is all zeros with no predictions, and refuses bad input', () => {
    expect(metrics().at(5)).toMatchObject({ hitRate: 0, mrr: 0, ndcg: 0, predictions: 0 });
    expect(() => metrics().add(['a'], new Set())).toThrow(/at least one relevant/);
    expect(() => metrics().at(6)).toThrow(RangeError);
    expect(() => new RankingMetrics({ maxK: 0, catalogSize: 1, coverageKs: [] })).toThrow(RangeError);
    expect(() => new RankingMetrics({ maxK: 5, catalogSize: 0, coverageKs: [] })).toThrow(RangeError);
    expect(() => new RankingMetrics({ maxK: 5, catalogSize: 3, coverageKs: [6] })).toThrow(/outside/);
  });
});
