import type { VectorIndex } from '../vector-index.js';
import { forEachCandidate, type Candidate, type Candidates } from './candidate.js';
import { addScaled, isUsableVector, normalized } from './vector-math.js';

/**
 * Where the shopper's taste and their query meet in a list (pure): the blended vector the taste
 * search walks with, and each candidate's cosine to the taste and relevance to the query.
 */

/** measure's batch of similarities, reused by every list (grown as needed; only [0, count) is read). */
let similarityScratch = new Float64Array(512);
/** measure's candidates to measure and their ids (only [0, count) is read; the candidates are cleared after each list). */
const pendingScratch: Array<Candidate | undefined> = [];
const idScratch: string[] = [];

/** Share of the query's direction in the search vector when the shopper also has a taste vector. */
export const QUERY_BLEND = 0.6;

/** normalise((1 - share) * a + share * b) for unit a and b. */
export function blend(a: Float32Array, b: Float32Array, share: number): Float32Array {
  const out = new Float32Array(a.length);
  addScaled(out, a, 1 - share);
  addScaled(out, b, share);
  return isUsableVector(out) ? normalized(out) : b;
}

/**
 * Sets every candidate's similarity to the taste from its stored vector (the search that found
 * it may have used a blend with the query, and other sources carry none) and, with a query, its
 * relevance (BM25 and the query vector's cosine blended, search-relevance.ts). With
 * `searchedTaste` (the taste search used the taste itself), a candidate that already carries a
 * similarity got it from that search, which is exactly `index.similarity(id, taste)` for a unit
 * query (the VectorIndex contract): only the others (~335 per list) are measured, in one
 * `similarities` batch when the index has it (the same bits): per-list median ~63 us instead of
 * ~82 at 3000 items, ~47 instead of ~78 at 50000 (recommend-micro --lists 3000 --users 1000,
 * batch and one-by-one alternating list by list, load ~10).
 */
export function measure(
  index: VectorIndex,
  candidates: Candidates,
  taste: Float32Array | undefined,
  relevance: ((itemId: string) => number) | undefined,
  searchedTaste: boolean,
): void {
  if (!taste && !relevance) return;
  if (taste && index.similarities) {
    // The candidates to measure and their ids in scratch arrays every list reuses, read through
    // the Map's forEach: a list's ~335 pushes into two fresh arrays and a Map iterator's result
    // object per candidate were ~21 KB of the ~200 KB a pushed list allocated (heap sampling of
    // the engine at 1,000 events/s).
    let count = 0;
    const collect = (candidate: Candidate): void => {
      if (relevance) candidate.queryRelevance = relevance(candidate.itemId);
      if (searchedTaste && candidate.similarity !== undefined) return;
      pendingScratch[count] = candidate;
      idScratch[count++] = candidate.itemId;
    };
    forEachCandidate(candidates, collect);
    if (count === 0) return;
    // One scratch for every list (a fresh ~2.4 KB Float64Array per list is an off-heap buffer the
    // GC tracks): measure's median unchanged (~45 us in recommend-micro), its mean ~5 us lower.
    if (similarityScratch.length < count) similarityScratch = new Float64Array(Math.max(count, 2 * similarityScratch.length));
    const out = similarityScratch;
    index.similarities(idScratch, count, taste, out);
    // NaN only for an unknown id (a finite unit taste against stored unit vectors is finite), which keeps its similarity.
    for (let i = 0; i < count; i++) if (!Number.isNaN(out[i]!)) pendingScratch[i]!.similarity = out[i]!;
    // No list's candidates are kept alive by the scratch until the next list.
    pendingScratch.fill(undefined, 0, count);
    return;
  }
  const one = (candidate: Candidate): void => {
    if (taste && !(searchedTaste && candidate.similarity !== undefined))
      candidate.similarity = index.similarity(candidate.itemId, taste) ?? candidate.similarity;
    if (relevance) candidate.queryRelevance = relevance(candidate.itemId);
  };
  forEachCandidate(candidates, one);
}
