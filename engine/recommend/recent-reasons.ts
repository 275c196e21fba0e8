import type { RecentInteraction } from '../shoppers/user-state-store.js';
import type { VectorIndex } from './vector-index.js';

/** Recent items compared with a candidate to name it in "like <title> you viewed". */
const REASON_RECENT = 5;
/** Event types that say nothing good about an item: never the "like <title>" of a reason, nor a co-visitation seed. */
export const NEGATIVE_TYPES: ReadonlySet<string> = new Set(['dislike', 'remove_from_cart']);

/**
 * Names the recent item most like a candidate, comparing stored vectors in place
 * (VectorIndex.pairSimilarity: no copies). The recent items compared are chosen once per list.
 * Cost per call: one cosine per compared recent item (at most REASON_RECENT).
 */
export class RecentReasons {
  /** The recent entries compared (positive, distinct, with a vector), newest first. */
  private entries: RecentInteraction[] | undefined;

  constructor(
    private readonly recent: readonly RecentInteraction[],
    private readonly index: VectorIndex,
  ) {}

  nearest(itemId: string): RecentInteraction | undefined {
    let best: RecentInteraction | undefined;
    let bestSimilarity = -Infinity;
    for (const entry of this.load()) {
      // Undefined only when the candidate has no vector (the entries' items have one).
      const similarity = this.index.pairSimilarity(itemId, entry.itemId);
      if (similarity === undefined) return undefined;
      if (similarity > bestSimilarity) {
        bestSimilarity = similarity;
        best = entry;
      }
    }
    return best;
  }

  private load(): RecentInteraction[] {
    if (this.entries) return this.entries;
    const seen = new Set<string>();
    const entries: RecentInteraction[] = [];
    for (const entry of this.recent) {
      if (entries.length >= REASON_RECENT) break;
      if (NEGATIVE_TYPES.has(entry.type) || seen.has(entry.itemId)) continue;
      seen.add(entry.itemId);
      if (this.index.has(entry.itemId)) entries.push(entry);
    }
    this.entries = entries;
    return entries;
  }
}
