import { addScaled, norm, scale } from '../../recommend/logic/vector-math.js';

/**
 * Online update of a shopper's taste vector: a weighted, time-decayed fold-in of the item
 * vectors the shopper touches. Pure; never mutates its inputs.
 *
 * The stored vector is unit length; `strength` says how much evidence stands behind it. An update
 * mixes the old direction, weighted by its (decayed) strength, with the new item:
 *
 *   decay    = 2^(-dt / halfLife)          dt = max(0, ts - updatedAt) in seconds
 *   s'       = min(MAX_TASTE_STRENGTH, strength * decay)
 *   vector   = normalise(s' * vector + weight * item)
 *   strength = min(MAX_TASTE_STRENGTH, s' + max(weight, 0))
 *
 * An event older than the last applied one (out of order) decays nothing (dt = 0).
 */

/**
 * Cap on strength. With it, even a long-time shopper's vector moves by at least
 * weight / (20 + weight) of the way toward each new item (a view: ~5%), so today's interest
 * shows in the next list instead of drowning in years of history.
 */
export const MAX_TASTE_STRENGTH = 20;

export interface TasteState {
  /** Unit-length taste vector, or null before the first item interaction. */
  vector: Float32Array | null;
  /** Decayed sum of positive weights behind `vector`. */
  strength: number;
  /** Epoch ms of the last applied event (0 when none). */
  updatedAt: number;
}

export interface FoldResult {
  /** New unit-length vector (a fresh array). */
  vector: Float32Array;
  strength: number;
  /** max(current.updatedAt, ts): feed it back as `updatedAt` for the next fold. */
  updatedAt: number;
}

export interface WeightedVector {
  vector: Float32Array;
  /** Event weight (see event-weights.ts); negative pushes away. */
  weight: number;
}

/** Folds one item into the taste; see the module comment for the formula. */
export function foldIn(current: TasteState, itemVector: Float32Array, weight: number, ts: number, halfLifeSeconds: number): FoldResult {
  return foldInMany(current, [{ vector: itemVector, weight }], ts, halfLifeSeconds);
}

/**
 * Folds several items at one moment (a purchase of many lines): the past decays once, then every
 * item is added with its own weight. Callers decide whether to split a purchase's weight across lines.
 */
export function foldInMany(current: TasteState, items: readonly WeightedVector[], ts: number, halfLifeSeconds: number): FoldResult {
  if (!(halfLifeSeconds > 0) || !Number.isFinite(halfLifeSeconds)) {
    throw new RangeError(`halfLifeSeconds must be a positive finite number, got ${halfLifeSeconds}`);
  }
  if (!Number.isFinite(ts)) throw new RangeError(`ts must be finite, got ${ts}`);
  if (items.length === 0) throw new RangeError('foldInMany needs at least one item');
  const dimension = current.vector?.length ?? items[0]!.vector.length;
  for (const item of items) {
    if (item.vector.length !== dimension) throw new RangeError(`vector length mismatch: ${item.vector.length} vs ${dimension}`);
    if (!Number.isFinite(item.weight)) throw new RangeError(`weight must be finite, got ${item.weight}`);
  }

  const decayed = decayedStrength(current, ts, halfLifeSeconds);
  let gained = 0;
  for (const item of items) gained += Math.max(item.weight, 0);
  const strength = Math.min(MAX_TASTE_STRENGTH, decayed + gained);
  const updatedAt = Math.max(current.updatedAt, ts);

  const next = new Float32Array(dimension);
  const length = Math.sqrt(weightedSumInto(next, current.vector, decayed, items));
  if (length > 1e-6 && Number.isFinite(length)) return { vector: scale(next, 1 / length), strength, updatedAt };
  // The update cancelled the taste exactly (e.g. disliking the only item ever viewed): keep the
  // old direction, or with none, point at the items' weighted sum of signs so a vector exists.
  if (current.vector) return { vector: Float32Array.from(current.vector), strength, updatedAt };
  return { vector: fallbackDirection(items, dimension), strength, updatedAt };
}

/**
 * `out = decayed * past + Σ weight * item` and its squared length, in one pass: per component
 * the same float32 roundings, in the same order, as adding each vector in turn into a zeroed
 * Float32Array (vector-math `addScaled`: `0 + decayed * past[i]`, then `+ weight * item[i]` per
 * item) and then summing squares (`norm`). One pass instead of 2 + items.
 */
function weightedSumInto(out: Float32Array, past: Float32Array | null, decayed: number, items: readonly WeightedVector[]): number {
  const count = items.length;
  let squares = 0;
  if (count === 1 && past) {
    // The common case (one item onto a taste), without the inner loop.
    const { vector, weight } = items[0]!;
    for (let i = 0; i < out.length; i++) {
      const x = Math.fround(Math.fround(0 + decayed * past[i]!) + weight * vector[i]!);
      out[i] = x;
      squares += x * x;
    }
    return squares;
  }
  for (let i = 0; i < out.length; i++) {
    let x = 0;
    if (past) x = Math.fround(x + decayed * past[i]!);
    for (let k = 0; k < count; k++) {
      const item = items[k]!;
      x = Math.fround(x + item.weight * item.vector[i]!);
    }
    out[i] = x;
    squares += x * x;
  }
  return squares;
}

/** The strength left after decaying `current` to time `ts`, capped at {@link MAX_TASTE_STRENGTH}. */
export function decayedStrength(current: TasteState, ts: number, halfLifeSeconds: number): number {
  if (!current.vector || !(current.strength > 0)) return 0;
  const dtSeconds = Math.max(0, ts - current.updatedAt) / 1000;
  return Math.min(MAX_TASTE_STRENGTH, current.strength * 2 ** (-dtSeconds / halfLifeSeconds));
}

function fallbackDirection(items: readonly WeightedVector[], dimension: number): Float32Array {
  const out = new Float32Array(dimension);
  for (const item of items) addScaled(out, item.vector, item.weight === 0 ? 1 : Math.sign(item.weight));
  const length = norm(out);
  if (length > 1e-6 && Number.isFinite(length)) return scale(out, 1 / length);
  // Still nothing (zero item vectors): a fixed unit vector keeps the "unit length" promise.
  out.fill(0);
  out[0] = 1;
  return out;
}
