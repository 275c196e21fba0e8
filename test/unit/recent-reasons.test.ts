import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { INTERACTION_TYPES } from '../../engine/contracts/schemas.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';
import type { VectorIndex } from '../../engine/recommend/vector-index.js';
import { NEGATIVE_TYPES, RecentReasons } from '../../engine/recommend/recent-reasons.js';
import { mulberry32 } from '../../models/content-encoder.js';

const DIM = 8;

/** RecentReasons as it was (copies of the recent vectors, `similarity` per pair): the reference. */
function reference(recent: readonly RecentInteraction[], index: VectorIndex, itemId: string): RecentInteraction | undefined {
  const seen = new Set<string>();
  const vectors: Array<{ entry: RecentInteraction; vector: Float32Array }> = [];
  for (const entry of recent) {
    if (vectors.length >= 5) break;
    if (NEGATIVE_TYPES.has(entry.type) || seen.has(entry.itemId)) continue;
    seen.add(entry.itemId);
    const vector = index.get(entry.itemId);
    if (vector) vectors.push({ entry, vector });
  }
  let best: RecentInteraction | undefined;
  let bestSimilarity = -Infinity;
  for (const { entry, vector } of vectors) {
    const similarity = index.similarity(itemId, vector);
    if (similarity === undefined) return undefined;
    if (similarity > bestSimilarity) [best, bestSimilarity] = [entry, similarity];
  }
  return best;
}

describe('RecentReasons', () => {
  it('names the most similar positive recent item, as comparing copied vectors did', () => {
    const random = mulberry32(11);
    const index = new ExactVectorIndex({ dimension: DIM });
    // 30 items with vectors; ids 30..39 have none (unknown to the index).
    for (let i = 0; i < 30; i++)
      index.upsert(
        `i${i}`,
        Float32Array.from({ length: DIM }, () => random() - 0.5),
      );
    for (let trial = 0; trial < 200; trial++) {
      const recent: RecentInteraction[] = Array.from({ length: Math.floor(random() * 12) }, (_, n) => ({
        itemId: `i${Math.floor(random() * 40)}`,
        type: INTERACTION_TYPES[Math.floor(random() * INTERACTION_TYPES.length)]!,
        ts: 1000 - n,
      }));
      const reasons = new RecentReasons(recent, index);
      for (let i = 0; i < 40; i += 3) expect(reasons.nearest(`i${i}`)).toBe(reference(recent, index, `i${i}`));
    }
  });

  it('skips negative and repeated entries, and answers undefined for an item without a vector', () => {
    const index = new ExactVectorIndex({ dimension: 2 });
    index.upsert('east', Float32Array.from([1, 0]));
    index.upsert('north', Float32Array.from([0, 1]));
    index.upsert('northeast', Float32Array.from([1, 1.2]));
    const recent: RecentInteraction[] = [
      { itemId: 'north', type: 'dislike', ts: 3 },
      { itemId: 'east', type: 'view', ts: 2 },
      { itemId: 'north', type: 'view', ts: 1 },
    ];
    const reasons = new RecentReasons(recent, index);
    expect(reasons.nearest('northeast')).toBe(recent[2]);
    expect(reasons.nearest('east')).toBe(recent[1]);
    expect(reasons.nearest('missing')).toBeUndefined();
    expect(new RecentReasons([recent[0]!], index).nearest('north')).toBeUndefined();
  });
});
