import type { Affinity } from '../user-state-store.js';
import { AFFINITY_LIMIT } from './state-limits.js';
import { categoryLevels } from '../../../models/content-encoder.js';
import type { ItemAttributes } from '../../catalog/logic/item-attributes.js';

/**
 * Brand and category affinity (pure): forward-decayed scores per shopper, see {@link Affinity}.
 * An event's weight (event-weights.ts `tasteWeight`: negative types subtract; a basket's lines
 * share it as weight/sqrt(lines), as the taste does) goes to every level of each touched item's
 * category path and to its brand. Decaying is done when reading (`weightsAt`), never by rewriting.
 */

/** Default half-life of affinity (s): 14 days (engine config AFFINITY_HALF_LIFE_SECONDS). */
export const DEFAULT_AFFINITY_HALF_LIFE_SECONDS = 14 * 24 * 3600;

/**
 * Past this many half-lives between the landmark and an event, the landmark moves forward by whole
 * half-lives and every score is scaled by the same power of two (exact in binary floating point,
 * order unchanged), so scores stay far from overflow whatever the half-life.
 */
export const AFFINITY_RESCALE_EXPONENT = 64;

export function emptyAffinity(): Affinity {
  return { landmark: 0, categories: new Map(), brands: new Map(), brandEvents: new Map() };
}

/** The key a brand is scored under: trimmed, lower-cased (as triggers and the content encoder compare brands). */
export function brandKey(brand: string): string {
  return brand.trim().toLowerCase();
}

/** What one event adds, in weights at the event's time. */
export interface AffinityGain {
  categories: Map<string, number>;
  brands: Map<string, number>;
  /** Brands whose event count rises (the event's weight is positive): once per event. */
  countedBrands: Set<string>;
}

/** The gain of lines `[item, weight]` (items the catalog does not know add nothing). */
export function affinityGain(lines: ReadonlyArray<[ItemAttributes | undefined, number]>): AffinityGain {
  const gain: AffinityGain = { categories: new Map(), brands: new Map(), countedBrands: new Set() };
  for (const [item, weight] of lines) {
    if (!item || weight === 0) continue;
    const levels = levelsOf(item.category);
    for (let i = 0; i < levels.length; i++) gain.categories.set(levels[i]!, (gain.categories.get(levels[i]!) ?? 0) + weight);
    const brand = item.brand === undefined ? '' : brandKeyOf(item.brand);
    if (brand === '') continue;
    gain.brands.set(brand, (gain.brands.get(brand) ?? 0) + weight);
    if (weight > 0) gain.countedBrands.add(brand);
  }
  return gain;
}

/**
 * Memo of `categoryLevels` and `brandKey` (pure functions of a string) for the per-event path:
 * a shop has a few thousand categories and brands at most, each met again and again, and each
 * call split, mapped, filtered, sliced and joined (~0.4 KB of garbage and ~1 us per event,
 * allocation profile of pipeline-micro). Cleared when it outgrows MEMO_LIMIT entries (a catalog
 * of many more costs then what it cost before). Hit: ~0.05 us.
 */
const MEMO_LIMIT = 10_000;
const levelsOf = memoized(categoryLevels);
const brandKeyOf = memoized(brandKey);

/** `pure` with its answers kept per argument, all forgotten once MEMO_LIMIT are held. */
function memoized<T>(pure: (value: string) => T): (value: string) => T {
  const memo = new Map<string, T>();
  return (value) => {
    let answer = memo.get(value);
    if (answer === undefined) {
      if (memo.size >= MEMO_LIMIT) memo.clear();
      answer = pure(value);
      memo.set(value, answer);
    }
    return answer;
  };
}

function isEmpty(affinity: Affinity): boolean {
  return affinity.categories.size === 0 && affinity.brands.size === 0;
}

