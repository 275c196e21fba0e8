import { expect } from 'vitest';
import { addScaled, cosine, normalize } from '../../engine/recommend/logic/vector-math.js';
import type { Neighbour, VectorIndex } from '../../engine/recommend/vector-index.js';

/**
 * Shared by the vector index tests (vector-index-conformance, hnsw-vector-index, vector-math): a
 * seeded clustered dataset of ITEMS vectors, the brute-force oracle the answers are checked
 * against, and small checks on a result.
 */

export const DIM = 32;
export const ITEMS = 2_000;
export const CLUSTERS = 40;

/** mulberry32: small, fast, seeded. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function randomVector(random: () => number): Float32Array {
  return Float32Array.from({ length: DIM }, () => gaussian(random));
}

/** `noise` times a random direction added to `center`. */
export function near(center: Float32Array, random: () => number, noise: number): Float32Array {
  const v = Float32Array.from(center);
  addScaled(v, normalize(randomVector(random)), noise);
  return v;
}

export interface Dataset {
  centers: Float32Array[];
  vectors: Map<string, Float32Array>;
  clusterOf: Map<string, number>;
}

export function clusteredDataset(seed: number, count: number): Dataset {
  const random = rng(seed);
  const centers = Array.from({ length: CLUSTERS }, () => normalize(randomVector(random)));
  const vectors = new Map<string, Float32Array>();
  const clusterOf = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const cluster = Math.floor(random() * CLUSTERS);
    const id = `item-${i}`;
    // Unnormalised on purpose: scaled by 0.5..3, so upsert must normalise.
    vectors.set(
      id,
      normalize(near(centers[cluster]!, random, 0.6)).map((x) => x * (0.5 + 2.5 * random())),
    );
    clusterOf.set(id, cluster);
  }
  return { centers, vectors, clusterOf };
}

/** The oracle: exact top-k by cosine, ties by id. */
export function bruteForce(
  vectors: Map<string, Float32Array>,
  query: Float32Array,
  k: number,
  filter?: (id: string) => boolean,
): Neighbour[] {
  const all: Neighbour[] = [];
  for (const [id, v] of vectors) if (!filter || filter(id)) all.push({ id, similarity: cosine(query, v) });
  all.sort((a, b) => b.similarity - a.similarity || (a.id < b.id ? -1 : 1));
  return all.slice(0, k);
}

export function ids(result: Neighbour[]): string[] {
  return result.map((n) => n.id);
}

export function expectBestFirst(result: Neighbour[]): void {
  for (let i = 1; i < result.length; i++) expect(result[i - 1]!.similarity).toBeGreaterThanOrEqual(result[i]!.similarity);
}

export function fill(index: VectorIndex, vectors: Map<string, Float32Array>): void {
  for (const [id, v] of vectors) index.upsert(id, v);
}

export const data = clusteredDataset(20240601, ITEMS);
export const itemIds = [...data.vectors.keys()];
