import type { RecommendedItem } from '../../contracts/schemas.js';
import type { RecentInteraction } from '../../shoppers/user-state-store.js';

/**
 * Re-visits by evidence (pure). A shopper's own recent items are often their next click (on
 * session data a quarter of all next clicks repeat the last one), yet a list that shows them
 * where they do not come back wastes places. So neither "hide the last 20" nor "allow everything":
 * the shop's own stream says how often each comes back, and a list takes them where that beats
 * what it would show instead.
 *
 * Two rates, learned from the events as they are applied (RevisitEvidence):
 *   p(bucket, r) = share of a shopper's next item events that touch the r-th newest distinct item
 *                  of their own recent items (r = 0: the last one), split by whether that item
 *                  was touched inside the session window (bucket 0) or before it (bucket 1);
 *   q(j)         = share of next item events that touch the j-th item of the "fresh" ranking
 *                  (the list without the shopper's recent items) the engine made for them just
 *                  before (each list of a shopper is remembered until their next event).
 * Both are hit rates of one place for the same next event, so they compare directly: a list of k
 * is the merge of the fresh ranking and the shopper's recent items by rate (mergeRevisits), at
 * most `maxShare` of it recent items. Until both rates rest on `minEvidence` observations, no
 * recent item comes back (the old rule). Counts halve when they pass HALVE_AT, so the rates
 * follow the shop.
 *
 * Cost: observe is O(20) array work per applied item event; the merge O(k).
 */

/** Positive interactions that make a recent item a re-visit candidate and an event an observation. */
const ITEM_EVENT_TYPES: ReadonlySet<string> = new Set(['view', 'click', 'add_to_cart', 'like', 'purchase']);
/** The newest interaction with an item of these types keeps it out of the re-visits. */
const REFUSED_TYPES: ReadonlySet<string> = new Set(['dislike']);
/** Places of each kind measured (the shop's recentLimit is at most this). */
export const REVISIT_PLACES = 20;
/** Counts halve once the observations of a place pass this. */
const HALVE_AT = 200_000;

export interface RevisitOptions {
  /** Observations each compared rate needs before it is trusted. Default 50. */
  minEvidence?: number;
  /** Largest share of a list that recent items may take, [0, 1]. Default 0.5. */
  maxShare?: number;
  /** The session window (s): a recent item touched inside it is in bucket 0. */
  sessionGapSeconds: number;
}

/** One of the shopper's recent items as a re-visit candidate. */
export interface RevisitCandidate {
  itemId: string;
  /** 0 = the newest distinct item. */
  place: number;
  /** 0 inside the session window, 1 before it. */
  bucket: 0 | 1;
  /** The newest interaction with it (its reason). */
  type: RecentInteraction['type'];
  /** Interactions with it among the recent items (1, 2, 3 = three or more). */
  times: 1 | 2 | 3;
}

/** The shopper's distinct recent items, newest first, that may come back (no dislike as newest). */
export function revisitCandidates(
  recent: readonly RecentInteraction[],
  now: number,
  sessionGapSeconds: number,
  limit = REVISIT_PLACES,
): RevisitCandidate[] {
  const out: RevisitCandidate[] = [];
  const { firsts, counts } = distinctRecent(recent, limit);
  const sessionStart = now - sessionGapSeconds * 1000;
  for (let place = 0; place < firsts.length; place++) {
    const entry = recent[firsts[place]!]!;
    if (REFUSED_TYPES.has(entry.type) || !ITEM_EVENT_TYPES.has(entry.type)) continue;
    out.push({
      itemId: entry.itemId,
      place,
      bucket: entry.ts >= sessionStart ? 0 : 1,
      type: entry.type,
      times: timesOf(counts[place]!),
    });
  }
  return out;
}

/**
 * The first `limit` distinct items of `recent` (newest first): `firsts[place]` the index of the
 * newest entry of the place's item, `counts[place]` its entries among all of `recent`. One Map
 * (id to place) does for both the distinct places and the counts (was a Set and a counting Map).
 */
function distinctRecent(recent: readonly RecentInteraction[], limit: number): { firsts: number[]; counts: number[] } {
  const placeOf = new Map<string, number>();
  const firsts: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < recent.length; i++) {
    const itemId = recent[i]!.itemId;
    const place = placeOf.get(itemId);
    if (place !== undefined) counts[place]!++;
    else if (firsts.length < limit) {
      placeOf.set(itemId, firsts.length);
      firsts.push(i);
      counts.push(1);
    }
  }
  return { firsts, counts };
}

/** Interactions with an item among the recent ones as a RevisitCandidate's `times`. */
function timesOf(count: number): 1 | 2 | 3 {
  return count >= 3 ? 3 : count === 2 ? 2 : 1;
}

