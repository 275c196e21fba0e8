import { LRUCache } from 'lru-cache';
import type { SearchMemoBox } from './vector-index.js';

/**
 * Each shopper's slot for the memo of their last taste search (VectorIndex.search's `memo`): their
 * next list may then reuse that graph walk when the index proves it gives the same answer (see
 * HnswVectorIndex.fromMemo), a few dot products instead of a native walk. No expiry is needed for
 * correctness (a memo is checked on every use), so the only bound is the number of shoppers kept,
 * least recently used evicted (lru-cache); ~0.6 KB per shopper at 64 dimensions (query + ~80
 * labels). Cost: one lru-cache get (and a set for a new shopper) per list.
 */
export class SearchMemos {
  private readonly boxes: LRUCache<string, SearchMemoBox> | undefined;

  /** @param maxUsers shoppers whose memo is kept at most; 0 keeps none (every search walks). */
  constructor(maxUsers: number) {
    if (!Number.isInteger(maxUsers) || maxUsers < 0) throw new RangeError(`maxUsers must be an integer >= 0, got ${maxUsers}`);
    if (maxUsers > 0) this.boxes = new LRUCache({ max: maxUsers });
  }

  get size(): number {
    return this.boxes?.size ?? 0;
  }

  /** The shopper's slot (created empty on first use), now the most recently used; undefined when off or without a shopper id. */
  box(userId: string | undefined): SearchMemoBox | undefined {
    if (this.boxes === undefined || userId === undefined) return undefined;
    let box = this.boxes.get(userId);
    if (box === undefined) {
      box = {};
      this.boxes.set(userId, box);
    }
    return box;
  }

  /** Forgets a shopper's memo (e.g. their state was erased). */
  forget(userId: string): void {
    this.boxes?.delete(userId);
  }
}
