/**
 * Top-K accuracy metrics of ranked lists against a set of relevant items. Pure, no I/O.
 *
 * For one prediction (a ranked list and the relevant set, e.g. the next click or the items of
 * the next invoice), at cut-off K:
 *   hit@K   1 when any relevant item is in the first K, else 0. "P@K" in the session-based
 *           recommendation literature (and in docs/evaluation.md) is the mean hit@K,
 *           i.e. the hit rate, not precision = hits / K.
 *   RR@K    1 / rank of the first relevant item when it is within the first K, else 0 (rank 1-based).
 *   NDCG@K  binary gains: DCG = sum over relevant items at rank r <= K of 1 / log2(r + 1),
 *           divided by the ideal DCG = sum over r = 1..min(|relevant|, K) of 1 / log2(r + 1).
 * Reported figures are means over predictions. Coverage@K = distinct items that appeared in any
 * top-K list / catalog size. A list may be shorter than K (missing ranks count as misses); a
 * repeated id in a list counts at its first rank only.
 */

export interface MetricsAtK {
  k: number;
  /** Mean hit@K in [0, 1] ("P@K", the hit rate). */
  hitRate: number;
  /** Mean reciprocal rank within the first K, in [0, 1]. */
  mrr: number;
  /** Mean binary NDCG@K, in [0, 1]. */
  ndcg: number;
  /** Distinct items recommended in the first K over all predictions / catalog size, in [0, 1]. */
  coverage: number;
  /** Predictions measured. */
  predictions: number;
}

export interface CurvePoint {
  k: number;
  hitRate: number;
  mrr: number;
  ndcg: number;
}

/** Accumulates predictions for every K in 1..maxK (hit rate, MRR, NDCG) and coverage at chosen K. */
export class RankingMetrics {
  readonly maxK: number;
  private readonly catalogSize: number;
  /** hits[k - 1]: predictions whose first relevant rank is exactly k (cumulated on read). */
  private readonly firstRankCounts: Float64Array;
  /** ndcgSums[k - 1]: sum over predictions of NDCG@k. */
  private readonly ndcgSums: Float64Array;
  private readonly covered = new Map<number, Set<string>>();
  private count = 0;

  /**
   * @param maxK largest cut-off measured (1..1000).
   * @param catalogSize denominator of coverage (> 0).
   * @param coverageKs cut-offs at which coverage is tracked (each in 1..maxK).
   */
  constructor(options: { maxK: number; catalogSize: number; coverageKs: readonly number[] }) {
    if (!Number.isInteger(options.maxK) || options.maxK < 1 || options.maxK > 1000)
      throw new RangeError(`maxK must be an integer in 1..1000, got ${options.maxK}`);
    if (!Number.isInteger(options.catalogSize) || options.catalogSize < 1)
      throw new RangeError(`catalogSize must be a positive integer, got ${options.catalogSize}`);
    this.maxK = options.maxK;
    this.catalogSize = options.catalogSize;
    this.firstRankCounts = new Float64Array(options.maxK);
    this.ndcgSums = new Float64Array(options.maxK);
    for (const k of options.coverageKs) {
      if (!Number.isInteger(k) || k < 1 || k > options.maxK) throw new RangeError(`coverage cut-off ${k} is outside 1..${options.maxK}`);
      this.covered.set(k, new Set());
    }
  }

  get predictions(): number {
    return this.count;
  }

  /**
   * Records one prediction.
   * @param ranked recommended ids, best first (only the first maxK are read).
   * @param relevant the ids that count as right; must not be empty.
   */
  add(ranked: readonly string[], relevant: ReadonlySet<string>): void {
    if (relevant.size === 0) throw new RangeError('a prediction needs at least one relevant item');
    this.count++;
    const seen = new Set<string>();
    let firstRank = 0;
    let dcg = 0;
    let idealDcg = 0;
    let idealLeft = relevant.size;
    for (let rank = 1; rank <= this.maxK; rank++) {
      const id = rank <= ranked.length ? ranked[rank - 1]! : undefined;
      const discount = 1 / Math.log2(rank + 1);
      if (id !== undefined && !seen.has(id)) {
        seen.add(id);
        if (relevant.has(id)) {
          if (firstRank === 0) firstRank = rank;
          dcg += discount;
        }
      }
      if (idealLeft > 0) {
        idealDcg += discount;
        idealLeft--;
      }
      this.ndcgSums[rank - 1]! += dcg / idealDcg;
    }
    if (firstRank > 0) this.firstRankCounts[firstRank - 1]! += 1;
    for (const [k, set] of this.covered) for (const id of ranked.slice(0, k)) set.add(id);
  }

  /** Means at cut-off k (1..maxK); coverage is NaN where it was not tracked for k. */
  at(k: number): MetricsAtK {
    if (!Number.isInteger(k) || k < 1 || k > this.maxK) throw new RangeError(`k must be an integer in 1..${this.maxK}, got ${k}`);
    const n = this.count;
    let hits = 0;
    let reciprocal = 0;
    for (let rank = 1; rank <= k; rank++) {
      const c = this.firstRankCounts[rank - 1]!;
      hits += c;
      reciprocal += c / rank;
    }
    const covered = this.covered.get(k);
    return {
      k,
      hitRate: n > 0 ? hits / n : 0,
      mrr: n > 0 ? reciprocal / n : 0,
      ndcg: n > 0 ? this.ndcgSums[k - 1]! / n : 0,
      coverage: covered ? covered.size / this.catalogSize : Number.NaN,
      predictions: n,
    };
  }

  /** Hit rate, MRR and NDCG for every K in 1..maxK, for plots. */
  curve(): CurvePoint[] {
    const out: CurvePoint[] = [];
    for (let k = 1; k <= this.maxK; k++) {
      const { hitRate, mrr, ndcg } = this.at(k);
      out.push({ k, hitRate, mrr, ndcg });
    }
    return out;
  }
}