/** Score bins of the fresh cells: a fresh item's score (in [0, 1]; more counts as 1) in tenths. */
const SCORE_BINS = 10;
function scoreBin(score: number): number {
  return score > 0 ? Math.min(SCORE_BINS - 1, Math.floor(score * SCORE_BINS)) : 0;
}
/** Cell of a re-visit candidate: bucket x place x times. */
function revisitCell(bucket: 0 | 1, place: number, times: 1 | 2 | 3): number {
  return (bucket * REVISIT_PLACES + place) * 3 + (times - 1);
}
/** Cell of a fresh item: place x score bin. */
function freshCell(place: number, score: number): number {
  return place * SCORE_BINS + scoreBin(score);
}

/** A snapshot of the learned rates (metrics, logs, tests). */
export interface RevisitRates {
  /** p per bucket and place; null where evidence is short. */
  revisit: Array<Array<number | null>>;
  /** q per fresh place; null where evidence is short. */
  fresh: Array<number | null>;
}

export class RevisitEvidence {
  private readonly minEvidence: number;
  readonly maxShare: number;
  private readonly sessionGapSeconds: number;
  private readonly revisitHits = [new Float64Array(REVISIT_PLACES), new Float64Array(REVISIT_PLACES)];
  private readonly revisitSeen = [new Float64Array(REVISIT_PLACES), new Float64Array(REVISIT_PLACES)];
  private readonly freshHits = new Float64Array(REVISIT_PLACES);
  private readonly freshSeen = new Float64Array(REVISIT_PLACES);
  /** Observations since the last halving: no place has counted more. */
  private observations = 0;
  /** The same counts split finer (revisitCell, freshCell): a cell with enough evidence is used, else its place's rate. */
  private readonly revisitCellHits = new Float64Array(2 * REVISIT_PLACES * 3);
  private readonly revisitCellSeen = new Float64Array(2 * REVISIT_PLACES * 3);
  private readonly freshCellHits = new Float64Array(REVISIT_PLACES * SCORE_BINS);
  private readonly freshCellSeen = new Float64Array(REVISIT_PLACES * SCORE_BINS);

  constructor(options: RevisitOptions) {
    const { minEvidence = 50, maxShare = 0.5, sessionGapSeconds } = options;
    if (!(Number.isInteger(minEvidence) && minEvidence >= 1))
      throw new RangeError(`minEvidence must be an integer >= 1, got ${minEvidence}`);
    if (!(maxShare >= 0 && maxShare <= 1)) throw new RangeError(`maxShare must be in [0, 1], got ${maxShare}`);
    if (!(sessionGapSeconds > 0)) throw new RangeError(`sessionGapSeconds must be positive, got ${sessionGapSeconds}`);
    this.minEvidence = minEvidence;
    this.maxShare = maxShare;
    this.sessionGapSeconds = sessionGapSeconds;
  }

  /**
   * One applied event: `recentBefore` the shopper's recent items just before it, `items` what it
   * touched, `fresh` the fresh ranking last made for the shopper (undefined: none since their
   * previous event). Events that touch no item, or only negatively, are no observation.
   */
  observe(
    type: string,
    items: readonly string[],
    ts: number,
    recentBefore: readonly RecentInteraction[],
    fresh: readonly string[] | undefined,
    freshScores?: readonly number[],
  ): void {
    if (items.length === 0 || !ITEM_EVENT_TYPES.has(type)) return;
    const touched = items.length === 1 ? undefined : new Set(items);
    const only = items[0]!;
    const sessionStart = ts - this.sessionGapSeconds * 1000;
    const { firsts, counts } = distinctRecent(recentBefore, REVISIT_PLACES);
    for (let place = 0; place < firsts.length; place++) {
      const entry = recentBefore[firsts[place]!]!;
      const bucket = entry.ts >= sessionStart ? 0 : 1;
      const cell = revisitCell(bucket, place, timesOf(counts[place]!));
      this.revisitSeen[bucket]![place]!++;
      this.revisitCellSeen[cell]!++;
      if (touched ? touched.has(entry.itemId) : entry.itemId === only) {
        this.revisitHits[bucket]![place]!++;
        this.revisitCellHits[cell]!++;
      }
    }
    if (fresh) {
      const n = Math.min(fresh.length, REVISIT_PLACES);
      for (let j = 0; j < n; j++) {
        const cell = freshCell(j, freshScores?.[j] ?? 0);
        this.freshSeen[j]!++;
        this.freshCellSeen[cell]!++;
        if (touched ? touched.has(fresh[j]!) : fresh[j] === only) {
          this.freshHits[j]!++;
          this.freshCellHits[cell]!++;
        }
      }
    }
    this.halveWhenFull();
  }

  /** A candidate's rate: its cell's (bucket, place, times) when that has the evidence, else its place's; undefined while short. */
  candidateRate(candidate: Pick<RevisitCandidate, 'bucket' | 'place' | 'times'>): number | undefined {
    const cell = revisitCell(candidate.bucket, candidate.place, candidate.times);
    const seen = this.revisitCellSeen[cell] ?? 0;
    return seen >= this.minEvidence ? this.revisitCellHits[cell]! / seen : this.revisitRate(candidate.bucket, candidate.place);
  }

