import type { SearchMemoBox } from '../ports/vector-index.js';

/**
 * Each shopper's slot for the memo of their last taste search (VectorIndex.search's `memo`): their
 * next list may then reuse that graph walk when the index proves it gives the same answer (see
 * HnswVectorIndex.fromMemo), a few dot products instead of a native walk. No expiry is needed for
 * correctness (a memo is checked on every use), so the only bound is the number of shoppers kept,
 * least recently used evicted; ~0.6 KB per shopper at 64 dimensions (query + ~80 labels).
 * Cost: one Map delete + set per list.
 */
export class SearchMemos {
  private readonly boxes = new Map<string, SearchMemoBox>();

  /** @param maxUsers shoppers whose memo is kept at most; 0 keeps none (every search walks). */
  constructor(private readonly maxUsers: number) {
    if (!Number.isInteger(maxUsers) || maxUsers < 0) throw new RangeError(`maxUsers must be an integer >= 0, got ${maxUsers}`);
  }

  get size(): number {
    return this.boxes.size;
  }

  /** The shopper's slot (created empty on first use), now the most recently used; undefined when off or without a shopper id. */
  box(userId: string | undefined): SearchMemoBox | undefined {
    if (this.maxUsers === 0 || userId === undefined) return undefined;
    let box = this.boxes.get(userId);
    if (box) this.boxes.delete(userId);
    else {
      box = {};
      if (this.boxes.size >= this.maxUsers) this.boxes.delete(this.boxes.keys().next().value!);
    }
    this.boxes.set(userId, box);
    return box;
  }

  /** Forgets a shopper's memo (e.g. their state was erased). */
  forget(userId: string): void {
    this.boxes.delete(userId);
  }
}
