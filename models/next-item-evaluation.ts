import type { Item } from '../engine/contracts/schemas.js';
import type { ValidationFigures } from './artifact-types.js';
import type { ContentEncoder } from './content-encoder.js';
import type { HeldOutCase } from './holdout-split.js';
import type { LearnedVectorSource } from './learned-vector-source.js';

/** Scoring of the model gate's `next-item` protocol (steps 3 to 5 in ./validation.ts): candidate spaces, HR@k and MRR@k. */

/** The items a model would index, with their unit vectors: what it ranks in the protocol. */
export interface CandidateSpace {
  version: string;
  dimension: number;
  ids: string[];
  /** ids.length x dimension, unit rows. */
  vectors: Float32Array;
  rowOf: Map<string, number>;
}

/** A space from (id, vector) pairs; zero vectors (items the model cannot place) are left out. */
export function candidateSpace(version: string, dimension: number, entries: Iterable<[string, Float32Array]>): CandidateSpace {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  const rowOf = new Map<string, number>();
  for (const [id, vector] of entries) {
    if (rowOf.has(id)) continue;
    if (vector.length !== dimension) throw new RangeError(`item ${id}: vector of length ${vector.length}, model dimension ${dimension}`);
    let squared = 0;
    for (const x of vector) squared += x * x;
    if (!(squared > 0) || !Number.isFinite(squared)) continue;
    const inverse = 1 / Math.sqrt(squared);
    rowOf.set(id, ids.length);
    ids.push(id);
    rows.push(vector.map((x) => x * inverse));
  }
  const vectors = new Float32Array(ids.length * dimension);
  rows.forEach((row, i) => vectors.set(row, i * dimension));
  return { version, dimension, ids, vectors, rowOf };
}

/** A learned model's space: its learned rows, and every catalog item as the engine would embed it. */
export function learnedSpace(source: LearnedVectorSource, catalog: readonly Item[]): CandidateSpace {
  const { itemIds } = source.model.manifest;
  function* entries(): Generator<[string, Float32Array]> {
    for (const item of catalog) yield [item.itemId, source.vectorFor(item)];
    for (const id of itemIds) yield [id, source.learnedVector(id)!];
  }
  return candidateSpace(source.version, source.dimension, entries());
}

/** The attribute model's space: the catalog through the attribute encoder. */
export function attributeSpace(version: string, encoder: ContentEncoder, catalog: readonly Item[]): CandidateSpace {
  return candidateSpace(
    version,
    encoder.dimension,
    catalog.map((item): [string, Float32Array] => [item.itemId, encoder.encodeItem(item)]),
  );
}

export interface EvaluateOptions {
  /** Cut-off of HR and MRR. Default 20. */
  k?: number;
  /** Cases between two reports (and yields to the event loop). Default 256. */
  batchSize?: number;
  /** Called after each batch with the cases done in it. */
  onProgress?: (cases: number) => void;
  signal?: AbortSignal;
}

/**
 * HR@k and MRR@k of one model on the cases (see the file comment). Plain loops: one dot product
 * per candidate and case, and a case stops scanning once k candidates beat its target. (TF.js on
 * the wasm backend was 4x slower than this for a 256 x 64 by 64 x 3,000 product.)
 */
export async function evaluateNextItem(
  space: CandidateSpace,
  cases: readonly HeldOutCase[],
  options: EvaluateOptions = {},
): Promise<ValidationFigures> {
  const k = options.k ?? 20;
  const batchSize = options.batchSize ?? 256;
  const D = space.dimension;
  const query = new Float32Array(D);
  let hits = 0;
  let reciprocal = 0;
  let unknownTargets = 0;
  for (let start = 0; start < cases.length; start += batchSize) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('evaluation aborted');
    const end = Math.min(cases.length, start + batchSize);
    for (let c = start; c < end; c++) {
      const { prefix, target } = cases[c]!;
      const targetRow = space.rowOf.get(target);
      if (targetRow === undefined) {
        unknownTargets++;
        continue;
      }
      if (!meanQuery(space, prefix, query)) continue;
      const rank = rankOf(space, query, targetRow, space.rowOf.get(prefix[prefix.length - 1]!), k);
      if (rank < k) {
        hits++;
        reciprocal += 1 / (rank + 1);
      }
    }
    options.onProgress?.(end - start);
    // Let a progress line, a signal or another task in.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (cases.length === 0) return { hitRate: 0, mrr: 0, unknownTargets };
  return { hitRate: hits / cases.length, mrr: reciprocal / cases.length, unknownTargets };
}

/** Writes the normalised mean of the prefix items' vectors into `out`; false when the space covers none of them. */
function meanQuery(space: CandidateSpace, prefix: readonly string[], out: Float32Array): boolean {
  const D = space.dimension;
  out.fill(0);
  let used = 0;
  for (const id of prefix) {
    const row = space.rowOf.get(id);
    if (row === undefined) continue;
    used++;
    for (let i = 0; i < D; i++) out[i]! += space.vectors[row * D + i]!;
  }
  if (used === 0) return false;
  let squared = 0;
  for (let i = 0; i < D; i++) squared += out[i]! * out[i]!;
  if (!(squared > 0)) return false;
  const inverse = 1 / Math.sqrt(squared);
  for (let i = 0; i < D; i++) out[i]! *= inverse;
  return true;
}

/** Candidates scoring strictly above the target (the excluded row left out); stops counting at k. */
function rankOf(space: CandidateSpace, query: Float32Array, target: number, excluded: number | undefined, k: number): number {
  const { vectors, dimension: D } = space;
  const n = space.ids.length;
  const score = dot(query, vectors, target * D, D);
  let rank = 0;
  for (let j = 0; j < n; j++) {
    if (j === target || j === excluded) continue;
    if (dot(query, vectors, j * D, D) > score && ++rank >= k) return rank;
  }
  return rank;
}

function dot(query: Float32Array, vectors: Float32Array, offset: number, D: number): number {
  let sum = 0;
  for (let i = 0; i < D; i++) sum += query[i]! * vectors[offset + i]!;
  return sum;
}
