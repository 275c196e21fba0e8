/**
 * Pure vector helpers on Float32Array. No allocation unless stated; no I/O.
 *
 * Arithmetic is done in float64 (JS numbers) and only stored back as float32, so sums over a
 * few hundred dimensions lose no more precision than the storage format itself.
 * Length mismatches are programmer errors and throw a RangeError.
 */

function assertSameLength(a: Float32Array, b: Float32Array): void {
  if (a.length !== b.length) {
    throw new RangeError(`vector length mismatch: ${a.length} vs ${b.length}`);
  }
}

/** Dot product of two vectors of equal length. */
export function dot(a: Float32Array, b: Float32Array): number {
  assertSameLength(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Euclidean (L2) length. */
export function norm(a: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * a[i]!;
  return Math.sqrt(sum);
}

/** Alias of {@link norm}. */
export const l2norm = norm;

/**
 * Scales `a` to unit length in place and returns it. A zero vector stays zero; a vector with a
 * non-finite component (NaN, Infinity) is left unchanged (see {@link isUsableVector}).
 */
export function normalize(a: Float32Array): Float32Array {
  const length = norm(a);
  if (length === 0 || !Number.isFinite(length)) return a;
  const inverse = 1 / length;
  for (let i = 0; i < a.length; i++) a[i] = a[i]! * inverse;
  return a;
}

/** A normalised copy of `a`; `a` is untouched. */
export function normalized(a: Float32Array): Float32Array {
  return normalize(Float32Array.from(a));
}

/**
 * Cosine similarity in [-1, 1]. 0 when either vector is zero (no direction, no similarity).
 * Clamped to [-1, 1] against float rounding.
 */
export function cosine(a: Float32Array, b: Float32Array): number {
  assertSameLength(a, b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) return 0;
  const c = ab / Math.sqrt(aa * bb);
  return c > 1 ? 1 : c < -1 ? -1 : c;
}

/** target += scale * source, in place. */
export function addScaled(target: Float32Array, source: Float32Array, scale: number): void {
  assertSameLength(target, source);
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + scale * source[i]!;
}

/** target *= factor, in place. Returns target. */
export function scale(target: Float32Array, factor: number): Float32Array {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! * factor;
  return target;
}

/** True when every component is finite and at least one is non-zero (a direction exists). */
export function isUsableVector(a: Float32Array): boolean {
  let nonZero = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    if (!Number.isFinite(x)) return false;
    if (x !== 0) nonZero = true;
  }
  return nonZero;
}
