/**
 * A Map's oldest entries (first in insertion order), read and evicted in amortised O(1), for maps
 * used as a queue or an LRU (delete, then set again, to make an entry the newest).
 *
 * `map.keys().next()` is not O(1) there: V8 leaves a hole for each deleted entry until it rebuilds
 * the table, and a fresh iterator walks every hole at the front first. Deleting the oldest one by
 * one piles them up: ~14 us per eviction at 50,000 entries, 4 us at 10,000 (a throwaway script,
 * `keys().next()` then `delete` per insert), ~2 us per `set` of a 5,000-entry ShortCache. This
 * keeps one iterator and moves it on: it meets each hole once, yields entries set after it was
 * made, and never a deleted one (Map iteration order, ECMAScript 24.1.5.1).
 */
export class OldestFirst<K, V> {
  private cursor: Iterator<[K, V]> | undefined;
  /** The entry the cursor yielded last and that was not shifted: the oldest, while it is held unchanged. */
  private head: [K, V] | undefined;

  constructor(private readonly map: Map<K, V>) {}

  /**
   * The oldest entry, left in the map; undefined when the map is empty. An entry set again since
   * the last call counts as moved only when its value is a different object or primitive: maps whose
   * entries move (LRU) must set a fresh value object, as the callers here do.
   */
  peek(): [K, V] | undefined {
    const head = this.head;
    if (head !== undefined && this.map.get(head[0]) === head[1] && this.map.has(head[0])) return head;
    this.head = this.advance();
    return this.head;
  }

  /** Removes the oldest entry and returns its key; undefined when the map is empty. */
  shift(): K | undefined {
    const oldest = this.peek();
    if (oldest === undefined) return undefined;
    this.head = undefined;
    this.map.delete(oldest[0]);
    return oldest[0];
  }

  private advance(): [K, V] | undefined {
    if (this.cursor !== undefined) {
      const next = this.cursor.next();
      if (!next.done) return next.value;
    }
    // First use, or the cursor ran to the end (a finished iterator never yields again): a new one.
    if (this.map.size === 0) {
      this.cursor = undefined;
      return undefined;
    }
    this.cursor = this.map.entries();
    const first = this.cursor.next();
    return first.done ? undefined : first.value;
  }
}
