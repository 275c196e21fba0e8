import type { RecentInteraction } from '../ports/user-state-store.js';
import type { VectorIndex } from '../ports/vector-index.js';

/** Recent items compared with a candidate to name it in "like <title> you viewed". */
const REASON_RECENT = 5;
/** Event types that say nothing good about an item: never the "like <title>" of a reason, nor a co-visitation seed. */
export const NEGATIVE_TYPES: ReadonlySet<string> = new Set(['dislike', 'remove_from_cart']);

/** Names the recent item most like a candidate, comparing vectors; recent vectors are fetched once. */
export class RecentReasons {
  private vectors: Array<{ entry: RecentInteraction; vector: Float32Array }> | undefined;

  constructor(
    private readonly recent: readonly RecentInteraction[],
    private readonly index: VectorIndex,
  ) {}

  nearest(itemId: string): RecentInteraction | undefined {
    let best: RecentInteraction | undefined;
    let bestSimilarity = -Infinity;
    for (const { entry, vector } of this.load()) {
      const similarity = this.index.similarity(itemId, vector);
      if (similarity === undefined) return undefined;
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        best = entry;
      }
    }
    return best;
  }

  private load(): Array<{ entry: RecentInteraction; vector: Float32Array }> {
    if (this.vectors) return this.vectors;
    const seen = new Set<string>();
    this.vectors = [];
    for (const entry of this.recent) {
      if (this.vectors.length >= REASON_RECENT) break;
      if (NEGATIVE_TYPES.has(entry.type) || seen.has(entry.itemId)) continue;
      seen.add(entry.itemId);
      const vector = this.index.get(entry.itemId);
      if (vector) this.vectors.push({ entry, vector });
    }
    return this.vectors;
  }
}
