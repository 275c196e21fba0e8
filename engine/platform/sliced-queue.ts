/** Longest stretch of queued work run before yielding to the event loop (ms). */
export const DEFAULT_SLICE_MS = 5;
/** Most items run in one slice however cheap they are, so the loop turns at least this often. */
export const DEFAULT_MAX_PER_SLICE = 256;

export interface SlicedQueueOptions {
  /** Longest stretch of work before yielding (ms); checked after each item. Default DEFAULT_SLICE_MS. */
  sliceMs?: number;
  /** Most items per slice. Default DEFAULT_MAX_PER_SLICE. */
  maxPerSlice?: number;
}

/**
 * Runs pushed items one by one, in push order, in slices of at most `sliceMs` of work or
 * `maxPerSlice` items, yielding to the event loop (`setImmediate`) between slices: a burst of
 * thousands of catalog changes (HNSW inserts, ~0.1-1 ms each) never holds the loop long enough to
 * delay lease renewals, PubAcks or requests. An item runs after the `push` that queued it, never
 * inside it. `run` must not throw (catch inside); a throw is a programmer error and stops nothing
 * but that slice's remainder, which runs in the next one.
 */
export class SlicedQueue<T> {
  private items: T[] = [];
  private head = 0;
  private scheduled = false;
  private stopped = false;
  private readonly sliceMs: number;
  private readonly maxPerSlice: number;

  constructor(
    private readonly run: (item: T) => void,
    options: SlicedQueueOptions = {},
  ) {
    this.sliceMs = options.sliceMs ?? DEFAULT_SLICE_MS;
    this.maxPerSlice = options.maxPerSlice ?? DEFAULT_MAX_PER_SLICE;
    if (!(this.sliceMs > 0)) throw new RangeError(`sliceMs must be positive, got ${this.sliceMs}`);
    if (!Number.isInteger(this.maxPerSlice) || this.maxPerSlice < 1)
      throw new RangeError(`maxPerSlice must be an integer >= 1, got ${this.maxPerSlice}`);
  }

  /** Items queued and not yet run. */
  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.stopped) return;
    this.items.push(item);
    this.schedule();
  }

  /** Drops what is queued; nothing runs afterwards. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.items = [];
    this.head = 0;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.runSlice());
  }

  private runSlice(): void {
    this.scheduled = false;
    const started = performance.now();
    try {
      for (let ran = 0; ran < this.maxPerSlice && this.head < this.items.length && !this.stopped; ran++) {
        const item = this.items[this.head]!;
        this.items[this.head++] = undefined as T; // let it be collected while the rest waits
        this.run(item);
        if (performance.now() - started >= this.sliceMs) break;
      }
    } finally {
      this.compact();
      if (this.length > 0) this.schedule();
    }
  }

  /** Drops the run prefix once it is most of the array (amortised O(1) per item). */
  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
