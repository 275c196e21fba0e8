/**
 * Keys remembered for a fixed time (dedupe markers). One TTL for all, so insertion order is
 * expiry order and expired keys are swept from the front: O(1) amortised, memory bounded by the
 * keys of the last `ttlMs`.
 */
export class ExpiringKeys {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  has(key: string): boolean {
    this.sweep();
    const expiresAt = this.expiries.get(key);
    return expiresAt !== undefined && expiresAt > this.now();
  }

  add(key: string): void {
    this.expiries.delete(key); // re-inserted at the end, keeping the order by expiry
    this.expiries.set(key, this.now() + this.ttlMs);
    this.sweep();
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt > now) break;
      this.expiries.delete(key);
    }
  }
}