/** The affinity once `gain` is added at `ts` (epoch ms), within `limit` per map; undefined when the gain is empty. */
export function affinityAfter(
  state: Affinity,
  gain: AffinityGain,
  ts: number,
  halfLifeSeconds: number,
  limit = AFFINITY_LIMIT,
): Affinity | undefined {
  if (gain.categories.size === 0 && gain.brands.size === 0) return undefined;
  const halfLifeMs = checkHalfLife(halfLifeSeconds) * 1000;
  const next = copiedFor(state, ts, halfLifeMs);
  const factor = 2 ** ((ts - next.landmark) / halfLifeMs);
  addScaled(next.categories, gain.categories, factor);
  addScaled(next.brands, gain.brands, factor);
  for (const brand of gain.countedBrands) next.brandEvents.set(brand, (next.brandEvents.get(brand) ?? 0) + 1);
  return trimmed(next, limit);
}

/**
 * `affinityAfter(state, affinityGain([[item, weight]]), ts, ...)` for an event of one item (most
 * events), equal entry for entry and in the same order (an item's category levels are distinct:
 * each is longer than the one before), without the gain's two Maps, Set and line array (~0.5 KB
 * of garbage per event, allocation profile of pipeline-micro). Cost: the copy of the affinity.
 */
export function affinityAfterItem(
  state: Affinity,
  item: ItemAttributes | undefined,
  weight: number,
  ts: number,
  halfLifeSeconds: number,
  limit = AFFINITY_LIMIT,
): Affinity | undefined {
  if (!item || weight === 0) return undefined;
  const levels = levelsOf(item.category);
  const brand = item.brand === undefined ? '' : brandKeyOf(item.brand);
  if (levels.length === 0 && brand === '') return undefined;
  const halfLifeMs = checkHalfLife(halfLifeSeconds) * 1000;
  const next = copiedFor(state, ts, halfLifeMs);
  const factor = 2 ** ((ts - next.landmark) / halfLifeMs);
  // (the gain of one line is `weight` per key: 0 + weight)
  const gained = (0 + weight) * factor;
  for (let i = 0; i < levels.length; i++) next.categories.set(levels[i]!, (next.categories.get(levels[i]!) ?? 0) + gained);
  if (brand !== '') {
    next.brands.set(brand, (next.brands.get(brand) ?? 0) + gained);
    if (weight > 0) next.brandEvents.set(brand, (next.brandEvents.get(brand) ?? 0) + 1);
  }
  return trimmed(next, limit);
}

/** A copy of `state` to add an event at `ts` to: its landmark moved forward by whole half-lives when too far behind. */
function copiedFor(state: Affinity, ts: number, halfLifeMs: number): Affinity {
  let landmark = isEmpty(state) ? ts : state.landmark;
  let rescale = 1;
  const exponent = (ts - landmark) / halfLifeMs;
  if (exponent > AFFINITY_RESCALE_EXPONENT) {
    const shift = Math.floor(exponent);
    rescale = 2 ** -shift;
    landmark += shift * halfLifeMs;
  }
  return rescaled(state, landmark, rescale);
}

/**
 * A member's affinity with a visitor's folded in: both brought to the later of the two landmarks
 * (the older side's scores decay to it), scores and event counts added, within `limit` per map.
 * Undefined when the visitor has none.
 */
export function mergedAffinity(member: Affinity, visitor: Affinity, halfLifeSeconds: number, limit = AFFINITY_LIMIT): Affinity | undefined {
  if (isEmpty(visitor)) return undefined;
  const halfLifeMs = checkHalfLife(halfLifeSeconds) * 1000;
  const landmark = isEmpty(member) ? visitor.landmark : Math.max(member.landmark, visitor.landmark);
  const next = rescaled(member, landmark, isEmpty(member) ? 1 : 2 ** ((member.landmark - landmark) / halfLifeMs));
  const visitorFactor = 2 ** ((visitor.landmark - landmark) / halfLifeMs);
  addScaled(next.categories, visitor.categories, visitorFactor);
  addScaled(next.brands, visitor.brands, visitorFactor);
  for (const [brand, count] of visitor.brandEvents) next.brandEvents.set(brand, (next.brandEvents.get(brand) ?? 0) + count);
  return trimmed(next, limit);
}

