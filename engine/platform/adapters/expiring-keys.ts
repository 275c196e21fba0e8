import { OldestFirst } from '../oldest-first.js';

/**
 * Keys remembered for a fixed time (dedupe markers), each with a small value (the batch tag a
 * marker was written under). One TTL for all, so insertion order is expiry order and expired keys
 * are swept from the front: O(1) amortised, memory bounded by the keys of the last `ttlMs`.
 */
export class ExpiringKeys {
  private readonly entries = new Map<string, { expiresAt: number; value: string }>();
  /** The head of `entries` without walking the holes its deletes leave. */
  private readonly order = new OldestFirst(this.entries);

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** The value stored with a live key; undefined when absent or expired. */
  get(key: string): string | undefined {
    this.sweep();
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > this.now() ? entry.value : undefined;
  }

  add(key: string, value = '1'): void {
    this.entries.delete(key); // re-inserted at the end, keeping the order by expiry
    this.entries.set(key, { expiresAt: this.now() + this.ttlMs, value });
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    for (let oldest = this.order.peek(); oldest !== undefined && oldest[1].expiresAt <= now; oldest = this.order.peek()) this.order.shift();
  }
}