  /** A fresh item's rate: its cell's (place, score bin) when that has the evidence, else its place's; undefined while short. */
  freshItemRate(place: number, score: number): number | undefined {
    if (place >= REVISIT_PLACES) return undefined;
    const cell = freshCell(place, score);
    const seen = this.freshCellSeen[cell] ?? 0;
    return seen >= this.minEvidence ? this.freshCellHits[cell]! / seen : this.freshRate(place);
  }

  /** p(bucket, place), or undefined while evidence is short. */
  revisitRate(bucket: 0 | 1, place: number): number | undefined {
    const seen = this.revisitSeen[bucket]![place] ?? 0;
    return seen >= this.minEvidence ? this.revisitHits[bucket]![place]! / seen : undefined;
  }

  /** q(place), or undefined while evidence is short. */
  freshRate(place: number): number | undefined {
    const seen = this.freshSeen[place] ?? 0;
    return seen >= this.minEvidence ? this.freshHits[place]! / seen : undefined;
  }

  rates(): RevisitRates {
    const places = Array.from({ length: REVISIT_PLACES }, (_, i) => i);
    return {
      revisit: [0, 1].map((bucket) => places.map((place) => this.revisitRate(bucket as 0 | 1, place) ?? null)),
      fresh: places.map((place) => this.freshRate(place) ?? null),
    };
  }

  private halveWhenFull(): void {
    if (++this.observations < HALVE_AT) return;
    this.observations /= 2;
    for (const array of [
      ...this.revisitHits,
      ...this.revisitSeen,
      this.freshHits,
      this.freshSeen,
      this.revisitCellHits,
      this.revisitCellSeen,
      this.freshCellHits,
      this.freshCellSeen,
    ])
      for (let i = 0; i < array.length; i++) array[i]! /= 2;
  }
}

/** Reason of a recent item that comes back, after its newest interaction. */
export function revisitReason(type: RecentInteraction['type']): string {
  switch (type) {
    case 'add_to_cart':
      return 'in your cart';
    case 'like':
      return 'you liked it';
    case 'purchase':
      return 'you bought it before';
    default:
      return 'you viewed it recently';
  }
}

/**
 * The list of `k`: the fresh ranking and the re-visit candidates merged by rate (see the module
 * comment), at most floor(k × maxShare) re-visits; a fresh item keeps its place's order. A
 * re-visit item takes the score of the fresh item it goes before (so scores do not rise down the
 * list) and its reason. Without evidence on either side the fresh ranking is returned as it is.
 * `revisits` must already pass the list's filters.
 */
export function mergeRevisits(
  fresh: readonly RecommendedItem[],
  revisits: readonly RevisitCandidate[],
  k: number,
  evidence: RevisitEvidence,
): RecommendedItem[] {
  const slots = Math.min(revisits.length, Math.floor(k * evidence.maxShare));
  if (slots === 0 || evidence.freshRate(0) === undefined) return fresh.slice(0, k);
  const rated: Array<{ candidate: RevisitCandidate; rate: number }> = [];
  for (const candidate of revisits) {
    const rate = evidence.candidateRate(candidate);
    if (rate !== undefined && rate > 0) rated.push({ candidate, rate });
  }
  if (rated.length === 0) return fresh.slice(0, k);
  // Best rate first; on equal rates the newer item.
  rated.sort((a, b) => b.rate - a.rate || a.candidate.place - b.candidate.place);
  const out: RecommendedItem[] = [];
  const taken = new Set<string>();
  let f = 0;
  let r = 0;
  let used = 0;
  while (out.length < k) {
    const next = fresh[f];
    while (r < rated.length && taken.has(rated[r]!.candidate.itemId)) r++;
    const revisit = used < slots ? rated[r] : undefined;
    // A fresh place with no evidence (beyond what lists were long enough to measure) keeps the last known rate.
    const freshRate = next === undefined ? -1 : (evidence.freshItemRate(f, next.score) ?? lastKnownFreshRate(evidence, f));
    if (revisit && revisit.rate > freshRate) {
      const item: RecommendedItem = {
        itemId: revisit.candidate.itemId,
        score: next?.score ?? out[out.length - 1]?.score ?? 0,
        reason: revisitReason(revisit.candidate.type),
      };
      out.push(item);
      taken.add(item.itemId);
      used++;
      r++;
      continue;
    }
    if (next === undefined) break;
    f++;
    if (taken.has(next.itemId)) continue;
    out.push(next);
    taken.add(next.itemId);
  }
  return out;
}

function lastKnownFreshRate(evidence: RevisitEvidence, place: number): number {
  for (let j = Math.min(place, REVISIT_PLACES - 1); j >= 0; j--) {
    const rate = evidence.freshRate(j);
    if (rate !== undefined) return rate;
  }
  return 0;
}