/** A copy of `state` relative to `landmark`, every score times `rescale`. Cost: one pass over each map. */
function rescaled(state: Affinity, landmark: number, rescale: number): Affinity {
  return {
    landmark,
    categories: scaledCopy(state.categories, rescale),
    brands: scaledCopy(state.brands, rescale),
    brandEvents: scaledCopy(state.brandEvents, 1),
  };
}

/** A copy of `scores` (same order) with every value times `rescale`; forEach copies faster than `new Map(scores)`. */
function scaledCopy(scores: ReadonlyMap<string, number>, rescale: number): Map<string, number> {
  const out = new Map<string, number>();
  if (rescale === 1) scores.forEach((score, key) => out.set(key, score));
  else scores.forEach((score, key) => out.set(key, score * rescale));
  return out;
}

function addScaled(scores: Map<string, number>, added: ReadonlyMap<string, number>, factor: number): void {
  for (const [key, weight] of added) scores.set(key, (scores.get(key) ?? 0) + weight * factor);
}

/** `affinity` (changed in place) with each map cut to `limit` by its lowest scores; a dropped brand loses its count. */
function trimmed(affinity: Affinity, limit: number): Affinity {
  trimScores(affinity.categories, limit);
  for (const brand of trimScores(affinity.brands, limit)) affinity.brandEvents.delete(brand);
  return affinity;
}

/** Removes the lowest scores (ties: the greater key first) until at most `limit` remain; returns their keys. */
export function trimScores(scores: Map<string, number>, limit: number): string[] {
  if (scores.size <= limit) return [];
  const ascending = [...scores].sort(([ka, a], [kb, b]) => a - b || (ka < kb ? 1 : ka > kb ? -1 : 0));
  const removed = ascending.slice(0, scores.size - limit).map(([key]) => key);
  for (const key of removed) scores.delete(key);
  return removed;
}

/** A key and its weight at some time. */
export interface WeightedKey {
  key: string;
  weight: number;
}

/**
 * The `n` strongest positive entries of `scores`, best first (ties by key), with their weights
 * as of `t` (epoch ms): an interaction of weight w at `t` counts w, one a half-life earlier w/2.
 */
export function weightsAt(
  scores: ReadonlyMap<string, number>,
  landmark: number,
  t: number,
  halfLifeSeconds: number,
  n: number,
): WeightedKey[] {
  const factor = decayFactor(landmark, t, halfLifeSeconds);
  return strongestKeys(scores, n).map((key) => ({ key, weight: scores.get(key)! * factor }));
}

/** What a score relative to `landmark` is multiplied by to weigh it as of `t` (epoch ms). */
export function decayFactor(landmark: number, t: number, halfLifeSeconds: number): number {
  return 2 ** ((landmark - t) / (checkHalfLife(halfLifeSeconds) * 1000));
}

/** Top categories (every level counts as one) at time `t`, best first. */
export function topCategories(affinity: Affinity, t: number, halfLifeSeconds: number, n: number): WeightedKey[] {
  return weightsAt(affinity.categories, affinity.landmark, t, halfLifeSeconds, n);
}

/** Top brands at time `t`, best first. */
export function topBrands(affinity: Affinity, t: number, halfLifeSeconds: number, n: number): WeightedKey[] {
  return weightsAt(affinity.brands, affinity.landmark, t, halfLifeSeconds, n);
}

/** Keys of the `n` highest positive scores, best first, ties by key. Decay does not change the order. */
export function strongestKeys(scores: ReadonlyMap<string, number>, n: number): string[] {
  return [...scores]
    .filter(([, score]) => score > 0)
    .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : ka > kb ? 1 : 0))
    .slice(0, Math.max(0, n))
    .map(([key]) => key);
}

function checkHalfLife(seconds: number): number {
  if (!(seconds > 0) || !Number.isFinite(seconds))
    throw new RangeError(`affinity half-life must be a positive finite number of seconds, got ${seconds}`);
  return seconds;
}
