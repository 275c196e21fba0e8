import { describe, expect, it } from 'vitest';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { addScaled, normalize, normalized } from '../../engine/recommend/logic/vector-math.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * How HnswVectorIndex applies a filter: never inside the native walk (one JS call per visited
 * node), but on an unfiltered walk's answer, widened when too few pass, an exact scan last.
 * The answers themselves are checked by the conformance suite; these check the cost and the
 * widening, against the exact index as the oracle.
 */

const DIM = 32;
const ITEMS = 3000;
const random = mulberry32(4242);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centers = Array.from({ length: 30 }, () => normalize(Float32Array.from({ length: DIM }, gaussian)));
const vectors = new Map<string, Float32Array>();
for (let i = 0; i < ITEMS; i++) {
  const v = Float32Array.from(centers[i % centers.length]!);
  addScaled(v, normalize(Float32Array.from({ length: DIM }, gaussian)), 0.6);
  vectors.set(`item-${i}`, v);
}

function build(planner: 'cost' | 'graph-first'): { hnsw: HnswVectorIndex; exact: ExactVectorIndex } {
  const hnsw = new HnswVectorIndex({ dimension: DIM, m: 16, efConstruction: 200, ef: 64, seed: 3, planner });
  const exact = new ExactVectorIndex({ dimension: DIM });
  for (const [id, v] of vectors) {
    hnsw.upsert(id, v);
    exact.upsert(id, v);
  }
  return { hnsw, exact };
}

describe.each(['cost', 'graph-first'] as const)('HnswVectorIndex filtered search (%s planner)', (planner) => {
  const { hnsw, exact } = build(planner);

  it("calls the filter on the sample and the walk's answer only, not per visited node", () => {
    let calls = 0;
    // 90% pass, spread over every cluster (item i is in cluster i % 30).
    const mostPass = (id: string) => {
      calls++;
      return Math.floor(Number(id.slice(5)) / 30) % 10 !== 3;
    };
    let hits = 0;
    for (let q = 0; q < 30; q++) {
      const query = normalized(vectors.get(`item-${q * 97}`)!);
      calls = 0;
      const found = hnsw.search(query, 40, mostPass);
      // 64 sampled ids, then ~64 / 0.9 answered ones: far fewer than a filtered walk visits.
      expect(calls).toBeLessThanOrEqual(64 + 100);
      expect(found).toHaveLength(40);
      const truth = new Set(exact.search(query, 40, mostPass).map((n) => n.id));
      hits += found.filter((n) => truth.has(n.id)).length;
    }
    expect(hits / (30 * 40)).toBeGreaterThanOrEqual(0.95);
  });

  it('widens the walk when the nearest items fail a filter the sample thought mild, and still answers k exactly', () => {
    const query = normalized(vectors.get('item-5')!);
    // The 300 nearest items fail: 90% of the shop passes, but none near the query. The first walk
    // (~72 wide) finds none that passes; the widened one does, or the cost planner scans.
    const nearest = new Set(exact.search(query, 300).map((n) => n.id));
    const farOnly = (id: string) => !nearest.has(id);
    const found = hnsw.search(query, 10, farOnly);
    expect(found.map((n) => n.id)).toEqual(exact.search(query, 10, farOnly).map((n) => n.id));
  });

  it('returns the similarities `similarity` gives, exactly, for a unit query', () => {
    const query = normalized(vectors.get('item-77')!);
    for (const filter of [undefined, (id: string) => id !== 'item-77']) {
      for (const { id, similarity } of hnsw.search(query, 20, filter)) expect(similarity).toBe(hnsw.similarity(id, query));
    }
    for (const { id, similarity } of hnsw.scanExact(query, 5, ['item-1', 'item-2', 'item-3']))
      expect(similarity).toBe(hnsw.similarity(id, query));
  });
});
