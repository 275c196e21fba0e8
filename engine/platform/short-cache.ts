import { OldestFirst } from './oldest-first.js';

/** How long a {@link ShortCache} keeps an entry and how many it holds. */
export interface ShortCacheOptions {
  /** Lifetime of an entry, in ms of wall clock (`now`); 0 keeps nothing (every read is fresh). */
  ttlMs: number;
  /** Entries held at most; past it the oldest goes. */
  maxEntries: number;
  /** The clock, epoch ms. Default Date.now (tests pass a fake). */
  now?: () => number;
}

/**
 * A small in-memory map whose entries expire `ttlMs` after they were set and of which at most
 * `maxEntries` are kept, the oldest evicted first: with one TTL for all, the oldest entry is the
 * one closest to expiring, so a hit does not reorder anything (Map insertion order). Each `set`
 * also drops the expired entries at the head, so memory follows what was set within the last
 * `ttlMs`, not `maxEntries` (amortised O(1) per set). For reusing a value read over the network
 * for a few seconds, not for correctness: callers decide what may be stale that long.
 */
export class ShortCache<K, V> {
  private readonly entries = new Map<K, { setAt: number; value: V }>();
  /** The head of `entries` without walking the holes its deletes leave (oldest-first.ts). */
  private readonly order = new OldestFirst(this.entries);
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: ShortCacheOptions) {
    checkShortCache(options);
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
    this.now = options.now ?? Date.now;
  }

  /** Whether entries are kept at all (ttlMs > 0). */
  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Entries held (expired ones included until they are read, evicted or reached by a `set`). */
  get size(): number {
    return this.entries.size;
  }

  /** The live value of `key`; an expired entry is dropped. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() - entry.setAt < this.ttlMs) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /**
   * Stores `value` for ttlMs from now (nothing when ttlMs is 0), dropping the expired entries at
   * the head and then the oldest past maxEntries.
   */
  set(key: K, value: V): void {
    if (!this.enabled) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { setAt: now, value });
    for (let oldest = this.order.peek(); oldest !== undefined; oldest = this.order.peek()) {
      if (this.entries.size <= this.maxEntries && now - oldest[1].setAt < this.ttlMs) break;
      this.order.shift();
    }
  }

  /** Drops `key` when it holds `value` (or any value when `value` is omitted). */
  delete(key: K, value?: V): void {
    if (value === undefined || this.entries.get(key)?.value === value) this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Checks a cache's options (constructor time): a RangeError names the bad one. */
export function checkShortCache(
  options: Pick<ShortCacheOptions, 'ttlMs' | 'maxEntries'>,
  names = { ttlMs: 'ttlMs', maxEntries: 'maxEntries' },
): void {
  if (!(options.ttlMs >= 0 && Number.isFinite(options.ttlMs)))
    throw new RangeError(`${names.ttlMs} must be a finite number >= 0, got ${options.ttlMs}`);
  if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
    throw new RangeError(`${names.maxEntries} must be a positive integer, got ${options.maxEntries}`);
}
