import { describe, expect, it } from 'vitest';
import { HnswVectorIndex } from '../../engine/recommend/adapters/hnsw-vector-index.js';
import type { SearchMemoBox } from '../../engine/recommend/vector-index.js';
import { addScaled, normalize, normalized } from '../../engine/recommend/logic/vector-math.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * A shopper's next list may reuse the graph walk of their previous one (HnswVectorIndex.fromMemo)
 * only when it provably gives what the walk would: the answer must equal a fresh search's on the
 * same walk, and anything that moves the query too far or changes the index forces a new walk.
 */

const DIM = 32;
const random = mulberry32(99);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centers = Array.from({ length: 20 }, () => normalize(Float32Array.from({ length: DIM }, gaussian)));

function build(items: number): HnswVectorIndex {
  const index = new HnswVectorIndex({ dimension: DIM, m: 16, efConstruction: 200, ef: 64, seed: 7 });
  for (let i = 0; i < items; i++) {
    const v = Float32Array.from(centers[i % centers.length]!);
    addScaled(v, normalize(Float32Array.from({ length: DIM }, gaussian)), 0.7);
    index.upsert(`item-${i}`, v);
  }
  return index;
}

/** `from` moved towards `towards` by `step` (a taste after one more event), unit length. */
function nudged(from: Float32Array, towards: Float32Array, step: number): Float32Array {
  const out = Float32Array.from(from);
  addScaled(out, towards, step);
  return normalized(out);
}

/** A filter every item passes: like a shopper's list filter (which always has one), the walk is then wider than k. */
const all = (id: string) => id.length > 0;
const ids = (found: Array<{ id: string }>) => found.map((n) => n.id);

describe('HnswVectorIndex search memo', () => {
  const index = build(3000);
  const taste = normalized(Float32Array.from({ length: DIM }, gaussian));

  it('leaves a memo after a graph walk and reuses it for a nearby query, with the answer of the exact rescoring', () => {
    const box: SearchMemoBox = {};
    const first = index.search(taste, 40, all, box);
    expect(first).toHaveLength(40);
    const memo = box.value;
    expect(memo).toBeDefined();
    const next = nudged(taste, centers[0]!, 0.002);
    const reused = index.search(next, 40, all, box);
    // Reused: the same memo object stays in the box.
    expect(box.value).toBe(memo);
    // The answer is ordered by exact cosines against the new query.
    for (const n of reused) expect(n.similarity).toBeCloseTo(index.similarity(n.id, next)!, 12);
    for (let i = 1; i < reused.length; i++) expect(reused[i - 1]!.similarity).toBeGreaterThanOrEqual(reused[i]!.similarity);
    // A fresh search of the same query (no memo) gives the same items.
    expect(ids(reused)).toEqual(ids(index.search(next, 40, all)));
  });

  it('applies the current filter to a reused walk', () => {
    const box: SearchMemoBox = {};
    const first = index.search(taste, 20, all, box);
    const excluded = new Set(ids(first).slice(0, 3));
    const filter = (id: string) => !excluded.has(id);
    const memo = box.value;
    const reused = index.search(taste, 20, filter, box);
    expect(box.value).toBe(memo);
    expect(ids(reused).some((id) => excluded.has(id))).toBe(false);
    expect(ids(reused)).toEqual(ids(index.search(taste, 20, filter)));
  });

  it('walks again when the query moved further than the walk can vouch for', () => {
    const box: SearchMemoBox = {};
    index.search(taste, 40, all, box);
    const memo = box.value;
    const far = nudged(taste, centers[5]!, 2);
    const found = index.search(far, 40, all, box);
    expect(box.value).toBeDefined();
    expect(box.value).not.toBe(memo);
    expect(ids(found)).toEqual(ids(index.search(far, 40, all)));
  });

  it('walks again once the index changed (any upsert or remove)', () => {
    const local = build(3000);
    const box: SearchMemoBox = {};
    local.search(taste, 10, all, box);
    const memo = box.value;
    expect(memo).toBeDefined();
    local.upsert('new-item', taste);
    const found = local.search(taste, 10, all, box);
    // The new item is the query itself: a stale memo could never have found it.
    expect(found[0]!.id).toBe('new-item');
    expect(box.value).not.toBe(memo);
    const again = box.value;
    local.remove('new-item');
    expect(local.search(taste, 10, all, box)[0]!.id).not.toBe('new-item');
    expect(box.value).not.toBe(again);
  });

  it('walks again when too few of the remembered walk pass the filter', () => {
    const box: SearchMemoBox = {};
    const first = index.search(taste, 40, all, box);
    const memo = box.value;
    const keep = new Set(ids(first).slice(0, 5));
    // About a tenth of the walk passes: the memo cannot answer 40; the fresh search must.
    const found = index.search(taste, 40, (id) => keep.has(id) || id.endsWith('7'), box);
    expect(box.value).not.toBe(memo);
    expect(found).toHaveLength(40);
  });

  it('keeps no memo when the caller passes no box, and a small index (exact scan) leaves none', () => {
    const small = build(50);
    const box: SearchMemoBox = {};
    small.search(taste, 10, all, box);
    expect(box.value).toBeUndefined();
  });
});
