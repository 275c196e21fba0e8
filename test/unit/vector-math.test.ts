import { describe, expect, it } from 'vitest';
import { VectorSlab } from '../../engine/recommend/adapters/vector-slab.js';
import { addScaled, cosine, dot, norm, normalize } from '../../engine/recommend/logic/vector-math.js';
import { gaussian, rng } from '../helpers/vector-index-dataset.js';

// The arithmetic under the vector indexes: the slab's dot products and vector-math.

describe('VectorSlab dot products', () => {
  it('equal the plain float64 loop to the bit, whatever the dimension (unrolled by four, remainder included)', () => {
    const random = rng(3);
    for (const dimension of [1, 3, 4, 7, 32, 67]) {
      const slab = new VectorSlab(dimension, 4);
      const vectors = Array.from({ length: 6 }, (_, i) => {
        const unit = normalize(Float32Array.from({ length: dimension }, () => gaussian(random)));
        slab.assign(`v${i}`, slab.reserve().slot, unit);
        return unit;
      });
      const plain = (a: Float32Array, b: Float32Array) => {
        let sum = 0;
        for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
        return Math.min(1, Math.max(-1, sum));
      };
      for (let a = 0; a < vectors.length; a++) {
        expect(slab.similarity(slab.slotOf(`v${a}`)!, vectors[0]!)).toBe(plain(vectors[0]!, vectors[a]!));
        for (let b = 0; b < vectors.length; b++) expect(slab.pairSimilarity(`v${a}`, `v${b}`)).toBe(plain(vectors[a]!, vectors[b]!));
      }
    }
  });
});
describe('vector-math', () => {
  it('computes dot, norm, cosine and addScaled', () => {
    const a = Float32Array.of(3, 4);
    const b = Float32Array.of(-4, 3);
    expect(dot(a, b)).toBe(0);
    expect(norm(a)).toBe(5);
    expect(cosine(a, a)).toBeCloseTo(1, 12);
    expect(cosine(a, b)).toBe(0);
    expect(cosine(a, new Float32Array(2))).toBe(0);
    const t = Float32Array.of(1, 1);
    addScaled(t, a, 2);
    expect([...t]).toEqual([7, 9]);
    expect(() => dot(a, new Float32Array(3))).toThrow(RangeError);
  });

  it('normalises in place and leaves a zero vector zero', () => {
    const a = Float32Array.of(3, 4);
    expect(normalize(a)).toBe(a);
    expect([...a].map((x) => Number(x.toFixed(6)))).toEqual([0.6, 0.8]);
    const zero = new Float32Array(3);
    expect([...normalize(zero)]).toEqual([0, 0, 0]);
  });
});
