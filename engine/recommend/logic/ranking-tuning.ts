/**
 * The knobs of the ranking blend (ranking.ts) that `npm run eval` turns, and their check. Split
 * from ranking.ts, which re-exports both.
 */

/**
 * Optional changes to the ranking blend, for tuning (`npm run eval`); every field defaults to the
 * shop's behaviour described in ranking.ts's module comment.
 */
export interface RankingTuning {
  /** Strength at which the shopper's own vector and the crowd weigh equally. Default STRENGTH_HALF_POINT. */
  strengthHalfPoint?: number;
  /** Largest share of the shopper's own vector (alpha), (0, 1]: the crowd always keeps the rest. Default 1 (no cap). */
  maxPersonal?: number;
  /** Share of co-visitation in the crowd signal, [0, 1]; popularity gets the rest. Default CROWD_COVISIT. */
  crowdCoVisit?: number;
  /**
   * How the co-visitation lists of several recent items make one `cov`: `max` (default) keeps the
   * best recency-weighted normalised score; `sum` adds them up (an item co-visited with several
   * items of the session rises) and divides by the best sum, so `cov` stays in [0, 1].
   */
  coVisitCombine?: 'max' | 'sum';
  /** Weight of the i-th most recent item's list, newest first; the last weight repeats. Default [1, 0.75, 0.5, 0.35, 0.25]. */
  coVisitRecency?: readonly number[];
  /** Share of "sessions like yours" in the co-visitation weight when such sessions exist, [0, 1]. Default SESSION_SHARE. */
  sessionShare?: number;
  /** Share of sequential rules in what "sessions like yours" leave to co-visitation, [0, 1]. Default FOLLOW_SHARE. */
  followShare?: number;
  /** Share of complements in the non-query part when there are complement seeds, [0, 1]. Default COMPLEMENT_SHARE. */
  complementShare?: number;
}

/** Checks a tuning once (constructor time), so bad values fail loudly rather than rank oddly. */
export function checkRankingTuning(tuning: RankingTuning): RankingTuning {
  const { strengthHalfPoint, maxPersonal, crowdCoVisit, coVisitCombine, coVisitRecency } = tuning;
  if (maxPersonal !== undefined && !(maxPersonal > 0 && maxPersonal <= 1))
    throw new RangeError(`maxPersonal must be in (0, 1], got ${maxPersonal}`);
  if (strengthHalfPoint !== undefined && !(strengthHalfPoint > 0 && Number.isFinite(strengthHalfPoint)))
    throw new RangeError(`strengthHalfPoint must be a positive number, got ${strengthHalfPoint}`);
  if (crowdCoVisit !== undefined && !(crowdCoVisit >= 0 && crowdCoVisit <= 1))
    throw new RangeError(`crowdCoVisit must be in [0, 1], got ${crowdCoVisit}`);
  if (tuning.followShare !== undefined && !(tuning.followShare >= 0 && tuning.followShare <= 1))
    throw new RangeError(`followShare must be in [0, 1], got ${tuning.followShare}`);
  if (tuning.sessionShare !== undefined && !(tuning.sessionShare >= 0 && tuning.sessionShare <= 1))
    throw new RangeError(`sessionShare must be in [0, 1], got ${tuning.sessionShare}`);
  if (tuning.complementShare !== undefined && !(tuning.complementShare >= 0 && tuning.complementShare <= 1))
    throw new RangeError(`complementShare must be in [0, 1], got ${tuning.complementShare}`);
  if (coVisitCombine !== undefined && coVisitCombine !== 'max' && coVisitCombine !== 'sum')
    throw new RangeError(`coVisitCombine must be max or sum, got ${String(coVisitCombine)}`);
  if (coVisitRecency !== undefined && (coVisitRecency.length === 0 || coVisitRecency.some((w) => !(w >= 0 && Number.isFinite(w))))) {
    throw new RangeError('coVisitRecency must be a non-empty list of finite weights >= 0');
  }
  return tuning;
}
