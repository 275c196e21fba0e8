import type { Neighbour } from '../vector-index.js';

/**
 * Keeps the k best (highest similarity; on a tie, the smaller id) in a binary min-heap whose
 * root is the worst kept, so each offer is O(log k) and the cut is deterministic.
 */
export class TopK {
  private readonly heap: Neighbour[] = [];

  constructor(private readonly k: number) {}

  offer(id: string, similarity: number): void {
    const heap = this.heap;
    if (heap.length < this.k) {
      heap.push({ id, similarity });
      this.siftUp(heap.length - 1);
    } else if (this.k > 0 && isBetter(similarity, id, heap[0]!)) {
      heap[0] = { id, similarity };
      this.siftDown(0);
    }
  }

  /** The kept neighbours, best first. Empties the collector. */
  drain(): Neighbour[] {
    const out = this.heap.splice(0, this.heap.length);
    out.sort((a, b) => (isBetter(a.similarity, a.id, b) ? -1 : 1));
    return out;
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!isBetter(heap[parent]!.similarity, heap[parent]!.id, heap[index]!)) break;
      [heap[parent], heap[index]] = [heap[index]!, heap[parent]!];
      index = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let worst = index;
      if (left < heap.length && isBetter(heap[worst]!.similarity, heap[worst]!.id, heap[left]!)) worst = left;
      if (right < heap.length && isBetter(heap[worst]!.similarity, heap[worst]!.id, heap[right]!)) worst = right;
      if (worst === index) return;
      [heap[worst], heap[index]] = [heap[index]!, heap[worst]!];
      index = worst;
    }
  }
}

function isBetter(similarity: number, id: string, than: Neighbour): boolean {
  return similarity > than.similarity || (similarity === than.similarity && id < than.id);
}
